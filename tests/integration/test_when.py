"""when: every built-in condition, judged at run time, and what a skipped stage looks like."""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests, write_jobs  # noqa: E402

# Each stage's name says whether it must run (run-...) or be skipped (skip-...).
WHEN = """pipeline {
    agent any
    parameters { booleanParam(name: 'DEPLOY', defaultValue: false) }
    environment {
        BRANCH_NAME = 'main'
        DEPLOY_TO = 'Prod'
    }
    stages {
        stage('run-branch') { when { branch 'main' }; steps { echo 'x' } }
        stage('skip-branch-glob') { when { branch 'release-*' }; steps { echo 'x' } }
        stage('run-branch-regexp') { when { branch pattern: 'ma.*', comparator: 'REGEXP' }; steps { echo 'x' } }
        stage('skip-branch-equals') { when { branch pattern: 'mai', comparator: 'EQUALS' }; steps { echo 'x' } }
        stage('run-environment-ignorecase') { when { environment name: 'DEPLOY_TO', value: 'prod', ignoreCase: true }; steps { echo 'x' } }
        stage('skip-environment') { when { environment name: 'DEPLOY_TO', value: 'prod' }; steps { echo 'x' } }
        stage('run-equals') { when { equals expected: 2, actual: 2 }; steps { echo 'x' } }
        stage('skip-expression-boolean-param') { when { expression { params.DEPLOY } }; steps { echo 'x' } }
        stage('run-expression-regex') { when { expression { return env.BRANCH_NAME ==~ /(main|master)/ } }; steps { echo 'x' } }
        stage('skip-not') { when { not { branch 'main' } }; steps { echo 'x' } }
        stage('run-anyof') { when { anyOf { branch 'dev'; environment name: 'DEPLOY_TO', value: 'Prod' } }; steps { echo 'x' } }
        stage('skip-allof') { when { allOf { branch 'main'; expression { false } } }; steps { echo 'x' } }
        stage('skip-tag') { when { tag 'v*' }; steps { echo 'x' } }
        stage('skip-building-tag') { when { buildingTag() }; steps { echo 'x' } }
        stage('skip-change-request') { when { changeRequest() }; steps { echo 'x' } }
        stage('run-triggered-by-user') { when { triggeredBy 'UserIdCause' }; steps { echo 'x' } }
        stage('skip-triggered-by-timer') { when { triggeredBy 'TimerTrigger' }; steps { echo 'x' } }
        stage('skip-triggered-by-bob') { when { triggeredBy cause: 'UserIdCause', detail: 'bob' }; steps { echo 'x' } }
        stage('skip-changelog') { when { changelog '.*fix.*' }; steps { echo 'x' } }
        stage('skip-own-environment') {
            environment { OWN = 'yes' }
            when { environment name: 'OWN', value: 'yes' }
            steps { echo 'x' }
            post { always { echo 'post of a skipped stage never runs' } }
        }
        stage('run-several-anded') { when { branch 'main'; environment name: 'DEPLOY_TO', value: 'Prod' }; steps { echo 'x' } }
        stage('skip-parent') {
            when { branch 'nope' }
            stages { stage('skip-child') { steps { echo 'x' } } }
        }
    }
}
"""

BROKEN = """pipeline {
    agent any
    stages {
        stage('judge') { when { expression { noSuchVariable > 0 } }; steps { echo 'x' } }
        stage('after') { steps { echo 'y' } }
    }
}
"""


def test_every_condition():
    jobs = write_jobs({"when": WHEN})
    try:
        with Server(jobs=jobs) as s:
            s.request("POST", "%s/pipelines/when/runs/" % ORG, b'{"parameters":[]}',
                      {"Content-Type": "application/json"})
            run = s.wait_run("when", 1)
            assert run["result"] == "SUCCESS", run
            nodes = s.get_json("%s/pipelines/when/runs/1/nodes/" % ORG)
            wrong = []
            for n in nodes:
                expected = ("FINISHED", "SUCCESS") if n["displayName"].startswith("run-") \
                    else ("SKIPPED", "NOT_BUILT")
                if (n["state"], n["result"]) != expected:
                    wrong.append((n["displayName"], n["state"], n["result"]))
            assert wrong == [], wrong
            assert len(nodes) == 23
            skipped = [n for n in nodes if n["displayName"] == "skip-tag"][0]
            assert s.get_json("%s/pipelines/when/runs/1/nodes/%s/steps/" % (ORG, skipped["id"])) == []
            log = s.request("GET", "%s/pipelines/when/runs/1/log/" % ORG)[2].decode()
            assert 'Stage "skip-tag" skipped due to when conditional\r\n' in log
            assert "post of a skipped stage" not in log
            assert 'Stage "skip-child"' not in log  # children of a skipped stage are not visited
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_an_expression_that_throws_fails_the_stage():
    jobs = write_jobs({"broken": BROKEN})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("broken")
            assert s.wait_run("broken", 1)["result"] == "FAILURE"
            nodes = s.get_json("%s/pipelines/broken/runs/1/nodes/" % ORG)
            assert [(n["displayName"], n["result"]) for n in nodes] == [
                ("judge", "FAILURE"), ("after", "NOT_BUILT")]
            log = s.request("GET", "%s/pipelines/broken/runs/1/log/" % ORG)[2].decode()
            assert ("groovy.lang.MissingPropertyException: No such property: noSuchVariable for "
                    "class: groovy.lang.Binding") in log, log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_every_condition,
        test_an_expression_that_throws_fails_the_stage,
    ])
