"""Jenkins' HTTP linter endpoints, and runs of pipelines the engine cannot run yet."""

import json
import os
import shutil
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests, write_jobs  # noqa: E402

VALID = "pipeline {\n  agent any\n  stages {\n    stage('a') { steps { echo 'x' } }\n  }\n}\n"
INVALID = "pipeline {\n  agent any\n  foo { }\n}\n"


def multipart(fields, boundary="----tidepoolboundary"):
    body = b""
    for name, value in fields.items():
        body += (b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                 % (boundary.encode(), name.encode(), value.encode()))
    body += b"--%s--\r\n" % boundary.encode()
    return body, {"Content-Type": "multipart/form-data; boundary=%s" % boundary}


def urlencoded(fields):
    return (urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})


def test_validate_answers_plain_text():
    with Server() as s:
        for encode in (multipart, urlencoded):
            body, headers = encode({"jenkinsfile": VALID})
            status, h, text = s.request("POST", "/pipeline-model-converter/validate", body, headers)
            assert status == 200 and h["content-type"].startswith("text/plain")
            assert text == b"Jenkinsfile successfully validated.", text
            body, headers = encode({"jenkinsfile": INVALID})
            status, _, text = s.request("POST", "/pipeline-model-converter/validate", body, headers)
            assert text.decode() == (
                "Errors encountered validating Jenkinsfile:\n"
                "WorkflowScript: 3: Undefined section \"foo\" @ line 3, column 3.\n"
                "     foo { }\n     ^\n\n"
                "WorkflowScript: 1: Missing required section \"stages\" @ line 1, column 1.\n"
                "   pipeline {\n   ^\n"), text
        status, _, text = s.request("POST", "/pipeline-model-converter/validate", b"",
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200 and text == b"No Jenkinsfile specified"
        body, headers = urlencoded({"jenkinsfile": "node { echo 'scripted' }"})
        status, _, text = s.request("POST", "/pipeline-model-converter/validate", body, headers)
        assert text == b"Jenkinsfile content 'node { echo 'scripted' }' did not contain the " \
                       b"'pipeline' step", text
        status, _, _ = s.request("GET", "/pipeline-model-converter/validate")
        assert status == 405


def test_validate_jenkinsfile_answers_json():
    with Server() as s:
        path = "/pipeline-model-converter/validateJenkinsfile"
        body, headers = urlencoded({"jenkinsfile": VALID})
        status, h, text = s.request("POST", path, body, headers)
        assert status == 200 and h["content-type"].startswith("application/json")
        assert json.loads(text) == {"status": "ok", "data": {"result": "success"}}
        body, headers = multipart({"jenkinsfile": INVALID})
        answer = json.loads(s.request("POST", path, body, headers)[2])
        assert answer == {"status": "ok", "data": {"result": "failure", "errors": [{"error": [
            "Undefined section \"foo\" @ line 3, column 3.",
            "Missing required section \"stages\" @ line 1, column 1."]}]}}, answer
        body, headers = urlencoded({"jenkinsfile": VALID.replace("agent any", "agent anything")})
        answer = json.loads(s.request("POST", path, body, headers)[2])
        assert answer["data"]["errors"] == [{"error": "Only \"agent none\", \"agent any\" or "
                                                      "\"agent {...}\" are allowed. @ line 2, "
                                                      "column 3."}], answer
        answer = json.loads(s.request("POST", path, b"", {})[2])
        assert answer["data"] == {"result": "failure", "errors": [
            {"error": "No content found for 'jenkinsfile' parameter"}]}
        # Garbage of every kind is still a clean answer.
        for junk in (b"\x00\xff" * 100, b"jenkinsfile=%zz", b"jenkinsfile=" + b"{" * 5000):
            status, _, text = s.request("POST", path, junk,
                                        {"Content-Type": "application/x-www-form-urlencoded"})
            assert status == 200 and json.loads(text)["status"] == "ok"


def test_runs_of_what_the_engine_cannot_run_yet_fail_clearly():
    jobs = write_jobs({"fork": """pipeline {
    agent any
    libraries { lib('shared@1.0') }
    stages {
        stage('a') {
            when { branch 'main' }
            steps { echo 'x' }
        }
    }
}
"""})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("fork")
            run = s.wait_run("fork", 1)
            assert run["result"] == "FAILURE"
            log = s.request("GET", "%s/pipelines/fork/runs/1/log/" % ORG)[2].decode()
            assert "ERROR: tidepool cannot run this pipeline yet: libraries (line 3)\r\n" in log, log
            assert "\r\nx\r\n" not in log
            assert log.endswith("Finished: FAILURE\r\n")
            assert "[Pipeline] Start of Pipeline" not in log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_validate_answers_plain_text,
        test_validate_jenkinsfile_answers_json,
        test_runs_of_what_the_engine_cannot_run_yet_fail_clearly,
    ])
