"""POST .../runs/N/replay/: a new run of the script and parameter values run N had; and the
pipeline's queue: GET .../queue/, DELETE .../queue/ID/."""

import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests, write_jobs  # noqa: E402

V1 = """pipeline {
    agent any
    parameters { string(name: 'WHO', defaultValue: 'world') }
    stages {
        stage('Greet') { steps { echo "v1 hello ${params.WHO}" } }
    }
}
"""

V2 = V1.replace("v1 hello", "v2 hello")

SLOW = """pipeline {
    agent any
    stages { stage('Wait') { steps { sh 'sleep 20' } } }
}
"""

JSON = {"Content-Type": "application/json"}


def test_replay_runs_the_original_script_and_parameters():
    jobs = write_jobs({"greet": V1})
    data = tempfile.mkdtemp(prefix="tp-it-replay-")
    try:
        with Server(jobs=jobs, data=data) as s:
            s.post_run("greet", json.dumps({"parameters": [
                {"name": "WHO", "value": "tide"}]}).encode())
            run = s.wait_run("greet", 1)
            assert run["replayable"] is True
        # The Jenkinsfile changes; the replay still runs what run 1 ran.
        with open(os.path.join(jobs, "greet.Jenkinsfile"), "w") as f:
            f.write(V2)
        with Server(jobs=jobs, data=data) as s:
            status, _, body = s.request("POST", "%s/pipelines/greet/runs/1/replay/" % ORG, b"",
                                        JSON)
            assert status == 200, body
            queued = json.loads(body)
            assert queued["id"] == "2" and queued["replayable"] is False
            assert queued["causes"][0]["shortDescription"] == "Replayed #1"
            assert s.wait_run("greet", 2)["result"] == "SUCCESS"
            log = s.run_log("greet", 2)
            assert log.startswith("Replayed #1\r\n") and "\r\nv1 hello tide\r\n" in log, log
            s.post_run("greet", json.dumps({"parameters": [
                {"name": "WHO", "value": "world"}]}).encode())
            s.wait_run("greet", 3)
            assert "\r\nv2 hello world\r\n" in s.run_log("greet", 3)
            status, _, body = s.request("POST", "%s/pipelines/greet/runs/9/replay/" % ORG, b"",
                                        JSON)
            assert status == 404, body
            status, _, body = s.request("POST", "%s/pipelines/greet/runs/1/replay/" % ORG, b"")
            assert status == 415, body
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


def test_a_queued_run_cannot_be_replayed():
    jobs = write_jobs({"slow": SLOW})
    try:
        with Server(jobs=jobs, executors=1) as s:
            s.post_run("slow")
            s.post_run("slow")
            s.wait_run("slow", 1, state="RUNNING")
            status, _, body = s.request("POST", "%s/pipelines/slow/runs/2/replay/" % ORG, b"",
                                        JSON)
            assert status == 400, body
            assert json.loads(body)["message"] == "This run does not support replay"
            for n in (2, 1):
                s.stop_run("slow", n)
            assert s.wait_run("slow", 1)["result"] == "ABORTED"
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_queue_lists_and_cancels_queued_runs():
    jobs = write_jobs({"slow": SLOW})
    try:
        with Server(jobs=jobs, executors=1) as s:
            for _ in range(3):
                s.post_run("slow")
            s.wait_run("slow", 1, state="RUNNING")
            queue = s.get_json("%s/pipelines/slow/queue/" % ORG)
            assert [q["expectedBuildNumber"] for q in queue] == [3, 2], queue
            item = queue[0]
            assert item["_class"] == "io.jenkins.blueocean.service.embedded.rest.QueueItemImpl"
            assert item["causeOfBlockage"] == "Waiting for next available executor"
            assert item["cause"][0]["shortDescription"] == "Started by user anonymous"
            assert item["_links"]["self"]["href"] == \
                "%s/pipelines/slow/queue/%s/" % (ORG, item["id"])
            assert item["queuedTime"] and item["pipeline"] == "slow"
            status, _, body = s.request("DELETE", "%s/pipelines/slow/queue/%s/" % (
                ORG, item["id"]))
            assert (status, body) == (200, b""), (status, body)
            run = s.get_json("%s/pipelines/slow/runs/3/" % ORG)
            assert (run["state"], run["result"]) == ("FINISHED", "ABORTED"), run
            assert [q["expectedBuildNumber"] for q in
                    s.get_json("%s/pipelines/slow/queue/" % ORG)] == [2]
            for bad in (item["id"], "999", "abc"):
                status = s.request("DELETE", "%s/pipelines/slow/queue/%s/" % (ORG, bad))[0]
                assert status == 404, bad
            for n in (2, 1):
                s.stop_run("slow", n)
            assert s.wait_run("slow", 1)["result"] == "ABORTED"
            assert s.get_json("%s/pipelines/slow/queue/" % ORG) == []
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_replay_runs_the_original_script_and_parameters,
        test_a_queued_run_cannot_be_replayed,
        test_queue_lists_and_cancels_queued_runs,
    ])
