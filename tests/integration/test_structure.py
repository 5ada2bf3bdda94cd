"""Pipelines with structure at run time: nested stages, parallel branches, matrix cells,
failFast, and stopping runs. Checked through Blue Ocean's API as its clients read it."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests, write_jobs  # noqa: E402

PARALLEL = """pipeline {
    agent any
    stages {
        stage('Pre build') { steps { echo 'Pre build steps' } }
        stage('Run Tests') {
            parallel {
                stage('Prod') {
                    stages {
                        stage('Prep') { steps { echo 'Prep prod' } }
                        stage('Run') { steps { sh 'echo Run prod' } }
                    }
                }
                stage('Internal') {
                    stages {
                        stage('Prep') { steps { echo 'Prep internal' } }
                        stage('Run') { steps { echo 'Run internal' } }
                    }
                }
            }
        }
        stage('Post build') { steps { echo 'Post build steps' } }
    }
}
"""

FAILING_BRANCH = """pipeline {
    agent any
    stages {
        stage('Build') { steps { echo 'build' } }
        stage('Test') {
            FAILFAST
            parallel {
                stage('fast-fail') { steps { sh 'sleep 0.3; exit 2' } }
                stage('slow') { steps { sh 'sleep 2.5; echo slow-done' } }
                stage('quick') { steps { echo 'quick' } }
            }
        }
        stage('Deploy') { steps { echo 'deploy' } }
    }
}
"""

MATRIX = """pipeline {
    agent any
    stages {
        stage('Build') {
            matrix {
                axes {
                    axis { name 'OS'; values 'linux', 'mac' }
                    axis { name 'JDK'; values '11', '17' }
                }
                excludes {
                    exclude {
                        axis { name 'OS'; values 'mac' }
                        axis { name 'JDK'; values '11' }
                    }
                }
                stages {
                    stage('Compile') { steps { sh 'echo "compile $OS-$JDK in $STAGE_NAME"' } }
                }
            }
        }
    }
}
"""

NESTED_FAILURE = """pipeline {
    agent any
    stages {
        stage('Outer') {
            stages {
                stage('One') { steps { sh 'exit 1' } }
                stage('Two') { steps { echo 'never' } }
            }
        }
        stage('After') {
            stages {
                stage('Three') { steps { echo 'never' } }
            }
        }
    }
}
"""

SLOW = """pipeline {
    agent any
    stages {
        stage('Wait') { steps { sh 'sleep 31.4159; echo woke' } }
        stage('Later') { steps { echo 'later' } }
    }
}
"""


def by_name(nodes):
    return {(n["displayName"], n["firstParent"]): n for n in nodes}


def test_declarative_parallel_graph():
    jobs = write_jobs({"par": PARALLEL})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("par")
            assert s.wait_run("par", 1)["result"] == "SUCCESS"
            nodes = s.nodes("par")
            # Blue Ocean's order: branches right after their stage, sorted by name; the
            # branches' nested stages after the top level, in declaration order (Prod first).
            assert [n["displayName"] for n in nodes] == [
                "Pre build", "Run Tests", "Internal", "Prod", "Post build",
                "Prep", "Run", "Prep", "Run"], [n["displayName"] for n in nodes]
            assert [n["type"] for n in nodes] == [
                "STAGE", "STAGE", "PARALLEL", "PARALLEL", "STAGE",
                "STAGE", "STAGE", "STAGE", "STAGE"]
            assert all((n["state"], n["result"]) == ("FINISHED", "SUCCESS") for n in nodes)
            ids = {n["displayName"] + ":" + str(i): n["id"] for i, n in enumerate(nodes)}
            run_tests, internal, prod, post = nodes[1], nodes[2], nodes[3], nodes[4]
            assert [(e["id"], e["type"]) for e in run_tests["edges"]] == [
                (internal["id"], "PARALLEL"), (prod["id"], "PARALLEL")]
            assert internal["firstParent"] == run_tests["id"]
            prod_prep, prod_run, int_prep, int_run = nodes[5], nodes[6], nodes[7], nodes[8]
            assert [e["id"] for e in prod["edges"]] == [prod_prep["id"]]
            assert [e["id"] for e in prod_prep["edges"]] == [prod_run["id"]]
            assert [e["id"] for e in prod_run["edges"]] == [post["id"]]
            assert [e["id"] for e in internal["edges"]] == [int_prep["id"]]
            assert [e["id"] for e in int_run["edges"]] == [post["id"]]
            assert post["firstParent"] == run_tests["id"] and post["edges"] == []
            # Steps: the run has all 6; a stage holds those of its branches and their stages.
            base = "%s/pipelines/par/runs/1/" % ORG
            assert len(s.get_json(base + "steps/")) == 6
            assert len(s.get_json(base + "nodes/%s/steps/" % run_tests["id"])) == 4
            prod_steps = s.get_json(base + "nodes/%s/steps/" % prod["id"])
            assert [st["displayDescription"] for st in prod_steps] == ["Prep prod", "echo Run prod"]
            assert len(s.get_json(base + "nodes/%s/steps/" % int_run["id"])) == 1
            status, _, log = s.request("GET", base + "nodes/%s/log/" % prod["id"])
            assert log == b"Prep prod\r\n+ echo Run prod\r\nRun prod\r\n", log
            console = s.request("GET", base + "log/")[2].decode()
            for line in ("[Pipeline] parallel", "[Pipeline] { (Branch: Internal)",
                         "[Pipeline] { (Branch: Prod)", "[Pipeline] // parallel"):
                assert line + "\r\n" in console, line
            assert len(ids) == 9
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_failing_branch_without_and_with_fail_fast():
    jobs = write_jobs({"plain": FAILING_BRANCH.replace("FAILFAST", ""),
                       "fast": FAILING_BRANCH.replace("FAILFAST", "failFast true"),
                       "always": FAILING_BRANCH.replace("FAILFAST", "").replace(
                           "agent any", "agent any\n    options { parallelsAlwaysFailFast() }")})
    try:
        with Server(jobs=jobs, executors=3) as s:
            start = time.time()
            for name in ("plain", "fast", "always"):
                s.post_run(name)
            fast = s.wait_run("fast", 1)
            fast_seconds = time.time() - start
            plain = s.wait_run("plain", 1)
            always = s.wait_run("always", 1)
            assert fast_seconds < 2, fast_seconds  # the 2.5 s branch was aborted
            for run in (plain, fast, always):
                assert run["result"] == "FAILURE"
            # Without failFast every branch runs to its end; the stage fails afterwards.
            n = {x["displayName"]: x for x in s.nodes("plain")}
            assert (n["fast-fail"]["state"], n["fast-fail"]["result"]) == ("FINISHED", "FAILURE")
            assert n["slow"]["result"] == "SUCCESS" and n["quick"]["result"] == "SUCCESS"
            assert n["Test"]["result"] == "FAILURE"
            assert (n["Deploy"]["state"], n["Deploy"]["result"]) == ("SKIPPED", "NOT_BUILT")
            log = s.request("GET", "%s/pipelines/plain/runs/1/log/" % ORG)[2].decode()
            assert "Failed in branch fast-fail\r\n" in log and "\r\nslow-done\r\n" in log
            assert log.endswith("ERROR: script returned exit code 2\r\nFinished: FAILURE\r\n")
            # With failFast (or parallelsAlwaysFailFast) the slow branch is aborted.
            for name in ("fast", "always"):
                n = {x["displayName"]: x for x in s.nodes(name)}
                assert n["slow"]["result"] == "ABORTED", (name, n["slow"])
                assert n["fast-fail"]["result"] == "FAILURE"
                assert n["Test"]["result"] == "FAILURE"
                assert n["Deploy"]["state"] == "SKIPPED"
                log = s.request("GET", "%s/pipelines/%s/runs/1/log/" % (ORG, name))[2].decode()
                assert "slow-done" not in log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_matrix_cells_run_in_parallel_with_their_axes():
    jobs = write_jobs({"matrix": MATRIX})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("matrix")
            assert s.wait_run("matrix", 1)["result"] == "SUCCESS"
            nodes = s.nodes("matrix")
            names = [n["displayName"] for n in nodes]
            assert names == ["Build", "Matrix - OS = 'linux', JDK = '11'",
                             "Matrix - OS = 'linux', JDK = '17'",
                             "Matrix - OS = 'mac', JDK = '17'",
                             "Compile", "Compile", "Compile"], names
            assert [n["type"] for n in nodes[1:4]] == ["PARALLEL"] * 3
            log = s.request("GET", "%s/pipelines/matrix/runs/1/log/" % ORG)[2].decode()
            for cell in ("linux-11", "linux-17", "mac-17"):
                assert "\r\ncompile %s in Compile\r\n" % cell in log, cell
            assert "mac-11" not in log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_failure_in_nested_stages_skips_what_follows():
    jobs = write_jobs({"nested": NESTED_FAILURE})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("nested")
            assert s.wait_run("nested", 1)["result"] == "FAILURE"
            got = [(n["displayName"], n["state"], n["result"]) for n in s.nodes("nested")]
            assert got == [("Outer", "FINISHED", "FAILURE"), ("After", "SKIPPED", "NOT_BUILT"),
                           ("One", "FINISHED", "FAILURE"), ("Two", "SKIPPED", "NOT_BUILT"),
                           ("Three", "SKIPPED", "NOT_BUILT")], got
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def leftover_sleeps():
    r = subprocess.run(["pgrep", "-f", "sleep 31.4159"], capture_output=True)
    return r.stdout.split()


def test_stop_a_running_and_a_queued_run():
    jobs = write_jobs({"slow": SLOW})
    try:
        with Server(jobs=jobs, executors=1) as s:
            s.post_run("slow")
            s.post_run("slow")
            s.wait_run("slow", 1, state="RUNNING")
            deadline = time.time() + 5
            while not leftover_sleeps() and time.time() < deadline:
                time.sleep(0.02)
            assert leftover_sleeps(), "the step's process never started"
            path = "%s/pipelines/slow/runs/%d/stop/"
            status, _, body = s.request("PUT", path % (ORG, 1))
            assert status == 415
            # The queued run leaves the queue at once.
            status, _, body = s.request("PUT", path % (ORG, 2) + "?blocking=false", b"",
                                        {"Content-Type": "application/json"})
            queued = json.loads(body)
            assert status == 200 and (queued["state"], queued["result"]) == ("FINISHED", "ABORTED")
            start = time.time()
            status, _, body = s.request("PUT", path % (ORG, 1), b"",
                                        {"Content-Type": "application/json"})
            assert status == 200 and json.loads(body)["id"] == "1"
            run = s.wait_run("slow", 1)
            assert time.time() - start < 3
            assert run["result"] == "ABORTED"
            assert not leftover_sleeps(), "a process of the stopped run survived"
            got = [(n["displayName"], n["state"], n["result"]) for n in s.nodes("slow")]
            assert got == [("Wait", "FINISHED", "ABORTED"), ("Later", "SKIPPED", "NOT_BUILT")], got
            steps = s.get_json("%s/pipelines/slow/runs/1/steps/" % ORG)
            assert steps[0]["result"] == "ABORTED"
            log = s.request("GET", "%s/pipelines/slow/runs/1/log/" % ORG)[2].decode()
            assert log.endswith("Aborted by anonymous\r\nFinished: ABORTED\r\n"), log[-300:]
            # Stopping a finished run changes nothing.
            status, _, body = s.request("PUT", path % (ORG, 1), b"",
                                        {"Content-Type": "application/json"})
            assert status == 200 and json.loads(body)["result"] == "ABORTED"
            status, _, body = s.request("PUT", path % (ORG, 1) + "?timeOutInSecs=-1", b"",
                                        {"Content-Type": "application/json"})
            assert status == 500
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


FUTURE = """pipeline {
    agent any
    stages {
        stage('One') { steps { sh 'if [ -e "$JENKINS_HOME/slow" ]; then sleep 3; fi' } }
        stage('Two') { steps { echo 'two' } }
        stage('Three') { steps { echo 'three' } }
    }
}
"""


def running_nodes(s, name, number):
    """The node list once stage One runs."""
    deadline = time.time() + 10
    while time.time() < deadline:
        nodes = s.nodes(name, number)
        if nodes and nodes[0]["state"] == "RUNNING":
            return nodes
        time.sleep(0.02)
    raise AssertionError("stage One never ran")


def test_future_nodes_come_from_the_last_successful_run():
    jobs = write_jobs({"future": FUTURE})
    data = tempfile.mkdtemp(prefix="tp-it-future-")
    try:
        with Server(jobs=jobs, data=data) as s:
            slow = os.path.join(data, "slow")
            # No success yet: only what has started is listed.
            open(slow, "w").close()
            s.post_run("future")
            assert [n["displayName"] for n in running_nodes(s, "future", 1)] == ["One"]
            s.stop_run("future")
            s.wait_run("future", 1)
            os.remove(slow)
            s.post_run("future")
            assert s.wait_run("future", 2)["result"] == "SUCCESS"
            open(slow, "w").close()
            s.post_run("future")
            nodes = running_nodes(s, "future", 3)
            assert [(n["displayName"], n["state"], n["result"]) for n in nodes] == [
                ("One", "RUNNING", "UNKNOWN"), ("Two", None, None), ("Three", None, None)], nodes
            assert [n["startTime"] for n in nodes[1:]] == [None, None]
            assert [n["durationInMillis"] for n in nodes[1:]] == [0, 0]
            assert [e["id"] for e in nodes[0]["edges"]] == [nodes[1]["id"]]
            assert [e["id"] for e in nodes[1]["edges"]] == [nodes[2]["id"]]
            assert s.wait_run("future", 3)["result"] == "SUCCESS"
            assert [n["state"] for n in s.nodes("future", 3)] == ["FINISHED"] * 3
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_future_nodes_come_from_the_last_successful_run,
        test_declarative_parallel_graph,
        test_failing_branch_without_and_with_fail_fast,
        test_matrix_cells_run_in_parallel_with_their_axes,
        test_failure_in_nested_stages_skips_what_follows,
        test_stop_a_running_and_a_queued_run,
    ])
