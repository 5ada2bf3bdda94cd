"""Restarting a declarative run from a top-level stage (Blue Ocean's "restart stage"): the
nodes that offer it, POST .../nodes/N/restart/, the stages before it skipped, isRestartedRun(),
the cause, and the pipelines that cannot restart."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests, write_jobs  # noqa: E402

FLAKY = """pipeline {
    agent any
    options { preserveStashes() }
    parameters { string(name: 'WHO', defaultValue: 'nobody') }
    stages {
        stage('Build') {
            steps {
                echo "building for ${params.WHO}"
                writeFile file: 'made.txt', text: "made by build ${BUILD_NUMBER}"
                stash name: 'made', includes: 'made.txt'
            }
        }
        stage('Test') {
            steps {
                sh 'rm -f made.txt'
                unstash 'made'
                sh 'cat made.txt; echo; test -f fixed && echo "tests pass for $WHO"'
            }
        }
        stage('Deploy') {
            when { isRestartedRun() }
            steps { echo 'deploying a restarted run' }
        }
    }
}
"""

FIXED = """pipeline {
    agent any
    options { disableRestartFromStage() }
    stages { stage('Only') { steps { echo 'once' } } }
}
"""

JSON = {"Content-Type": "application/json"}


def restart(s, pipeline, run, node, body=b'{"restart": true}'):
    path = "%s/pipelines/%s/runs/%s/nodes/%s/restart/" % (ORG, pipeline, run, node)
    status, _, data = s.request("POST", path, body, JSON)
    return status, json.loads(data)


def test_restart_from_a_stage():
    jobs = write_jobs({"flaky": FLAKY, "fixed": FIXED})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("flaky", b'{"parameters": [{"name": "WHO", "value": "ann"}]}')
            first = s.wait_run("flaky", 1)
            assert first["result"] == "FAILURE"
            nodes = {n["displayName"]: n for n in s.nodes("flaky", 1)}
            assert [(name, nodes[name]["restartable"]) for name in ("Build", "Test", "Deploy")] \
                == [("Build", True), ("Test", True), ("Deploy", False)], nodes
            single = s.get_json("%s/pipelines/flaky/runs/1/nodes/%s/" % (ORG, nodes["Test"]["id"]))
            assert single["restartable"] is True
            # fix what failed, then restart from Test: Build is not run again
            open(os.path.join(s.data, "workspace", "flaky", "fixed"), "w").close()
            status, queued = restart(s, "flaky", 1, nodes["Test"]["id"])
            assert status == 200 and queued["id"] == "2", queued
            second = s.wait_run("flaky", 2)
            log = s.run_log("flaky", 2).replace("\r\n", "\n")
            assert second["result"] == "SUCCESS", log
            assert second["causes"][0]["shortDescription"] == \
                "Restarted from build #1, stage Test", second["causes"]
            assert 'Stage "Build" skipped due to this build restarting at stage "Test"\n' in log
            assert "building for" not in log
            assert "tests pass for ann\n" in log  # the same parameters
            assert "deploying a restarted run\n" in log
            assert "made by build 1" in log  # the stash build 1 preserved
            nodes2 = [(n["displayName"], n["state"], n["result"]) for n in s.nodes("flaky", 2)]
            assert nodes2 == [("Build", "SKIPPED", "NOT_BUILT"), ("Test", "FINISHED", "SUCCESS"),
                              ("Deploy", "FINISHED", "SUCCESS")], nodes2
            build = s.get_json("/job/flaky/2/api/json")
            causes = [a for a in build["actions"] if a.get("_class") == "hudson.model.CauseAction"]
            assert causes[0]["causes"][0]["_class"] == "org.jenkinsci.plugins.pipeline." \
                "modeldefinition.causes.RestartDeclarativePipelineCause"
            # what cannot be restarted
            assert restart(s, "flaky", 1, nodes["Test"]["id"], b'{"restart": false}')[0] == 400
            assert restart(s, "flaky", 1, "999")[0] == 400
            assert restart(s, "flaky", 7, nodes["Test"]["id"])[0] == 404
            s.post_run("fixed")
            s.wait_run("fixed", 1)
            only = s.nodes("fixed", 1)[0]
            assert only["restartable"] is False
            assert restart(s, "fixed", 1, only["id"])[0] == 400
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_restart_from_a_stage])
