"""Crash and restart: SIGKILL the server with one run running, one queued and one paused at an
input; on the same data dir the running one ends ABORTED with its log intact, the queued one
runs, the paused one waits again at the same input (state, step id, script values and all), can
be approved and finishes; no process of the old runs survives."""

import json
import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pids_with, pipeline, run_tests, wait_until, write_jobs  # noqa: E402

JSON = {"Content-Type": "application/json"}

PAUSED = pipeline("""
        stage('Before') {
            steps {
                sh 'echo before-input'
                script {
                    VERSION = sh(returnStdout: true, script: 'echo 1.2.3').trim()
                    env.BUILT = "v${VERSION}"
                }
            }
        }
        stage('Gate') {
            input {
                message 'Ship it?'
                parameters { choice(name: 'COLOR', choices: ['red', 'blue'], description: '') }
            }
            steps {
                sh 'echo "after $BUILT $COLOR"'
                echo "groovy ${VERSION}"
            }
        }
""")

RUNNING = pipeline("""
        stage('Long') { steps { sh 'echo started-long; sleep 33.75' } }
""")

NORESUME = """pipeline {
    agent any
    options { disableResume() }
    stages { stage('Gate') { steps { input 'Resume me?' } } }
}
"""

QUEUED = pipeline("""
        stage('Q') { steps { echo 'queued-ran' } }
""")


def paused_step(s, name):
    run = s.get_json("%s/pipelines/%s/runs/1/" % (ORG, name))
    if run["state"] != "PAUSED":
        return None
    steps = s.get_json("%s/pipelines/%s/runs/1/steps/" % (ORG, name))
    waiting = [st for st in steps if st["state"] == "PAUSED"]
    return waiting[0] if waiting else None


def test_sigkill_with_running_queued_and_paused_runs():
    jobs = write_jobs({"paused": PAUSED, "running": RUNNING, "queued": QUEUED,
                       "noresume": NORESUME})
    data = tempfile.mkdtemp(prefix="tp-it-data-")
    try:
        s = Server(jobs=jobs, data=data, executors=3).start()
        s.post_run("paused")
        before = wait_until(lambda: paused_step(s, "paused"))
        s.post_run("noresume")
        wait_until(lambda: paused_step(s, "noresume"))
        s.post_run("running")
        wait_until(lambda: pids_with(b"33.75"))
        s.post_run("queued")
        assert s.get_json("%s/pipelines/queued/runs/1/" % ORG)["state"] == "QUEUED"
        log_before = s.run_log("paused")
        s.stop(sig=signal.SIGKILL)

        with Server(jobs=jobs, data=data, executors=3) as s:
            # options { disableResume() }: the paused run fails instead of waiting again
            run = s.wait_run("noresume", 1)
            log = s.run_log("noresume").replace("\r\n", "\n")
            assert run["result"] == "FAILURE", log
            assert log.endswith("Resume disabled by user, failing build.\nFinished: FAILURE\n"), log
            # The running run: ABORTED, its log kept up to the kill.
            run = s.wait_run("running", 1)
            assert run["result"] == "ABORTED", run
            log = s.run_log("running").replace("\r\n", "\n")
            assert "\nstarted-long\n" in log and log.endswith("Finished: ABORTED\n"), log
            # The queued run runs.
            assert s.wait_run("queued", 1)["result"] == "SUCCESS"
            assert "queued-ran" in s.run_log("queued")
            # The paused run waits again at the same input.
            after = wait_until(lambda: paused_step(s, "paused"))
            assert after["id"] == before["id"], (before, after)
            assert after["input"] == before["input"]
            assert s.run_log("paused").startswith(log_before)
            nodes = s.nodes("paused")
            assert [(n["displayName"], n["state"]) for n in nodes] == [
                ("Before", "FINISHED"), ("Gate", "PAUSED")], nodes
            body = json.dumps({"id": after["input"]["id"],
                               "parameters": [{"name": "COLOR", "value": "blue"}]}).encode()
            status = s.request("POST", "%s/pipelines/paused/runs/1/steps/%s/" % (ORG, after["id"]),
                               body, JSON)[0]
            assert status == 200
            run = s.wait_run("paused", 1)
            log = s.run_log("paused").replace("\r\n", "\n")
            assert run["result"] == "SUCCESS", log
            lines = log.split("\n")
            assert lines.count("before-input") == 1, log
            assert lines.count("after v1.2.3 blue") == 1, log
            assert lines.count("groovy 1.2.3") == 1, log
            assert len([l for l in lines if l.startswith("Resuming build at ")]) == 1, log
            assert lines.count("[Pipeline] input") == 1, log
            steps = s.get_json("%s/pipelines/paused/runs/1/steps/" % ORG)
            assert all(st["state"] == "FINISHED" for st in steps), steps
            assert len({st["id"] for st in steps}) == len(steps)
        assert pids_with(b"33.75") == []
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_sigkill_with_running_queued_and_paused_runs])
