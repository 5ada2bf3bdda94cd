"""Build parameters: definitions on the pipeline resource, defaults, validation of
POST .../runs/ with Blue Ocean's messages, and the values a run sees."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests, write_jobs  # noqa: E402

PARAMS = """pipeline {
    agent any
    parameters {
        string(name: 'WHO', defaultValue: 'world', description: 'who to greet')
        booleanParam(name: 'LOUD', defaultValue: false, description: 'shout')
        choice(name: 'ENV', choices: ['dev', 'staging', 'prod'])
        text(name: 'NOTES', defaultValue: 'a\\nb')
        password(name: 'TOKEN', defaultValue: 'secret')
    }
    stages {
        stage('Greet') {
            steps {
                echo "hello ${params.WHO} loud=${params.LOUD} env=${params.ENV}"
                sh 'echo "shell: $WHO $LOUD $ENV"'
            }
        }
    }
}
"""


def post(s, body):
    return s.request("POST", "%s/pipelines/params/runs/" % ORG, json.dumps(body).encode(),
                     {"Content-Type": "application/json"})


def test_definitions_on_the_pipeline_resource():
    jobs = write_jobs({"params": PARAMS})
    try:
        with Server(jobs=jobs) as s:
            definitions = s.get_json(ORG + "/pipelines/params/")["parameters"]
            assert [d["name"] for d in definitions] == ["WHO", "LOUD", "ENV", "NOTES", "TOKEN"]
            assert definitions[0] == {
                "_class": "hudson.model.StringParameterDefinition",
                "defaultParameterValue": {"_class": "hudson.model.StringParameterValue",
                                          "name": "WHO", "value": "world"},
                "description": "who to greet", "name": "WHO",
                "type": "StringParameterDefinition"}, definitions[0]
            assert definitions[1]["_class"] == "hudson.model.BooleanParameterDefinition"
            assert definitions[1]["defaultParameterValue"]["value"] is False
            assert definitions[2]["type"] == "ChoiceParameterDefinition"
            assert definitions[2]["choices"] == ["dev", "staging", "prod"]
            assert definitions[2]["defaultParameterValue"]["value"] == "dev"
            assert definitions[3]["defaultParameterValue"]["value"] == "a\nb"
            assert definitions[4]["type"] == "PasswordParameterDefinition"
            assert definitions[4]["defaultParameterValue"]["value"] is None
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_validation_messages():
    jobs = write_jobs({"params": PARAMS})
    try:
        with Server(jobs=jobs) as s:
            cases = [
                ({}, "This is parameterized job, requires parameters"),
                ({"parameters": [{"name": "NOPE", "value": "x"}]},
                 "No such parameter definition: NOPE"),
                ({"parameters": [{"value": "x"}]}, "parameters.name is required element"),
                ({"parameters": [{"name": "ENV", "value": "qa"}]},
                 "Illegal choice for parameter ENV: qa"),
            ]
            for body, message in cases:
                status, _, text = post(s, body)
                assert status == 400, (body, status, text)
                assert json.loads(text)["message"] == message, text
            # Nothing was queued by the refused requests.
            assert s.get_json(ORG + "/pipelines/params/runs/") == []
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_values_reach_groovy_and_the_shell():
    jobs = write_jobs({"params": PARAMS})
    try:
        with Server(jobs=jobs) as s:
            status, _, text = post(s, {"parameters": [{"name": "WHO", "value": "tidepool"},
                                                      {"name": "LOUD", "value": True}]})
            assert status == 200 and json.loads(text)["state"] == "QUEUED"
            assert s.wait_run("params", 1)["result"] == "SUCCESS"
            log = s.request("GET", "%s/pipelines/params/runs/1/log/" % ORG)[2].decode()
            assert "\r\nhello tidepool loud=true env=dev\r\n" in log, log
            assert "\r\nshell: tidepool true dev\r\n" in log
            # Omitted parameters take their defaults.
            status, _, _ = post(s, {"parameters": []})
            assert status == 200
            assert s.wait_run("params", 2)["result"] == "SUCCESS"
            log = s.request("GET", "%s/pipelines/params/runs/2/log/" % ORG)[2].decode()
            assert "\r\nhello world loud=false env=dev\r\n" in log, log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_definitions_on_the_pipeline_resource,
        test_validation_messages,
        test_values_reach_groovy_and_the_shell,
    ])
