"""The command line: run, lint, serve options, version and help."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import BINARY, SOURCE_DIR, run_tests  # noqa: E402

SAMPLES = os.path.join(SOURCE_DIR, "samples")


def tidepool(*args, timeout=60):
    return subprocess.run([BINARY] + list(args), capture_output=True, timeout=timeout)


def write(text, suffix=".Jenkinsfile"):
    f = tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False)
    f.write(text)
    f.close()
    return f.name


def test_version_and_help():
    r = tidepool("--version")
    assert r.returncode == 0 and r.stdout.decode().startswith("tidepool ")
    r = tidepool("--help")
    assert r.returncode == 0
    for word in ("serve", "--port", "--bind", "--data", "--jobs", "--executors", "run",
                 "--param", "lint"):
        assert word in r.stdout.decode(), word
    r = tidepool()
    assert r.returncode != 0 and b"usage" in r.stderr
    r = tidepool("frobnicate")
    assert r.returncode != 0 and b"unknown command" in r.stderr


def test_serve_rejects_bad_options():
    for args in (["--port", "99999"], ["--port", "x"], ["--executors", "0"], ["--nope", "1"],
                 ["--port"]):
        r = tidepool("serve", *args)
        assert r.returncode != 0 and r.stderr.startswith(b"tidepool: "), (args, r.stderr)
    r = tidepool("serve", "--bind", "not-an-address", "--port", "0", "--data",
                 tempfile.mkdtemp())
    assert r.returncode != 0 and b"cannot listen" in r.stderr


def test_run_streams_log_and_exits_with_result():
    r = tidepool("run", os.path.join(SAMPLES, "build-test-deploy.Jenkinsfile"))
    out = r.stdout.decode()
    assert r.returncode == 0, (out, r.stderr)
    assert out.startswith("Started by user anonymous\n[Pipeline] Start of Pipeline\n")
    assert "[Pipeline] { (Build)\n" in out and out.endswith("Finished: SUCCESS\n")
    r = tidepool("run", os.path.join(SAMPLES, "failing.Jenkinsfile"))
    assert r.returncode == 1 and r.stdout.decode().endswith("Finished: FAILURE\n")
    # The flow-shaping sample: one retry, a caught failure, the deploy skipped.
    r = tidepool("run", os.path.join(SAMPLES, "resilient.Jenkinsfile"))
    out = r.stdout.decode()
    assert r.returncode == 1 and out.endswith("Finished: UNSTABLE\n"), out
    assert out.count("Retrying\n") == 1 and "\n1.0.1\n" in out
    assert 'Stage "Deploy" skipped due to earlier stage(s) marking the build as unstable' in out
    # Nobody can answer an input without a server: it fails at once instead of waiting.
    with tempfile.NamedTemporaryFile("w", suffix=".Jenkinsfile", delete=False) as f:
        f.write("pipeline { agent any\n stages { stage('A') { steps { input 'go?' } } } }\n")
    try:
        r = tidepool("run", f.name)
        assert r.returncode == 1 and "ERROR: nobody can answer an input here" in \
            r.stdout.decode(), r.stdout
    finally:
        os.unlink(f.name)


STUBBED = """pipeline {
    agent any
    stages {
        stage('Plugins') {
            steps {
                slackSend channel: '#builds', message: 'started'
                sonarScan 'my-project'
                withMaven(maven: 'M3') {
                    sh 'echo inside the agent'
                }
                script {
                    notifyTeam status: 'ok'
                    lock('db') { echo 'locked work' }
                }
                deployProd()
                echo 'never'
            }
        }
    }
}
"""

STUBS = """# plugin steps this sandbox does not have
slackSend noop
sonarScan shell:echo "scanning with $TP_STUB_ARGS"
withMaven noop
notifyTeam noop
lock noop
deployProd fail
"""


def test_run_with_stubbed_plugin_steps():
    jenkinsfile = write(STUBBED)
    stubs = write(STUBS, suffix=".stubs")
    bad = write("slackSend maybe\n", suffix=".stubs")
    try:
        r = tidepool("run", jenkinsfile, "--stubs", stubs)
        out = r.stdout.decode()
        assert r.returncode == 1 and out.endswith("Finished: FAILURE\n"), out
        lines = out.split("\n")
        for line in ["tidepool stub: slackSend (noop)", "tidepool stub: sonarScan (shell)",
                     'scanning with {"args":["my-project"]}',
                     "tidepool stub: withMaven (noop, its body runs)", "inside the agent",
                     "tidepool stub: notifyTeam (noop)", "Lock acquired on [Resource: db]",
                     "locked work", "Lock released on resource [Resource: db]", "tidepool stub: deployProd (fail)",
                     "ERROR: deployProd is stubbed to fail"]:
            assert line in lines, (line, out)
        assert "never" not in lines
        r = tidepool("run", jenkinsfile, "--stubs", bad)
        assert r.returncode == 2
        assert b"line 1: expected noop, shell:<command> or fail after slackSend" in r.stderr
        # without stubs: notifications are only logged; a step nobody has fails as in Jenkins
        r = tidepool("run", jenkinsfile)
        out = r.stdout.decode()
        assert "tidepool: Slack message to #builds: started not sent (a sandbox sends no " \
            "notifications; --stubs can map slackSend to a command)" in out.split("\n"), out
        assert "No such DSL method 'sonarScan' found among steps" in out, out
    finally:
        for path in (jenkinsfile, stubs, bad):
            os.unlink(path)


def test_run_uses_real_shell_semantics():
    text = """pipeline {
    agent any
    stages {
        stage('Shell') {
            steps {
                sh 'yes | head -1'
                sh '''#!/bin/bash
echo "bash without -x: ${BASH_VERSION:+yes}"
'''
                sh 'echo to-stderr >&2; echo to-stdout'
                sh 'pwd'
            }
        }
    }
}
"""
    path = write(text)
    data = tempfile.mkdtemp()
    r = tidepool("run", path, "--data", data)
    out = r.stdout.decode()
    assert r.returncode == 0, out
    assert "Broken pipe" not in out  # SIGPIPE is back to default in children
    assert "bash without -x: yes\n" in out and "+ echo bash" not in out
    assert "to-stderr\n" in out and "to-stdout\n" in out
    assert "\n%s/workspace/" % os.path.realpath(data) in out
    assert os.path.isdir(os.path.join(data, "workspace"))


def test_run_with_a_broken_jenkinsfile():
    path = write("pipeline {\n  agent any\n  stages {\n    stage('x') {\n      sh 'make'\n"
                 "    }\n  }\n}\n")
    r = tidepool("run", path)
    out = r.stdout.decode()
    assert r.returncode == 1
    assert "WorkflowScript: 5: Unknown stage section \"sh\". Starting with version 0.5, steps " \
           "in a stage must be in a ‘steps’ block. @ line 5, column 7." in out, out
    assert out.endswith("Finished: FAILURE\n")
    r = tidepool("run", "/nonexistent/file")
    assert r.returncode == 2 and b"cannot read" in r.stderr


def test_agent_none_leaves_stages_without_a_node():
    path = write("pipeline {\n  agent none\n  stages {\n"
                 "    stage('a') { agent any\n steps { sh 'true'; echo 'fine' } }\n"
                 "    stage('b') { steps { echo 'no node needed'; sh 'true' } }\n  }\n}\n")
    r = tidepool("run", path)
    out = r.stdout.decode()
    assert r.returncode == 1, out
    assert "fine\n" in out and "no node needed\n" in out
    assert "[Pipeline] { (a)\n[Pipeline] node\nRunning on Jenkins in " in out
    assert "[Pipeline] }\n[Pipeline] // node\n[Pipeline] }\n[Pipeline] // stage\n" in out
    assert out.endswith("Attempted to execute a step that requires a node context while ‘agent "
                        "none’ was specified. Be sure to specify your own ‘node { ... }’ blocks "
                        "when using ‘agent none’.\nFinished: FAILURE\n"), out


def test_lint_reports_file_line_col_and_exit_codes():
    good = os.path.join(SAMPLES, "hello.Jenkinsfile")
    r = tidepool("lint", good)
    assert r.returncode == 0 and r.stdout == b""
    bad = write("pipeline {\n  agent any\n  stages {\n    stage('a') { steps { echo 'x' } }\n"
                "    stage('a') { steps { echo 'y' } }\n  }\n  bogus { }\n}\n")
    r = tidepool("lint", good, bad)
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 1
    assert "%s:7:3: Undefined section \"bogus\"" % bad in lines, lines
    assert "%s:5:5: Duplicate stage name: \"a\"" % bad in lines, lines
    syntax = write("pipeline {\n  agent any\n  stages {\n    stage('a') { steps { echo 'x }\n")
    r = tidepool("lint", syntax)
    assert r.returncode == 1 and r.stdout.decode().startswith("%s:4:" % syntax)
    assert b"Unterminated string literal" in r.stdout
    r = tidepool("lint", "/nonexistent")
    assert r.returncode == 2 and b"cannot read" in r.stderr
    r = tidepool("lint")
    assert r.returncode != 0


def test_sigint_stops_serve_cleanly():
    data = tempfile.mkdtemp()
    p = subprocess.Popen([BINARY, "serve", "--port", "0", "--data", data],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline()
    assert b"serving http://127.0.0.1:" in line
    # a second server on the same data dir is refused, clearly; the first goes on
    second = subprocess.run([BINARY, "serve", "--port", "0", "--data", data],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode == 1
    assert "another tidepool is using this data dir" in second.stderr, second.stderr
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)
    assert p.returncode == 0
    err = p.stderr.read().decode()
    assert "shutting down" in err and "stopped" in err
    assert os.path.exists(os.path.join(data, "tidepool.db"))


TOOLS_PIPELINE = """pipeline {
    agent any
    tools { jdk 'jdk17' }
    stages {
        stage('Build') {
            tools { maven 'M3' }
            steps {
                sh 'java -version; mvn -v; echo "homes $JAVA_HOME $M2_HOME $MAVEN_HOME"'
                script {
                    echo "maven at ${tool(name: 'M3', type: 'maven')}, jdk at ${tool('jdk17')}"
                }
            }
        }
        stage('Gradle') {
            tools { gradle 'g7' }
            steps { sh 'echo "gradle home: ${GRADLE_HOME:-none}"' }
        }
        stage('Missing') {
            steps { script { tool name: 'M4', type: 'maven' } }
        }
    }
    post { always { sh 'java from-post' } }
}
"""


def test_run_with_tool_installations():
    # tools {} and tool take their installations from --tools: JAVA_HOME, M2_HOME... and each
    # home's bin in front of PATH, as envVarsForTool gives them.
    home = tempfile.mkdtemp(prefix="tp-it-tools-")
    for tool, command in (("jdk", "java"), ("maven", "mvn")):
        os.makedirs(os.path.join(home, tool, "bin"))
        path = os.path.join(home, tool, "bin", command)
        with open(path, "w") as f:
            f.write('#!/bin/sh\necho "%s from %s: $*"\n' % (command, tool))
        os.chmod(path, 0o755)
    tools = write("# TYPE NAME HOME\njdk jdk17 %s/jdk\nmaven M3 %s/maven/\n" % (home, home),
                  suffix=".tools")
    jenkinsfile = write(TOOLS_PIPELINE)
    bad = write("maven M3 relative/path\n", suffix=".tools")
    try:
        r = tidepool("run", jenkinsfile, "--tools", tools)
        out = r.stdout.decode()
        lines = out.split("\n")
        assert r.returncode == 1 and out.endswith("Finished: FAILURE\n"), out
        assert ("[Pipeline] { (Declarative: Tool Install)\n[Pipeline] tool\n"
                "[Pipeline] envVarsForTool\n[Pipeline] }\n[Pipeline] // stage\n"
                "[Pipeline] withEnv\n[Pipeline] {\n[Pipeline] stage\n[Pipeline] { (Build)\n") in out
        for line in ["java from jdk: -version", "mvn from maven: -v",
                     "homes %s/jdk %s/maven %s/maven" % (home, home, home),
                     "maven at %s/maven, jdk at %s/jdk" % (home, home),
                     'tidepool: Tool type "gradle" does not have an install of "g7" configured - '
                     'did you mean "null"? (no such line in --tools): the host\'s PATH is used',
                     "gradle home: none", "ERROR: No maven named M4 found",
                     "java from jdk: from-post"]:
            assert line in lines, (line, out)
        r = tidepool("run", jenkinsfile, "--tools", bad)
        assert r.returncode == 2
        assert b"line 1: the home of maven M3 is not an absolute path" in r.stderr, r.stderr
        # without --tools: the declarative tools fall back to the host's PATH, tool fails
        r = tidepool("run", jenkinsfile)
        out = r.stdout.decode()
        assert "ERROR: No maven named M3 found" in out.split("\n"), out
    finally:
        for path in (jenkinsfile, tools, bad):
            os.unlink(path)
        shutil.rmtree(home, ignore_errors=True)


NOTIFY = """pipeline {
    agent none
    stages {
        stage('Tell') {
            steps {
                mail to: 'team@example.com', subject: "build ${BUILD_NUMBER}", body: 'done'
                script { emailext(subject: 'from script', to: 'ops@example.com', body: 'x') }
            }
        }
    }
    post { always { slackSend message: 'finished' } }
}
"""


def test_notifications_are_logged_not_sent():
    jenkinsfile = write(NOTIFY)
    try:
        r = tidepool("run", jenkinsfile)
        out = r.stdout.decode()
        assert r.returncode == 0, out
        lines = out.split("\n")
        for line in ['tidepool: mail to team@example.com, subject "build 1" not sent (a sandbox '
                     'sends no notifications; --stubs can map mail to a command)',
                     'tidepool: mail to ops@example.com, subject "from script" not sent (a '
                     'sandbox sends no notifications; --stubs can map emailext to a command)',
                     'tidepool: Slack message: finished not sent (a sandbox sends no '
                     'notifications; --stubs can map slackSend to a command)']:
            assert line in lines, (line, out)
    finally:
        os.unlink(jenkinsfile)


if __name__ == "__main__":
    run_tests([
        test_version_and_help,
        test_serve_rejects_bad_options,
        test_run_streams_log_and_exits_with_result,
        test_run_uses_real_shell_semantics,
        test_run_with_stubbed_plugin_steps,
        test_run_with_tool_installations,
        test_notifications_are_logged_not_sent,
        test_run_with_a_broken_jenkinsfile,
        test_agent_none_leaves_stages_without_a_node,
        test_lint_reports_file_line_col_and_exit_codes,
        test_sigint_stops_serve_cleanly,
    ])
