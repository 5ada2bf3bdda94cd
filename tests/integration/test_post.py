"""post at pipeline and stage level: the 11 conditions, their order, re-evaluation, and how
Blue Ocean shows post steps."""

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests, write_jobs  # noqa: E402

ORDER = """pipeline {
    agent any
    stages {
        stage('Build') {
            steps { echo 'building' }
            post {
                failure { echo 'stage failed' }
                success { echo 'stage ok' }
            }
        }
        stage('Test') {
            steps { sh 'exit 4' }
            post {
                always { echo 'test always' }
                failure { echo 'test failure' }
            }
        }
    }
    post {
        cleanup { echo 'cleanup last' }
        success { echo 'never success' }
        always { sh 'exit 9' }
        failure { echo 'failure after always' }
        unsuccessful { echo 'unsuccessful' }
        changed { echo 'changed' }
        fixed { echo 'never fixed' }
        aborted { echo 'never aborted' }
    }
}
"""

HISTORY = """pipeline {
    agent any
    stages {
        stage('Check') { steps { sh 'test -f ok' } }
    }
    post {
        changed { echo 'POST changed' }
        fixed { echo 'POST fixed' }
        regression { echo 'POST regression' }
        success { echo 'POST success' }
        failure { echo 'POST failure' }
    }
}
"""

ABORTED = """pipeline {
    agent any
    stages {
        stage('Wait') { steps { sh 'sleep 20' } }
    }
    post {
        aborted { echo 'was aborted' }
        failure { echo 'never failure' }
        always { sh 'echo post-sh-runs' }
    }
}
"""


def test_conditions_run_in_plugin_order_and_are_reevaluated():
    jobs = write_jobs({"order": ORDER})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("order")
            assert s.wait_run("order", 1)["result"] == "FAILURE"
            log = s.run_log("order", 1)
            assert "stage ok\r\n" in log and "stage failed" not in log
            assert log.index("test always") < log.index("test failure")
            post = log[log.index("[Pipeline] { (Declarative: Post Actions)"):]
            expected = ["+ exit 9",
                        "Error when executing always post condition:",
                        "script returned exit code 9", "changed", "unsuccessful",
                        "failure after always", "cleanup last"]
            positions = [post.index(line + "\r\n") for line in expected]
            assert positions == sorted(positions), post
            for never in ("never success", "never fixed", "never aborted"):
                assert never not in log
            assert log.endswith("ERROR: script returned exit code 4\r\nFinished: FAILURE\r\n")
            # Blue Ocean: the pipeline's post steps belong to the last stage; stage post
            # steps to their stage; the run lists them all.
            base = "%s/pipelines/order/runs/1/" % ORG
            nodes = s.get_json(base + "nodes/")
            assert [n["displayName"] for n in nodes] == ["Build", "Test"]
            test_steps = s.get_json(base + "nodes/%s/steps/" % nodes[1]["id"])
            descriptions = [st["displayDescription"] for st in test_steps]
            assert descriptions == ["exit 4", "test always", "test failure", "exit 9", "changed",
                                    "unsuccessful", "failure after always", "cleanup last"], \
                descriptions
            build_steps = s.get_json(base + "nodes/%s/steps/" % nodes[0]["id"])
            assert [st["displayDescription"] for st in build_steps] == ["building", "stage ok"]
            assert len(s.get_json(base + "steps/")) == 10
            failed = [st for st in test_steps if st["result"] == "FAILURE"]
            assert [st["displayDescription"] for st in failed] == ["exit 4", "exit 9"]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_changed_fixed_and_regression_compare_with_the_previous_run():
    jobs = write_jobs({"history": HISTORY})
    data = tempfile.mkdtemp(prefix="tp-it-post-")
    try:
        with Server(jobs=jobs, data=data) as s:
            flag = os.path.join(data, "workspace", "history", "ok")
            expectations = [
                (False, "FAILURE", {"changed", "failure"}),
                (True, "SUCCESS", {"changed", "fixed", "success"}),
                (True, "SUCCESS", {"success"}),
                (False, "FAILURE", {"changed", "regression", "failure"}),
            ]
            for number, (ok, result, fired) in enumerate(expectations, start=1):
                if ok:
                    open(flag, "w").close()
                elif os.path.exists(flag):
                    os.remove(flag)
                s.post_run("history")
                assert s.wait_run("history", number)["result"] == result
                log = s.run_log("history", number)
                got = {line[len("POST "):] for line in log.split("\r\n")
                       if line.startswith("POST ")}
                assert got == fired, (number, got)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


def test_post_runs_after_a_stop():
    jobs = write_jobs({"abort": ABORTED})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("abort")
            s.wait_run("abort", 1, state="RUNNING")
            time.sleep(0.3)
            assert s.stop_run("abort") == 200
            run = s.wait_run("abort", 1)
            assert run["result"] == "ABORTED"
            log = s.run_log("abort", 1)
            assert "was aborted\r\n" in log and "never failure" not in log
            assert "\r\npost-sh-runs\r\n" in log  # a step started after the stop runs normally
            assert log.endswith("Aborted by anonymous\r\nFinished: ABORTED\r\n"), log[-300:]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_conditions_run_in_plugin_order_and_are_reevaluated,
        test_changed_fixed_and_regression_compare_with_the_previous_run,
        test_post_runs_after_a_stop,
    ])
