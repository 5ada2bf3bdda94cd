"""The jobs directory is watched: a new, changed or removed Jenkinsfile (or folder) is picked up
without a restart, the next run uses the new script, and SSE listeners hear job_crud_* events.
Also Blue Ocean's enable/disable/DELETE of a pipeline, with their events."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pipeline, run_tests, wait_until, write_jobs  # noqa: E402
from test_sse_search import Stream, configure  # noqa: E402


def say(word):
    return pipeline("stage('Say') { steps { echo '%s' } }" % word)


def names(s, path=ORG + "/pipelines/"):
    return [p["name"] for p in s.get_json(path)]


def crud_events(stream, count):
    out = []
    while len(out) < count:
        event = json.loads(stream.frame()[1])
        if event["jenkins_event"].startswith("job_crud_"):
            out.append((event["jenkins_event"], event["job_name"]))
    return out


def test_jobs_dir_changes_without_restart():
    jobs = write_jobs({"first": say("one")})
    try:
        with Server(jobs=jobs) as s:
            s.get_json("/sse-gateway/connect?clientId=watcher")
            stream = Stream(s.port, "watcher")
            stream.frame()
            configure(s, {"dispatcherId": "watcher", "subscribe": [{"jenkins_channel": "job"}]})
            stream.frame()

            # a new file, a changed file, a new folder with a job
            with open(os.path.join(jobs, "second.Jenkinsfile"), "w") as f:
                f.write(say("two"))
            wait_until(lambda: "second" in names(s))
            with open(os.path.join(jobs, "first.Jenkinsfile"), "w") as f:
                f.write(say("uno"))
            os.makedirs(os.path.join(jobs, "team", "app"))
            with open(os.path.join(jobs, "team", "app", "Jenkinsfile"), "w") as f:
                f.write(say("in team"))
            wait_until(lambda: "team" in names(s))
            got = crud_events(stream, 4)
            assert sorted(got) == sorted([
                ("job_crud_created", "second"), ("job_crud_updated", "first"),
                ("job_crud_created", "team/app"), ("job_crud_created", "team")]), got
            s.post_run("first")
            s.wait_run("first", 1)
            log = s.request("GET", ORG + "/pipelines/first/runs/1/log/")[2].decode()
            assert "uno" in log, log
            s.post_run("team/pipelines/app")
            s.wait_run("team/pipelines/app", 1)
            assert "in team" in s.request(
                "GET", ORG + "/pipelines/team/pipelines/app/runs/1/log/")[2].decode()

            # a file edited again: the next run uses it; nothing else is announced
            with open(os.path.join(jobs, "team", "app", "Jenkinsfile"), "w") as f:
                f.write(say("changed in team"))
            assert crud_events(stream, 1) == [("job_crud_updated", "team/app")]
            s.post_run("team/pipelines/app")
            s.wait_run("team/pipelines/app", 2)
            log = s.request("GET", ORG + "/pipelines/team/pipelines/app/runs/2/log/")[2].decode()
            assert "changed in team" in log, log

            # removed: the job goes, with its runs; a folder emptied goes too
            os.remove(os.path.join(jobs, "second.Jenkinsfile"))
            shutil.rmtree(os.path.join(jobs, "team"))
            wait_until(lambda: names(s) == ["first"])
            assert sorted(crud_events(stream, 3)) == sorted([
                ("job_crud_deleted", "second"), ("job_crud_deleted", "team/app"),
                ("job_crud_deleted", "team")])
            s.get_json(ORG + "/pipelines/second/", expect=404)
            # a broken Jenkinsfile is still a job; its run fails with Jenkins' error
            with open(os.path.join(jobs, "broken.Jenkinsfile"), "w") as f:
                f.write("pipeline { stages {")
            wait_until(lambda: "broken" in names(s))
            s.post_run("broken")
            assert s.wait_run("broken", 1)["result"] == "FAILURE"
            stream.close()
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_blue_ocean_enable_disable_delete():
    jobs = write_jobs({"p": say("p"), "team/q": say("q")})
    try:
        with Server(jobs=jobs) as s:
            s.get_json("/sse-gateway/connect?clientId=w")
            stream = Stream(s.port, "w")
            stream.frame()
            configure(s, {"dispatcherId": "w", "subscribe": [{"jenkins_channel": "job"}]})
            stream.frame()
            put = {"Content-Type": "application/json"}
            status, _, body = s.request("PUT", ORG + "/pipelines/p/disable/", b"{}", put)
            assert (status, body) == (200, b"")
            assert s.get_json(ORG + "/pipelines/p/")["disabled"] is True
            assert s.get_json("/job/p/api/json")["color"] == "disabled"
            assert s.request("PUT", ORG + "/pipelines/p/enable/", b"{}", put)[0] == 200
            assert s.get_json(ORG + "/pipelines/p/")["disabled"] is False
            assert s.request("PUT", ORG + "/pipelines/team/disable/", b"{}", put)[0] == 405
            assert s.request("PUT", ORG + "/pipelines/nope/enable/", b"{}", put)[0] == 404
            status, _, body = s.request("DELETE", ORG + "/pipelines/team/")
            assert (status, body) == (200, b"")
            s.get_json(ORG + "/pipelines/team/pipelines/q/", expect=404)
            assert s.request("DELETE", ORG + "/pipelines/team/")[0] == 404
            assert crud_events(stream, 3) == [("job_crud_updated", "p"), ("job_crud_updated", "p"),
                                              ("job_crud_deleted", "team")]
            # a pipeline with a run going is not deleted
            with open(os.path.join(jobs, "slow.Jenkinsfile"), "w") as f:
                f.write(pipeline("stage('S') { steps { sh 'sleep 30' } }"))
            wait_until(lambda: "slow" in names(s))
            s.post_run("slow")
            s.wait_run("slow", 1, state="RUNNING")
            assert s.request("DELETE", ORG + "/pipelines/slow/")[0] == 409
            assert s.stop_run("slow") == 200
            s.wait_run("slow", 1)
            assert s.request("DELETE", ORG + "/pipelines/slow/")[0] == 200
            stream.close()
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_jobs_dir_changes_without_restart, test_blue_ocean_enable_disable_delete])
