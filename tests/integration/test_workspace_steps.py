"""archiveArtifacts (copies into <data>/artifacts/<job>/<run>/, Ant patterns, excludes, the
empty-archive failure), cleanWs, junit (reports read, failures make the stage and build
UNSTABLE, the summary is the step's value), and options { timestamps() } stamping every log
line."""

import io
import os
import re
import shutil
import sys
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import Server, pipeline, run_tests, write_jobs  # noqa: E402

ARCHIVE = pipeline("""
        stage('Build') {
            steps {
                sh 'mkdir -p out/lib && echo jar > out/app.jar && echo lib > out/lib/dep.jar && echo x > out/notes.txt'
                archiveArtifacts artifacts: 'out/**/*.jar', excludes: 'out/lib/**'
                archiveArtifacts artifacts: 'nothing/*.zip', allowEmptyArchive: true
                cleanWs()
                sh 'test ! -e out && echo workspace-empty'
            }
        }
        stage('Empty') {
            steps { archiveArtifacts 'missing/*.bin' }
        }
""")

STAMPED = """pipeline {
    agent any
    options { timestamps() }
    stages {
        stage('S') { steps { sh 'echo one; echo two' } }
    }
}
"""


REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="unit" tests="4" failures="1" errors="1" skipped="1">
    <testcase classname="a.B" name="passes"/>
    <testcase classname="a.B" name="fails"><failure message="boom">trace</failure></testcase>
    <testcase classname="a.B" name="errs"><error message="npe"/></testcase>
    <testcase classname="a.B" name="skips"><skipped/></testcase>
  </testsuite>
</testsuites>
"""

JUNIT = pipeline("""
        stage('Test') {
            steps {
                writeFile file: 'reports/TEST-unit.xml', text: '''%s'''
                writeFile file: 'reports/TEST-more.xml', text: '<testsuite><testcase name="x"/></testsuite>'
                script {
                    def summary = junit testResults: 'reports/*.xml'
                    echo "total=${summary.totalCount} failed=${summary.failCount} skipped=${summary.skipCount} passed=${summary.passCount}"
                }
            }
        }
        stage('Quiet') {
            steps {
                junit testResults: 'none/*.xml', allowEmptyResults: true
            }
        }
        stage('Broken') {
            steps {
                writeFile file: 'bad/TEST-bad.xml', text: '<testsuite><testcase>'
                junit 'bad/*.xml'
            }
        }
""" % REPORT)


def test_junit_reports_make_the_build_unstable():
    jobs = write_jobs({"junit": JUNIT})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("junit")
            run = s.wait_run("junit", 1)
            log = s.run_log("junit").replace("\r\n", "\n")
            assert run["result"] == "FAILURE", log
            lines = log.split("\n")
            assert "total=5 failed=2 skipped=1 passed=2" in lines, log
            assert lines.count("Recording test results") == 3
            assert "ERROR: Failed to read test report file " in log
            nodes = s.nodes("junit")
            assert [(n["displayName"], n["result"]) for n in nodes] == [
                ("Test", "UNSTABLE"), ("Quiet", "SUCCESS"), ("Broken", "FAILURE")], nodes
            steps = s.node_steps("junit", nodes[0]["id"])
            assert [(st["displayName"], st["result"]) for st in steps][-2:] == [
                ("Archive JUnit-formatted test results", "UNSTABLE"),
                ("Print Message", "SUCCESS")], steps
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_artifacts_are_archived_and_the_workspace_cleaned():
    jobs = write_jobs({"archive": ARCHIVE})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("archive")
            run = s.wait_run("archive", 1)
            log = s.run_log("archive").replace("\r\n", "\n")
            assert run["result"] == "FAILURE", log
            root = os.path.join(s.data, "artifacts", "archive", "1")
            found = sorted(os.path.relpath(os.path.join(d, f), root)
                           for d, _, files in os.walk(root) for f in files)
            assert found == ["out/app.jar"], found
            with open(os.path.join(root, "out", "app.jar")) as f:
                assert f.read() == "jar\n"
            # served: the build's artifacts list, the file, Blue Ocean's listing
            build = s.get_json("/job/archive/1/api/json")
            assert build["artifacts"] == [{"displayPath": "app.jar", "fileName": "app.jar",
                                           "relativePath": "out/app.jar"}], build
            status, headers, body = s.request("GET", "/job/archive/1/artifact/out/app.jar")
            assert (status, body) == (200, b"jar\n")
            listing = s.get_json("/blue/rest/organizations/jenkins/pipelines/archive/runs/1/"
                                 "artifacts/")
            assert [(a["name"], a["path"], a["size"], a["url"], a["downloadable"])
                    for a in listing] == [("app.jar", "out/app.jar", 4,
                                           "/job/archive/1/artifact/out/app.jar", True)]
            assert s.get_json("/job/archive/1/wfapi/artifacts") == [
                {"id": "n1", "name": "app.jar", "path": "out/app.jar",
                 "url": "/job/archive/1/artifact/out/app.jar", "size": 4}]
            # confined to the run's artifacts: no .. and no symbolic link out of them
            os.symlink("/etc/passwd", os.path.join(root, "out", "escape"))
            for path in ["/job/archive/1/artifact/out/escape",
                         "/job/archive/1/artifact/%2e%2e/%2e%2e/%2e%2e/tidepool.db",
                         "/job/archive/1/artifact/out/missing.jar"]:
                assert s.request("GET", path)[0] == 404, path
            lines = log.split("\n")
            assert lines.count("Archiving artifacts") == 3, log
            assert ('No artifacts found that match the file pattern "nothing/*.zip". '
                    'Configuration error?') in lines
            assert "[WS-CLEANUP] Deleting project workspace..." in lines
            assert "workspace-empty" in lines
            assert log.endswith('ERROR: No artifacts found that match the file pattern '
                                '"missing/*.bin". Configuration error?\nFinished: FAILURE\n'), log
            nodes = s.nodes("archive")
            steps = s.node_steps("archive", nodes[0]["id"])
            assert [st["displayName"] for st in steps] == [
                "Shell Script", "Archive the artifacts", "Archive the artifacts",
                "Delete workspace when build is done", "Shell Script"]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


ZIPPED = pipeline("""
        stage('Build') {
            steps {
                sh 'mkdir -p out/sub/deep && echo one > out/one.txt && echo two > out/sub/two.txt && head -c 300000 /dev/urandom > out/sub/deep/big.bin && : > out/empty'
                archiveArtifacts 'out/**'
            }
        }
""")


def test_artifacts_download_as_a_zip():
    # Jenkins' .../artifact/*zip*/archive.zip: every artifact under "archive/"; a directory's
    # DIR/*zip*/NAME.zip under its own name; Blue Ocean's artifactsZipFile links the first.
    jobs = write_jobs({"zipped": ZIPPED, "plain": pipeline(
        "        stage('S') { steps { echo 'nothing kept' } }\n")})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("zipped")
            run = s.wait_run("zipped", 1)
            assert run["result"] == "SUCCESS", s.run_log("zipped")
            assert run["artifactsZipFile"] == "/job/zipped/1/artifact/*zip*/archive.zip"
            root = os.path.join(s.data, "artifacts", "zipped", "1")
            status, headers, body = s.request("GET", run["artifactsZipFile"])
            assert status == 200 and headers["content-type"] == "application/zip", headers
            archive = zipfile.ZipFile(io.BytesIO(body))
            assert archive.testzip() is None
            assert sorted(archive.namelist()) == [
                "archive/out/empty", "archive/out/one.txt", "archive/out/sub/deep/big.bin",
                "archive/out/sub/two.txt"], archive.namelist()
            for name in archive.namelist():
                with open(os.path.join(root, name[len("archive/"):]), "rb") as f:
                    assert archive.read(name) == f.read(), name
            big = archive.getinfo("archive/out/sub/deep/big.bin")
            assert big.file_size == 300000 and big.compress_type == zipfile.ZIP_DEFLATED
            status, _, body = s.request("GET", "/job/zipped/1/artifact/out/sub/*zip*/sub.zip")
            assert status == 200
            sub = zipfile.ZipFile(io.BytesIO(body))
            assert sorted(sub.namelist()) == ["sub/deep/big.bin", "sub/two.txt"], sub.namelist()
            assert sub.read("sub/two.txt") == b"two\n"
            for path in ["/job/zipped/1/artifact/nowhere/*zip*/nowhere.zip",
                         "/job/zipped/9/artifact/*zip*/archive.zip"]:
                assert s.request("GET", path)[0] == 404, path
            # the server goes on after a streamed zip (it ended its connection)
            s.post_run("plain")
            plain = s.wait_run("plain", 1)
            assert plain["artifactsZipFile"] is None
            assert s.request("GET", "/job/plain/1/artifact/*zip*/archive.zip")[0] == 404
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


DATA = pipeline("""
        stage('Data') {
            steps {
                writeFile file: 'app.properties', text: 'name = tidepool\\nversion: 1.2\\n# comment\\nlong = a \\\\\\n  b\\nurl=http://x/${name}\\n'
                writeFile file: 'meta.json', text: '{"tags": ["a", "b"], "build": {"n": 7}}'
                script {
                    def props = readProperties file: 'app.properties', defaults: [owner: 'ann'], interpolate: true
                    echo "props ${props.name} ${props.version} [${props.long}] ${props.url} ${props.owner}"
                    def meta = readJSON file: 'meta.json'
                    echo "json ${meta.tags[1]} ${meta.build.n + 1}"
                    def parsed = readJSON text: '[1, {"k": true}]'
                    echo "text ${parsed[1].k}"
                    writeJSON file: 'out.json', json: [name: props.name, tags: meta.tags, n: 3]
                    echo "round ${readFile('out.json')}"
                    echo "as text ${writeJSON(returnText: true, json: [a: [1, 2]])}"
                    writeFile file: 'conf.yml', text: '''
base: &base
  image: alpine
  retries: 3
jobs:
  - name: unit
    <<: *base
    parallel: yes
  - name: "e2e"
    image: debian
    ratio: 0.5
    note: ~
'''
                    def conf = readYaml file: 'conf.yml'
                    def unit = conf.jobs[0]
                    def e2e = conf.jobs[1]
                    echo "yaml ${unit.name} ${unit.image} ${unit.retries + 1} ${unit.parallel} ${e2e.image} ${e2e.ratio} ${e2e.note}"
                    def docs = readYaml text: "a: 1\\n---\\nb: [x, 'y']\\n"
                    echo "docs ${docs.size()} ${docs[1].b[1]}"
                }
                readJSON text: '{broken'
            }
        }
""")


def test_data_steps_read_and_write_json_and_properties():
    jobs = write_jobs({"data": DATA})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("data")
            run = s.wait_run("data", 1)
            log = s.run_log("data").replace("\r\n", "\n")
            lines = log.split("\n")
            assert run["result"] == "FAILURE", log
            for line in ["props tidepool 1.2 [a b] http://x/tidepool ann", "json b 8",
                         "text true", 'round {"name":"tidepool","tags":["a","b"],"n":3}',
                         'as text {"a":[1,2]}', "yaml unit alpine 4 true debian 0.5 null",
                         "docs 2 y"]:
                assert line in lines, (line, log)
            assert "ERROR: net.sf.json.JSONException: Invalid JSON String near character 2" \
                in lines, log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_timestamps_stamp_every_line():
    jobs = write_jobs({"stamped": STAMPED})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("stamped")
            assert s.wait_run("stamped", 1)["result"] == "SUCCESS"
            log = s.run_log("stamped").replace("\r\n", "\n")
            stamp = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "
            lines = log.rstrip("\n").split("\n")
            start = lines.index(next(l for l in lines if l.endswith("[Pipeline] Start of Pipeline")))
            for line in lines[start:]:
                assert re.match(stamp, line), (line, log)
            assert any(re.fullmatch(stamp + "one", l) for l in lines)
            assert "not applied" not in log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


WRAPPERS = pipeline("""
        stage('W') {
            steps {
                ansiColor('xterm') { echo 'colored' }
                script { node('linux') { sh 'echo "on node in $WORKSPACE"' } }
                timestamps { echo 'stamped' }
            }
        }
""")


def test_wrapper_steps_run_their_bodies():
    jobs = write_jobs({"wrappers": WRAPPERS})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("wrappers")
            assert s.wait_run("wrappers", 1)["result"] == "SUCCESS"
            log = s.run_log("wrappers").replace("\r\n", "\n")
            lines = log.split("\n")
            assert "[Pipeline] ansiColor" in lines and "colored" in lines
            assert "[Pipeline] node" in lines
            assert "on node in %s/workspace/wrappers" % s.data in lines, log
            assert re.search(r"\n\[\d{4}-\d\d-\d\dT[0-9:.]+Z\] stamped\n", log), log
            assert not re.match(r"\[\d{4}", lines[0])  # stamped from the wrapper on only
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_artifacts_are_archived_and_the_workspace_cleaned,
        test_artifacts_download_as_a_zip,
        test_data_steps_read_and_write_json_and_properties,
        test_timestamps_stamp_every_line,
        test_junit_reports_make_the_build_unstable,
        test_wrapper_steps_run_their_bodies,
    ])
