"""Groovy-lite: script {} blocks that call steps and branch on what they return, the binding
shared by script blocks, env.X writes, currentBuild, try/catch around failing steps, block steps
called from Groovy (dir, withEnv, retry, catchError, timeout), top-level methods, and the errors
Jenkins reports for bad Groovy."""

import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pids_with, pipeline, run_tests, write_jobs  # noqa: E402

JSON = {"Content-Type": "application/json"}


def lines(log):
    return log.split("\n")


def console(s, name, number=1):
    """The run's console log with Jenkins' CRLF line ends made plain."""
    return s.run_log(name, number).replace("\r\n", "\n")

BRANCHING = """
def label(v) {
    return "release-" + v
}
def SUFFIX = '-final'

pipeline {
    agent any
    environment { DECLARED = 'from-environment' }
    stages {
        stage('Version') {
            steps {
                script {
                    def raw = sh(returnStdout: true, script: 'echo "  2.5.1  "; echo noise >&2')
                    def version = raw.trim()
                    if (version.startsWith('2.')) {
                        VERSION = version
                        echo "major two: ${label(version)}${SUFFIX}"
                    } else {
                        error "unexpected ${version}"
                    }
                    def status = sh(script: 'exit 3', returnStatus: true)
                    echo "status=${status} parts=${VERSION.tokenize('.')} size=${VERSION.split(/\\./).size()}"
                    env.BUILT_VERSION = "v${VERSION}"
                    env.DECLARED = 'overridden'
                    def names = []
                    ['x', 'y'].each { n -> sh "echo item-${n}"; names << n.toUpperCase() }
                    echo "names=${names.join('+')} exists=${fileExists('nope.txt')}"
                }
            }
        }
        stage('Use') {
            when { expression { VERSION == '2.5.1' && env.BUILT_VERSION == 'v2.5.1' } }
            steps {
                sh 'echo "shell sees $BUILT_VERSION and $DECLARED"'
                echo "groovy sees ${VERSION}"
            }
        }
        stage('Skipped') {
            when { expression { return VERSION.startsWith('3.') } }
            steps { echo 'never' }
        }
    }
}
"""


def test_a_script_branches_on_what_its_steps_return():
    jobs = write_jobs({"branching": BRANCHING})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("branching")
            run = s.wait_run("branching", 1)
            log = console(s, "branching")
            assert run["result"] == "SUCCESS", log
            # Every line once: passes replayed after a step never log again.
            for line in ["major two: release-2.5.1-final", "status=3 parts=[2, 5, 1] size=3",
                         "names=X+Y exists=false", "item-x", "item-y", "noise",
                         "shell sees v2.5.1 and from-environment", "groovy sees 2.5.1"]:
                assert lines(log).count(line) == 1, (line, log)
            # returnStdout: stdout is the value, not the log; stderr stays in the log.
            assert "\n  2.5.1  \n" not in log
            assert "[Pipeline] script\n[Pipeline] {\n[Pipeline] sh\n" in log
            assert "[Pipeline] }\n[Pipeline] // script\n" in log
            nodes = s.nodes("branching")
            assert [(n["displayName"], n["result"]) for n in nodes] == [
                ("Version", "SUCCESS"), ("Use", "SUCCESS"), ("Skipped", "NOT_BUILT")]
            steps = s.node_steps("branching", nodes[0]["id"])
            # The script block is not a step; the steps it ran are, in order.
            assert [st["displayName"] for st in steps] == [
                "Shell Script", "Print Message", "Shell Script", "Print Message",
                "Shell Script", "Shell Script", "Verify if file exists in workspace", "Print Message"
            ], steps
            assert steps[1]["displayDescription"] == "major two: release-2.5.1-final"
            assert all(st["result"] == "SUCCESS" for st in steps)
            assert len({st["id"] for st in steps}) == len(steps)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


FAILURES = pipeline("""
        stage('Catch') {
            steps {
                script {
                    try {
                        sh 'echo trying; exit 2'
                        echo 'not reached'
                    } catch (e) {
                        echo "caught ${e.getMessage()}"
                    } finally {
                        echo 'cleanup'
                    }
                    try {
                        error 'custom failure'
                    } catch (Exception e) {
                        echo "caught again: ${e.message}"
                    }
                    currentBuild.result = 'UNSTABLE'
                    echo "now ${currentBuild.currentResult}"
                }
            }
        }
        stage('Throw') {
            steps {
                script {
                    def n = 0
                    n++
                    error "boom ${n}"
                }
            }
        }
        stage('Later') { steps { echo 'never' } }
""")


def test_a_failing_step_throws_inside_groovy():
    jobs = write_jobs({"failures": FAILURES})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("failures")
            run = s.wait_run("failures", 1)
            log = console(s, "failures")
            assert run["result"] == "FAILURE", log
            for line in ["trying", "caught script returned exit code 2", "cleanup",
                         "caught again: custom failure", "now UNSTABLE"]:
                assert lines(log).count(line) == 1, (line, log)
            assert "not reached" not in log
            assert log.endswith("ERROR: boom 1\nFinished: FAILURE\n"), log
            nodes = s.nodes("failures")
            assert [(n["displayName"], n["result"]) for n in nodes] == [
                ("Catch", "SUCCESS"), ("Throw", "FAILURE"), ("Later", "NOT_BUILT")]
            steps = s.node_steps("failures", nodes[0]["id"])
            assert [(st["displayName"], st["result"]) for st in steps][:2] == [
                ("Shell Script", "FAILURE"), ("Print Message", "SUCCESS")]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


BLOCKS = pipeline("""
        stage('Blocks') {
            steps {
                script {
                    def counter = 0
                    dir('sub/dir') {
                        writeFile file: 'a.txt', text: 'hello'
                        counter += 1
                        inner = pwd()
                    }
                    echo "counter=${counter} inner=${inner.endsWith('/sub/dir')} text=${readFile('sub/dir/a.txt')}"
                    withEnv(['GREETING=hi', 'PATH+EXTRA=/opt/extra/bin']) {
                        sh 'echo "$GREETING ${PATH%%:*}"'
                        echo "groovy env ${env.GREETING}"
                    }
                    echo "after withEnv ${env.GREETING}"
                    retry(3) {
                        sh 'n=$(cat tries 2>/dev/null || echo 0); n=$((n+1)); echo $n > tries; test $n -ge 2'
                    }
                    catchError(buildResult: 'UNSTABLE', stageResult: 'UNSTABLE') {
                        sh 'exit 7'
                    }
                    try {
                        timeout(time: 1, unit: 'SECONDS') {
                            sh 'sleep 31.25'
                        }
                    } catch (err) {
                        echo "timed out: ${err instanceof Exception}"
                    }
                    def tries = 0
                    waitUntil(initialRecurrencePeriod: 20) {
                        tries++
                        sh "echo attempt-${tries}"
                        return tries >= 3
                    }
                    echo "tries=${tries}"
                }
            }
        }
""")


def test_block_steps_run_groovy_closures():
    jobs = write_jobs({"blocks": BLOCKS})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("blocks")
            run = s.wait_run("blocks", 1)
            log = console(s, "blocks")
            assert run["result"] == "UNSTABLE", log
            for line in ["counter=1 inner=true text=hello", "hi /opt/extra/bin",
                         "groovy env hi", "after withEnv null", "timed out: true",
                         "Retrying", "ERROR: script returned exit code 7",
                         "Cancelling nested steps due to timeout", "attempt-1", "attempt-2",
                         "attempt-3", "tries=3"]:
                assert lines(log).count(line) == 1, (line, log)
            assert "[Pipeline] dir\nRunning in " in log
            assert "[Pipeline] // retry\n" in log
            assert log.count("Will try again after ") == 2, log
            nodes = s.nodes("blocks")
            assert nodes[0]["result"] == "UNSTABLE"
            assert pids_with(b"31.25") == []
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


ERRORS = {
    "missing": pipeline("stage('S') { steps { script { echo \"${undefinedName}\" } } }"),
    "unknown": pipeline("stage('S') { steps { script { frobnicate 'x' } } }"),
    "endless": pipeline("stage('S') { steps { script { def i = 0; while (true) { i++ } } } }"),
    "unsupported": pipeline("stage('S') { steps { script { bat('dir') } } }"),
}


def test_groovy_errors_read_as_in_jenkins():
    jobs = write_jobs(ERRORS)
    try:
        with Server(jobs=jobs) as s:
            for name in ERRORS:
                s.post_run(name)
            logs = {}
            for name in ERRORS:
                assert s.wait_run(name, 1)["result"] == "FAILURE"
                logs[name] = console(s, name)
            assert ("groovy.lang.MissingPropertyException: No such property: undefinedName for "
                    "class: groovy.lang.Binding\n") in logs["missing"]
            assert "java.lang.NoSuchMethodError: No such DSL method 'frobnicate' found among " \
                "steps [ansiColor, archiveArtifacts, build, catchError, checkout, cleanWs, deleteDir, dir, " \
                "echo" in \
                logs["unknown"]
            assert "the script ran more than 20 million operations" in logs["endless"]
            assert "ERROR: tidepool does not support the 'bat' step yet" in logs["unsupported"]
            # the server is still serving
            assert s.get_json("%s/pipelines/endless/" % ORG)["name"] == "endless"
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


PREVIOUS = pipeline("""
        stage('S') {
            steps {
                script {
                    echo "previous=${currentBuild.previousBuild?.result} number=${currentBuild.number}"
                    echo "causes=${currentBuild.getBuildCauses()[0].shortDescription}"
                    if (currentBuild.number == 1) {
                        error 'first run fails'
                    }
                }
            }
        }
""")


def test_current_build_sees_earlier_runs():
    jobs = write_jobs({"previous": PREVIOUS})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("previous")
            assert s.wait_run("previous", 1)["result"] == "FAILURE"
            s.post_run("previous")
            assert s.wait_run("previous", 2)["result"] == "SUCCESS"
            assert "previous=null number=1\n" in console(s, "previous", 1)
            log = console(s, "previous", 2)
            assert "previous=FAILURE number=2\n" in log, log
            assert "causes=Started by user anonymous\n" in log, log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


STOPPED = pipeline("""
        stage('S') {
            steps {
                script {
                    try {
                        sh 'sleep 32.5'
                    } catch (e) {
                        stopped = e.getClass()
                        sh 'echo must not run'
                    }
                }
            }
        }
""")


def test_a_stopped_run_starts_no_more_steps_from_groovy():
    jobs = write_jobs({"stopped": STOPPED})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("stopped")
            deadline = time.time() + 10
            while not pids_with(b"32.5") and time.time() < deadline:
                time.sleep(0.02)
            s.stop_run("stopped")
            run = s.wait_run("stopped", 1)
            log = console(s, "stopped")
            assert run["result"] == "ABORTED", log
            assert "must not run" not in log
            assert log.count("[Pipeline] sh\n") == 1, log
            assert pids_with(b"32.5") == []
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


GATED = pipeline("""
        stage('Gate') {
            steps {
                script {
                    def answer = input message: 'Go on?'
                    echo "answer=${answer}"
                    sh 'echo approved path'
                    def picked = input message: 'Where to?', submitterParameter: 'approver',
                        parameters: [string(name: 'TARGET', defaultValue: 'staging'),
                                     booleanParam(name: 'FORCE', defaultValue: true)]
                    echo "target=${picked.TARGET} force=${picked.FORCE} by=${picked.approver}"
                }
            }
        }
""")


def test_input_inside_a_script_block():
    jobs = write_jobs({"gated": GATED})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("gated")
            deadline = time.time() + 10
            step = None
            while time.time() < deadline and step is None:
                if s.get_json("%s/pipelines/gated/runs/1/" % ORG)["state"] == "PAUSED":
                    steps = s.get_json("%s/pipelines/gated/runs/1/steps/" % ORG)
                    step = [st for st in steps if st["state"] == "PAUSED"][0]
                time.sleep(0.02)
            assert step is not None
            body = ('{"id": "%s", "parameters": []}' % step["input"]["id"]).encode()
            status = s.request("POST", "%s/pipelines/gated/runs/1/steps/%s/" % (ORG, step["id"]),
                               body, JSON)[0]
            assert status == 200
            # The second input: parameters given as Groovy values, and who answered.
            first, step = step["id"], None
            deadline = time.time() + 10
            while time.time() < deadline and step is None:
                steps = s.get_json("%s/pipelines/gated/runs/1/steps/" % ORG)
                waiting = [st for st in steps if st["state"] == "PAUSED" and st["id"] != first]
                step = waiting[0] if waiting else None
                time.sleep(0.02)
            assert step is not None
            params = step["input"]["parameters"]
            assert [(p["name"], p["type"], p["defaultParameterValue"]["value"]) for p in params] \
                == [("TARGET", "StringParameterDefinition", "staging"),
                    ("FORCE", "BooleanParameterDefinition", True)], params
            body = json.dumps({"id": step["input"]["id"],
                               "parameters": [{"name": "TARGET", "value": "prod"}]}).encode()
            status = s.request("POST", "%s/pipelines/gated/runs/1/steps/%s/" % (ORG, step["id"]),
                               body, JSON)[0]
            assert status == 200
            assert s.wait_run("gated", 1)["result"] == "SUCCESS"
            log = console(s, "gated")
            assert lines(log).count("target=prod force=true by=anonymous") == 1, log
            assert lines(log).count("answer=null") == 1, log
            assert lines(log).count("approved path") == 1, log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


PARALLEL = pipeline("""
        stage('Prep') { steps { echo 'prep' } }
        stage('Test') {
            steps {
                script {
                    def branches = [:]
                    for (x in ['unit', 'api']) {
                        def name = x
                        branches[name] = { sh "echo testing ${name}" }
                    }
                    branches['lint'] = { echo 'linting' }
                    parallel branches
                    try {
                        parallel fast: { echo 'fast' }, broken: { sh 'exit 2' }, failFast: true
                    } catch (e) {
                        echo "caught ${e.message}"
                    }
                }
            }
        }
        stage('Done') { steps { echo 'done' } }
""")


def test_parallel_in_groovy_makes_branch_nodes():
    jobs = write_jobs({"par": PARALLEL})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("par")
            run = s.wait_run("par", 1)
            log = console(s, "par")
            assert run["result"] == "SUCCESS", log
            for line in ["testing unit", "testing api", "linting", "fast", "Failed in branch broken",
                         "caught script returned exit code 2", "done"]:
                assert lines(log).count(line) == 1, (line, log)
            assert "[Pipeline] parallel\n[Pipeline] { (Branch: api)\n" in log
            nodes = s.nodes("par")
            assert [(n["displayName"], n["type"], n["result"]) for n in nodes] == [
                ("Prep", "STAGE", "SUCCESS"), ("Test", "STAGE", "SUCCESS"),
                ("api", "PARALLEL", "SUCCESS"), ("lint", "PARALLEL", "SUCCESS"),
                ("unit", "PARALLEL", "SUCCESS"), ("broken", "PARALLEL", "FAILURE"),
                ("fast", "PARALLEL", "SUCCESS"), ("Done", "STAGE", "SUCCESS")], nodes
            by_name = {n["displayName"]: n for n in nodes}
            assert all(by_name[b]["firstParent"] == by_name["Test"]["id"]
                       for b in ["api", "lint", "unit", "broken", "fast"])
            assert [e["id"] for e in by_name["api"]["edges"]] == [by_name["Done"]["id"]]
            steps = s.node_steps("par", by_name["unit"]["id"])
            assert [(st["displayName"], st["displayDescription"]) for st in steps] == [
                ("Shell Script", "echo testing unit")]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


INNER = pipeline("""
        stage('Outer') {
            steps {
                script {
                    for (n in ['one', 'two']) {
                        stage("inner ${n}") { sh 'echo in $STAGE_NAME' }
                    }
                }
            }
        }
""")


def test_a_stage_inside_script_belongs_to_its_stage():
    jobs = write_jobs({"inner": INNER})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("inner")
            assert s.wait_run("inner", 1)["result"] == "SUCCESS"
            log = console(s, "inner")
            assert "[Pipeline] stage\n[Pipeline] { (inner one)\n" in log
            assert lines(log).count("in inner two") == 1, log
            nodes = s.nodes("inner")
            assert [n["displayName"] for n in nodes] == ["Outer"]
            steps = s.node_steps("inner", nodes[0]["id"])
            assert [st["displayDescription"] for st in steps] == ["echo in $STAGE_NAME"] * 2
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


DESCRIBED = pipeline("""
        stage('S') {
            steps {
                script {
                    currentBuild.description = "built from ${env.BUILD_NUMBER}"
                    currentBuild.displayName = 'v1.2.3'
                    echo "shown as ${currentBuild.displayName}: ${currentBuild.description}"
                }
            }
        }
""")


def test_current_build_description_and_display_name_are_kept():
    jobs = write_jobs({"described": DESCRIBED})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("described")
            run = s.wait_run("described", 1)
            assert (run["description"], run["name"]) == ("built from 1", "v1.2.3"), run
            assert lines(console(s, "described")).count("shown as v1.2.3: built from 1") == 1
            build = s.get_json("/job/described/1/api/json")
            assert (build["description"], build["displayName"], build["fullDisplayName"]) == (
                "built from 1", "v1.2.3", "described v1.2.3")
            assert s.get_json("/job/described/1/wfapi/describe")["name"] == "v1.2.3"
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


SHARED = pipeline("""
        stage('Fan') {
            parallel {
                stage('a') { steps { script { fromA = 'A1'; env.FROM_A = 'envA' } } }
                stage('b') { steps { script { fromB = 'B1'; env.FROM_B = 'envB' } } }
            }
        }
        stage('Groovy') {
            steps {
                script {
                    def results = [:]
                    def failed = []
                    def count = 0
                    try {
                        parallel one: {
                                     results['one'] = sh(returnStdout: true, script: 'echo r1').trim()
                                     failed << 'none'
                                     env.FROM_ONE = 'e1'
                                     count = 1
                                 },
                                 two: {
                                     sh 'sleep 0.2'
                                     results['two'] = 'r2'
                                     fromTwo = 'T'
                                     sh 'exit 3'
                                 },
                                 three: { results.three = 'r3'; failed << 'three' }
                    } catch (e) {
                        echo "caught ${e.message}"
                    }
                    echo "results ${results.sort()} failed ${failed.sort()} count ${count}"
                }
            }
        }
        stage('After') {
            steps {
                echo "binding ${fromA} ${fromB} ${fromTwo}"
                sh 'echo "env $FROM_A $FROM_B $FROM_ONE"'
            }
        }
""")


def test_what_parallel_branches_change_is_seen_after_them():
    # Branches share the script's objects in Jenkins: a map or list each branch adds to holds
    # every branch's entries afterwards; binding variables and env writes outlive the branch.
    jobs = write_jobs({"shared": SHARED})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("shared")
            run = s.wait_run("shared", 1)
            log = console(s, "shared")
            assert run["result"] == "SUCCESS", log
            assert "caught script returned exit code 3" in lines(log), log
            assert "results [one:r1, three:r3, two:r2] failed [none, three] count 1" in lines(log), log
            assert "binding A1 B1 T" in lines(log), log
            assert "env envA envB e1" in lines(log), log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


ENV_STEPS = """
def shortName() {
    return sh(returnStdout: true, script: 'echo "  short-from-method  "').trim()
}

pipeline {
    agent any
    environment {
        FIRST = sh(returnStdout: true, script: 'echo "  first value  "').trim()
        SECOND = "${env.FIRST}-second"
        THIRD = shortName()
    }
    stages {
        stage('Use') {
            environment { STAGED = sh(script: 'echo "staged $SECOND"', returnStdout: true).trim() }
            steps { sh 'echo "FIRST=$FIRST SECOND=$SECOND THIRD=$THIRD STAGED=$STAGED"' }
        }
        stage('Broken') {
            environment { NEVER = sh(returnStdout: true, script: 'exit 4').trim() }
            steps { echo 'never' }
        }
    }
}
"""


def test_environment_values_may_call_steps():
    # environment { X = sh(returnStdout: true, ...).trim() }: the value is the step's, made as
    # the stage (or pipeline) is entered, before its withEnv; later values see earlier ones.
    jobs = write_jobs({"envsteps": ENV_STEPS})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("envsteps")
            run = s.wait_run("envsteps", 1)
            log = console(s, "envsteps")
            assert run["result"] == "FAILURE", log
            assert "FIRST=first value SECOND=first value-second THIRD=short-from-method " \
                "STAGED=staged first value-second" in lines(log), log
            assert "never" not in lines(log)
            assert "ERROR: script returned exit code 4" in lines(log), log
            # the pipeline's values are made before its withEnv opens, the stage's in it
            assert log.index("[Pipeline] sh") < log.index("[Pipeline] withEnv")
            nodes = {n["displayName"]: n for n in s.nodes("envsteps")}
            assert nodes["Broken"]["result"] == "FAILURE"
            steps = s.node_steps("envsteps", nodes["Use"]["id"])
            assert [st["displayDescription"] for st in steps] == [
                'echo "staged $SECOND"',
                'echo "FIRST=$FIRST SECOND=$SECOND THIRD=$THIRD STAGED=$STAGED"'], steps
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_a_script_branches_on_what_its_steps_return,
        test_a_failing_step_throws_inside_groovy,
        test_block_steps_run_groovy_closures,
        test_groovy_errors_read_as_in_jenkins,
        test_current_build_sees_earlier_runs,
        test_a_stopped_run_starts_no_more_steps_from_groovy,
        test_input_inside_a_script_block,
        test_parallel_in_groovy_makes_branch_nodes,
        test_a_stage_inside_script_belongs_to_its_stage,
        test_current_build_description_and_display_name_are_kept,
        test_what_parallel_branches_change_is_seen_after_them,
        test_environment_values_may_call_steps,
    ])
