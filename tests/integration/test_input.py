"""The input step: the run, its stage and the step wait PAUSED with Blue Ocean's input object;
POST .../steps/S/ proceeds or aborts (Blue Ocean cases C12 without parameters, C13)."""

import hashlib
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pipeline, run_tests, write_jobs  # noqa: E402

JSON = {"Content-Type": "application/json"}

GATE = pipeline("""
        stage('Gate') {
            steps {
                echo 'before'
                input message: 'Deploy to production?', ok: 'Ship it'
                echo 'after'
            }
        }
""")


def expected_id(message):
    digest = hashlib.md5(message.encode()).hexdigest()
    return digest[0].upper() + digest[1:]


def paused_step(s, name, number=1):
    """Waits until the run is PAUSED; returns its PAUSED step."""
    deadline = time.time() + 10
    while time.time() < deadline:
        run = s.get_json("%s/pipelines/%s/runs/%d/" % (ORG, name, number))
        if run["state"] == "PAUSED":
            steps = s.get_json("%s/pipelines/%s/runs/%d/steps/" % (ORG, name, number))
            return [st for st in steps if st["state"] == "PAUSED"][0]
        time.sleep(0.02)
    raise AssertionError("run never PAUSED")


def answer(s, name, step_id, body, number=1):
    return s.request("POST", "%s/pipelines/%s/runs/%d/steps/%s/" % (ORG, name, number, step_id),
                     json.dumps(body).encode(), JSON)


def test_input_pauses_and_proceeds():
    jobs = write_jobs({"gate": GATE})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("gate")
            step = paused_step(s, "gate")
            assert step["displayName"] == "Wait for interactive input"
            assert step["result"] == "UNKNOWN"
            inp = step["input"]
            assert inp["_class"] == "io.jenkins.blueocean.rest.impl.pipeline.InputStepImpl"
            assert inp["id"] == expected_id("Deploy to production?"), inp
            assert (inp["message"], inp["ok"], inp["parameters"], inp["submitter"]) == (
                "Deploy to production?", "Ship it", [], None)
            assert inp["_links"]["self"]["href"].endswith("/steps/%s/input/" % step["id"])
            nodes = s.nodes("gate")
            assert (nodes[0]["state"], nodes[0]["result"]) == ("PAUSED", "UNKNOWN")
            # Wrong answers leave it waiting.
            status, _, body = answer(s, "gate", step["id"], {"id": inp["id"]})
            assert status == 400 and json.loads(body)["message"] == "parameters is required"
            status, _, body = answer(s, "gate", step["id"], {"id": "Nope", "parameters": []})
            assert status == 400 and "does not have an Input with an id of 'Nope'" in \
                json.loads(body)["message"], body
            status, _, body = answer(s, "gate", step["id"],
                                     {"id": inp["id"], "parameters": []})
            assert (status, body) == (200, b""), (status, body)
            run = s.wait_run("gate", 1)
            assert run["result"] == "SUCCESS"
            log = s.run_log("gate")
            assert "Deploy to production?\r\nShip it or Abort\r\nApproved by anonymous\r\n" in log
            assert log.index("before") < log.index("Approved") < log.index("after")
            done = s.get_json("%s/pipelines/gate/runs/1/steps/%s/" % (ORG, step["id"]))
            assert (done["state"], done["result"], done["input"]) == ("FINISHED", "SUCCESS", None)
            # Nothing waits any more.
            status, _, _ = answer(s, "gate", step["id"], {"id": inp["id"], "parameters": []})
            assert status == 400
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_input_abort_stop_and_submitter():
    jobs = write_jobs({
        "abort": pipeline("stage('thing') { steps { input 'continue' } }\n"),
        "stopme": pipeline("stage('wait') { steps { input 'continue?' } }\n"),
        "alice": pipeline("stage('s') { steps { input message: 'ok?', id: 'approve', "
                          "submitter: 'alice, bob' } }\n"),
    })
    try:
        with Server(jobs=jobs, executors=3) as s:
            for name in ("abort", "stopme", "alice"):
                s.post_run(name)
            step = paused_step(s, "abort")
            status, _, _ = answer(s, "abort", step["id"], {"id": step["input"]["id"],
                                                           "abort": True})
            assert status == 200
            assert s.wait_run("abort", 1)["result"] == "ABORTED"
            done = s.get_json("%s/pipelines/abort/runs/1/steps/%s/" % (ORG, step["id"]))
            assert (done["state"], done["result"]) == ("FINISHED", "ABORTED")
            assert "Aborted by anonymous\r\n" in s.run_log("abort")

            paused_step(s, "stopme")
            s.stop_run("stopme")
            assert s.wait_run("stopme", 1)["result"] == "ABORTED"

            step = paused_step(s, "alice")
            assert step["input"]["id"] == "Approve" and step["input"]["submitter"] == "alice, bob"
            status, _, body = answer(s, "alice", step["id"], {"id": "Approve", "parameters": []})
            assert status == 400 and json.loads(body)["message"] == \
                "You need to be alice, bob to submit this.", body
            s.stop_run("alice")
            assert s.wait_run("alice", 1)["result"] == "ABORTED"
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


STAGE_INPUT = """pipeline {
    agent any
    stages {
        stage('Build') { steps { echo 'built' } }
        stage('Deploy') {
            input {
                message 'Ship it?'
                ok 'Yes'
                submitter 'anonymous'
            }
            steps { echo 'shipping' }
        }
    }
}
"""


def test_stage_input_directive_waits_before_the_body():
    jobs = write_jobs({"ship": STAGE_INPUT})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("ship")
            step = paused_step(s, "ship")
            assert step["input"]["id"] == expected_id("Ship it?") and step["input"]["ok"] == "Yes"
            nodes = s.nodes("ship")
            assert [(n["displayName"], n["state"]) for n in nodes] == [
                ("Build", "FINISHED"), ("Deploy", "PAUSED")], nodes
            assert "shipping" not in s.run_log("ship")
            status, _, _ = answer(s, "ship", step["id"], {"id": step["input"]["id"],
                                                          "parameters": []})
            assert status == 200
            assert s.wait_run("ship", 1)["result"] == "SUCCESS"
            log = s.run_log("ship")
            assert log.index("Approved by anonymous") < log.index("\r\nshipping\r\n")
            names = [st["displayName"] for st in s.node_steps("ship", nodes[1]["id"])]
            assert names == ["Wait for interactive input", "Print Message"], names
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


PARAMS_INPUT = """pipeline {
    agent any
    stages {
        stage('Deploy') {
            input {
                message 'Where to?'
                parameters {
                    string(name: 'TARGET', defaultValue: 'staging', description: 'environment')
                    booleanParam(name: 'FORCE', defaultValue: false)
                }
            }
            steps {
                echo "to ${TARGET} force=${env.FORCE}"
                sh 'echo "sh sees $TARGET"'
            }
        }
    }
}
"""


def test_stage_input_parameters_become_the_stage_environment():
    jobs = write_jobs({"where": PARAMS_INPUT})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("where")
            step = paused_step(s, "where")
            params = step["input"]["parameters"]
            assert [(p["name"], p["type"], p["defaultParameterValue"]["value"]) for p in params] \
                == [("TARGET", "StringParameterDefinition", "staging"),
                    ("FORCE", "BooleanParameterDefinition", False)], params
            input_id = step["input"]["id"]
            status, _, body = answer(s, "where", step["id"], {
                "id": input_id, "parameters": [{"name": "NOPE", "value": "x"}]})
            assert status == 400 and json.loads(body)["message"] == \
                "No such parameter definition: NOPE", body
            status, _, _ = answer(s, "where", step["id"], {
                "id": input_id, "parameters": [{"name": "TARGET", "value": "prod"}]})
            assert status == 200
            assert s.wait_run("where", 1)["result"] == "SUCCESS"
            log = s.run_log("where")
            assert "\r\nto prod force=false\r\n" in log and "\r\nsh sees prod\r\n" in log, log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_input_pauses_and_proceeds,
        test_input_abort_stop_and_submitter,
        test_stage_input_directive_waits_before_the_body,
        test_stage_input_parameters_become_the_stage_environment,
    ])
