"""Blue Ocean's own test cases (specs/blueocean-cases.md) that need the steps beyond echo and
sh, written as declarative pipelines: C11, C12 and C15(a) (with script {}), C15(b), C17(c), X03, X04."""

import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pipeline, run_tests, write_jobs  # noqa: E402

C15B = pipeline("""
        stage('blah') { steps { sh 'echo 42'; error('this error should appear in log') } }
""")

C17C = pipeline("""
        stage('Only') {
            steps { echo 'Hello World'; echo 'Inside try' }
            post { always { sh 'echo "blah"'; unstable('foobar') } }
        }
""")

X03 = pipeline("""
        stage('top') {
            failFast true
            parallel {
                stage('aborts') { steps { sleep 5 } }
                stage('fails') { steps { sleep 1; error('branch fails') } }
                stage('succeeds') { steps { echo('branch succeeds') } }
            }
        }
""")

X04 = pipeline("""
        stage('unstable-one') {
            steps { echo('foo'); timeout(1) { unstable('oops-one') }; echo('bar') }
        }
        stage('success') { steps { echo('baz') } }
        stage('unstable-two') {
            steps {
                catchError(buildResult: 'UNSTABLE', stageResult: 'UNSTABLE') {
                    error('will-be-caught')
                }
            }
        }
        stage('failure') { steps { unstable('oops-masked'); error('oops-failure') } }
""")


def base(name):
    return "%s/pipelines/%s/runs/1/" % (ORG, name)


C12 = pipeline("""
        stage('first') {
            steps {
                script {
                    def branchInput = input message: 'Please input branch to test against',
                        parameters: [[$class: 'StringParameterDefinition', defaultValue: 'master',
                                      description: '', name: 'branch']]
                    echo "BRANCH NAME: ${branchInput}"
                }
            }
        }
""")


def test_c12_submit_input_with_parameters():
    jobs = write_jobs({"c12": C12})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("c12")
            deadline = time.time() + 10
            steps = []
            while time.time() < deadline and not (steps and steps[0]["state"] == "PAUSED"):
                steps = s.get_json(base("c12") + "steps/")
                time.sleep(0.02)
            step = steps[0]
            assert (step["state"], step["result"]) == ("PAUSED", "UNKNOWN"), steps
            assert step["input"]["id"] == "C51b52435b43a326d5d4f92c290a64d5"
            assert step["input"]["parameters"][0]["name"] == "branch"
            body = json.dumps({"id": step["input"]["id"],
                               "parameters": [{"name": "branch", "value": "master"}]}).encode()
            status = s.request("POST", base("c12") + "steps/%s/" % step["id"], body,
                               {"Content-Type": "application/json"})[0]
            assert status == 200
            assert s.wait_run("c12", 1)["result"] == "SUCCESS"
            done = s.get_json(base("c12") + "steps/%s/" % step["id"])
            assert (done["state"], done["result"], done["id"]) == ("FINISHED", "SUCCESS", step["id"])
            assert "\r\nBRANCH NAME: master\r\n" in s.run_log("c12")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


C11 = pipeline("""
        stage('parallelStage') {
            steps {
                script {
                    parallel left: {
                        echo 'running'
                        def branchInput = input message: 'Please input branch to test against',
                            parameters: [[$class: 'StringParameterDefinition', defaultValue: 'master',
                                          description: '', name: 'branch']]
                        echo "BRANCH NAME: ${branchInput}"
                    }, right: { sh 'sleep 38.25' }
                }
            }
        }
        stage('after') { steps { echo 'after' } }
""")


def test_c11_input_in_a_scripted_parallel_branch():
    jobs = write_jobs({"c11": C11})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("c11")
            deadline = time.time() + 10
            while s.get_json(base("c11"))["state"] != "PAUSED" and time.time() < deadline:
                time.sleep(0.02)
            assert s.get_json(base("c11"))["state"] == "PAUSED"
            nodes = s.get_json(base("c11") + "nodes/")
            assert [(n["displayName"], n["type"], n["state"], n["result"]) for n in nodes] == [
                ("parallelStage", "STAGE", "PAUSED", "UNKNOWN"),
                ("left", "PARALLEL", "PAUSED", "UNKNOWN"),
                ("right", "PARALLEL", "RUNNING", "UNKNOWN")], nodes
            stage, left, right = nodes[0]["id"], nodes[1]["id"], nodes[2]["id"]
            assert nodes[1]["firstParent"] == stage and nodes[2]["firstParent"] == stage
            assert [e["id"] for e in nodes[0]["edges"]] == [left, right]
            steps = s.get_json(base("c11") + "steps/")
            states = {st["displayName"]: st["state"] for st in steps}
            assert states["Shell Script"] == "RUNNING", steps
            assert states["Wait for interactive input"] == "PAUSED", steps
            waiting = [st for st in steps if st["state"] == "PAUSED"][0]
            assert waiting["input"]["id"] == "C51b52435b43a326d5d4f92c290a64d5"
            assert waiting["input"]["parameters"][0]["name"] == "branch"
            left_steps = s.get_json(base("c11") + "nodes/%s/steps/" % left)
            assert [st["displayName"] for st in left_steps] == [
                "Print Message", "Wait for interactive input"]
            body = json.dumps({"id": waiting["input"]["id"],
                               "parameters": [{"name": "branch", "value": "main"}]}).encode()
            assert s.request("POST", base("c11") + "steps/%s/" % waiting["id"], body,
                             {"Content-Type": "application/json"})[0] == 200
            s.stop_run("c11")
            run = s.wait_run("c11", 1)
            assert run["result"] == "ABORTED"
            assert "\r\nBRANCH NAME: main\r\n" in s.run_log("c11")
            nodes = s.get_json(base("c11") + "nodes/")
            assert [(n["displayName"], n["result"]) for n in nodes][:3] == [
                ("parallelStage", "ABORTED"), ("left", "SUCCESS"), ("right", "ABORTED")], nodes
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


C15A = """def foo = null
pipeline {
    agent any
    stages {
        stage('blah') { steps { script { sh "echo 42"; foo.bar = 42; sh "echo 43" } } }
    }
}
"""


def test_c15a_groovy_error_ends_the_last_step_log():
    jobs = write_jobs({"c15a": C15A})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("c15a")
            assert s.wait_run("c15a", 1)["result"] == "FAILURE"
            steps = s.get_json(base("c15a") + "steps/")
            assert [st["displayDescription"] for st in steps] == ["echo 42"], steps
            body = s.request("GET", base("c15a") + "steps/%s/log/" % steps[0]["id"])[2].decode()
            assert body.strip().endswith("Cannot set property 'bar' on null object"), body
            assert "echo 43" not in s.run_log("c15a")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_c15b_error_step_log():
    jobs = write_jobs({"c15": C15B})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("c15")
            assert s.wait_run("c15", 1)["result"] == "FAILURE"
            steps = s.get_json(base("c15") + "steps/")
            assert [st["displayName"] for st in steps] == ["Shell Script", "Error signal"]
            status, _, body = s.request("GET", base("c15") + "steps/%s/log/" % steps[1]["id"])
            assert status == 200
            assert body.decode().strip().endswith("this error should appear in log"), body
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_c17c_unstable_step_in_post():
    jobs = write_jobs({"c17": C17C})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("c17")
            assert s.wait_run("c17", 1)["result"] == "UNSTABLE"
            steps = s.get_json(base("c17") + "steps/")
            assert len(steps) == 4 and all(st["state"] == "FINISHED" for st in steps)
            results = {st["displayName"]: st["result"] for st in steps}
            assert results.pop("Set stage result to unstable") == "UNSTABLE"
            assert set(results.values()) == {"SUCCESS"}, steps
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_x03_parallel_fail_fast_statuses():
    jobs = write_jobs({"x03": X03})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("x03")
            assert s.wait_run("x03", 1)["result"] == "FAILURE"
            nodes = {n["displayName"]: n for n in s.get_json(base("x03") + "nodes/")}
            assert len(nodes["top"]["edges"]) == 3
            got = {name: (nodes[name]["state"], nodes[name]["result"])
                   for name in ("aborts", "fails", "succeeds")}
            assert got == {"aborts": ("FINISHED", "ABORTED"), "fails": ("FINISHED", "FAILURE"),
                           "succeeds": ("FINISHED", "SUCCESS")}, got
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_x04_unstable_and_caught_errors():
    jobs = write_jobs({"x04": X04})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("x04")
            assert s.wait_run("x04", 1)["result"] == "FAILURE"
            nodes = s.get_json(base("x04") + "nodes/")
            assert [(n["displayName"], n["state"], n["result"]) for n in nodes] == [
                ("unstable-one", "FINISHED", "UNSTABLE"), ("success", "FINISHED", "SUCCESS"),
                ("unstable-two", "FINISHED", "UNSTABLE"), ("failure", "FINISHED", "FAILURE")], \
                nodes
            assert [n["edges"][0]["id"] for n in nodes[:3]] == [n["id"] for n in nodes[1:]]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_c11_input_in_a_scripted_parallel_branch,
        test_c12_submit_input_with_parameters,
        test_c15a_groovy_error_ends_the_last_step_log,
        test_c15b_error_step_log,
        test_c17c_unstable_step_in_post,
        test_x03_parallel_fail_fast_statuses,
        test_x04_unstable_and_caught_errors,
    ])
