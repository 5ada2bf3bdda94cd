"""The build step: a run of another pipeline, its parameters, its result, its cause, stop."""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pids_with, run_tests, wait_until, write_jobs  # noqa: E402

DOWN = """pipeline {
    agent any
    parameters {
        string(name: 'WHO', defaultValue: 'nobody')
        choice(name: 'END', choices: ['pass', 'fail', 'unstable'])
    }
    stages {
        stage('Work') {
            steps {
                sh 'echo "hello $WHO"'
                script {
                    if (params.END == 'fail') { error 'asked to fail' }
                    if (params.END == 'unstable') { unstable 'asked to be unstable' }
                }
            }
        }
    }
}
"""

UP = """pipeline {
    agent any
    stages {
        stage('Chain') {
            steps {
                build job: 'down', parameters: [string(name: 'WHO', value: "up #${BUILD_NUMBER}")]
                script {
                    def b = build job: 'team/sibling'
                    echo "sibling ${b.number} ${b.result} ${b.absoluteUrl}"
                    def c = build(job: 'down', parameters: [string(name: 'END', value: 'fail')],
                                  propagate: false)
                    echo "then ${c.result} ${c.fullDisplayName}"
                    def d = build job: 'down', wait: false
                    echo "not waited: ${d}"
                    try {
                        build job: 'nope'
                    } catch (e) {
                        echo "caught ${e.message}"
                    }
                }
            }
        }
        stage('Unstable') {
            steps { build job: 'down', parameters: [string(name: 'END', value: 'unstable')] }
        }
        stage('Never') { steps { echo 'never runs' } }
    }
}
"""

IN_FOLDER = """pipeline {
    agent none
    stages {
        stage('Relative') {
            steps {
                build 'sibling'
                build '../down'
                build '/team/sibling'
            }
        }
    }
}
"""

SIBLING = """pipeline {
    agent none
    stages { stage('S') { steps { echo "sibling of ${JOB_NAME}" } } }
}
"""


def lines(text):
    return text.replace("\r\n", "\n").split("\n")


def test_build_runs_another_pipeline_and_waits_for_it():
    jobs = write_jobs({"up": UP, "down": DOWN, "team/sibling": SIBLING, "team/caller": IN_FOLDER})
    try:
        with Server(jobs=jobs, executors=3) as s:
            s.post_run("up")
            run = s.wait_run("up", 1)
            log = s.run_log("up")
            assert run["result"] == "UNSTABLE", log
            url = "http://127.0.0.1:%d/job/" % s.port
            for line in ["Scheduling project: down", "Starting building: down #1",
                         "Build down #1 completed: SUCCESS",
                         "Scheduling project: team » sibling",
                         "Build team » sibling #1 completed: SUCCESS",
                         "sibling 1 SUCCESS %steam/job/sibling/1/" % url,
                         "Build down #2 completed: FAILURE", "then FAILURE down #2",
                         "not waited: null", "caught No item named nope found",
                         "Build down #4 completed: UNSTABLE",
                         'Stage "Never" skipped due to earlier failure(s)',
                         "down #4 completed with status UNSTABLE (propagate: false to ignore)",
                         "Finished: UNSTABLE"]:
                assert line in lines(log), (line, log)
            assert "never runs" not in log
            nodes = {n["displayName"]: n for n in s.nodes("up")}
            assert nodes["Chain"]["result"] == "SUCCESS"
            assert nodes["Unstable"]["result"] == "UNSTABLE"
            assert (nodes["Never"]["state"], nodes["Never"]["result"]) == ("SKIPPED", "NOT_BUILT")
            # the downstream runs: their parameters and their cause
            assert "hello up #1" in lines(s.run_log("down", 1))
            assert "hello nobody" in lines(s.run_log("down", 3))
            down = s.get_json("%s/pipelines/down/runs/1/" % ORG)
            assert down["causes"][0]["shortDescription"] == \
                'Started by upstream project "up" build number 1'
            build = s.get_json("/job/down/1/api/json")
            causes = [a for a in build["actions"] if a.get("_class") == "hudson.model.CauseAction"]
            assert causes[0]["causes"][0] == {
                "_class": "hudson.model.Cause$UpstreamCause",
                "shortDescription": 'Started by upstream project "up" build number 1',
                "upstreamBuild": 1, "upstreamProject": "up", "upstreamUrl": "job/up/"}
            s.wait_run("down", 3)
            assert s.get_json("%s/pipelines/down/runs/4/" % ORG)["result"] == "UNSTABLE"
            # names resolve against the caller's folder, as Jenkins resolves them
            s.post_run("team/pipelines/caller")
            caller = s.wait_run("team/pipelines/caller", 1)
            log = s.run_log("team/pipelines/caller")
            assert caller["result"] == "SUCCESS", log
            for line in ["Build team » sibling #2 completed: SUCCESS",
                         "Build down #5 completed: SUCCESS",
                         "Build team » sibling #3 completed: SUCCESS"]:
                assert line in lines(log), (line, log)
            assert 'Started by upstream project "team/caller" build number 1' in lines(
                s.run_log("team/pipelines/sibling", 2))
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


SLOW = """pipeline {
    agent any
    stages { stage('Slow') { steps { sh 'sleep 7711' } } }
}
"""

WAITS = """pipeline {
    agent any
    stages { stage('Wait') { steps { build 'slow' } } }
}
"""


def test_stopping_the_caller_stops_the_run_it_waits_for():
    jobs = write_jobs({"slow": SLOW, "waits": WAITS})
    try:
        with Server(jobs=jobs, executors=2) as s:
            s.post_run("waits")
            wait_until(lambda: pids_with(b"sleep 7711"))
            assert s.stop_run("waits") == 200
            assert s.wait_run("waits", 1)["result"] == "ABORTED"
            assert s.wait_run("slow", 1)["result"] == "ABORTED"
            assert "Calling Pipeline was cancelled" in lines(s.run_log("slow")), s.run_log("slow")
            wait_until(lambda: not pids_with(b"sleep 7711"))
            # with every executor taken, the run waited for is queued: it is cancelled
            s.post_run("slow")
            s.post_run("waits")
            s.wait_run("waits", 2, state="RUNNING")
            queued = wait_until(lambda: [r for r in s.get_json("%s/pipelines/slow/runs/" % ORG)
                                         if r["state"] == "QUEUED"])
            assert queued[0]["id"] == "3"
            assert s.stop_run("waits", 2) == 200
            assert s.wait_run("waits", 2)["result"] == "ABORTED"
            assert s.wait_run("slow", 3)["result"] == "ABORTED"
            s.stop_run("slow", 2)
            s.wait_run("slow", 2)
            time.sleep(0.1)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_build_runs_another_pipeline_and_waits_for_it,
        test_stopping_the_caller_stops_the_run_it_waits_for,
    ])
