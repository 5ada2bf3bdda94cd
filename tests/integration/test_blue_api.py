"""Blue Ocean REST API against the real binary: runs, nodes, steps, logs, restart."""

import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pipeline, run_tests, write_jobs  # noqa: E402

SAMPLES = os.path.join(os.environ.get("TP_SOURCE_DIR", "."), "samples")

SLOW = pipeline("""
        stage('Count') {
            steps {
                echo 'counting'
                sh 'for i in 1 2 3 4 5 6 7 8; do echo "line $i"; sleep 0.1; done'
            }
        }
        stage('Done') {
            steps {
                echo "done with ${env.JOB_NAME} #${env.BUILD_NUMBER}"
            }
        }
""")


def test_three_stage_sample_succeeds():
    """Done-when: the 3-stage sample ends SUCCESS with 3 chained STAGE nodes and its steps."""
    with Server(jobs=SAMPLES) as s:
        queued = s.post_run("build-test-deploy")
        assert queued["_class"] == "io.jenkins.blueocean.service.embedded.rest.QueuedBlueRun"
        assert queued["state"] == "QUEUED" and queued["result"] == "UNKNOWN"
        assert queued["id"] == "1" and queued["queueId"]
        run = s.wait_run("build-test-deploy", 1)
        assert run["result"] == "SUCCESS", run
        assert run["_class"] == "io.jenkins.blueocean.rest.impl.pipeline.PipelineRunImpl"
        assert run["runSummary"] == "stable"
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$", run["startTime"])
        assert run["durationInMillis"] >= 0 and run["endTime"]
        base = "%s/pipelines/build-test-deploy/runs/1/" % ORG
        nodes = s.get_json(base + "nodes/")
        assert [n["displayName"] for n in nodes] == ["Build", "Test", "Deploy"]
        assert all(n["type"] == "STAGE" for n in nodes)
        assert all((n["state"], n["result"]) == ("FINISHED", "SUCCESS") for n in nodes)
        assert [e["id"] for e in nodes[0]["edges"]] == [nodes[1]["id"]]
        assert [e["id"] for e in nodes[1]["edges"]] == [nodes[2]["id"]]
        assert nodes[2]["edges"] == []
        assert nodes[0]["firstParent"] is None and nodes[1]["firstParent"] == nodes[0]["id"]
        ids = [int(n["id"]) for n in nodes]
        assert ids == sorted(ids)

        steps = s.get_json(base + "steps/")
        names = [st["displayName"] for st in steps]
        assert names == ["Print Message", "Shell Script", "Shell Script", "Shell Script",
                         "Print Message", "Shell Script", "Print Message"], names
        assert steps[0]["displayDescription"] == "Building tidepool-demo version 1.0.1"
        assert steps[1]["displayDescription"] == \
            'mkdir -p out && echo "$APP $VERSION" > out/artifact.txt'
        assert all(st["type"] == "STEP" and st["state"] == "FINISHED" for st in steps)
        assert steps[1]["actions"][0]["urlName"] == "log"
        assert steps[1]["actions"][0]["_links"]["self"]["href"] == \
            base + "steps/%s/log/" % steps[1]["id"]
        # Step ids: unique, increasing, and the same node's steps listed under it.
        build_steps = s.get_json(base + "nodes/%s/steps/" % nodes[0]["id"])
        assert [st["id"] for st in build_steps] == [st["id"] for st in steps[:3]]
        assert build_steps[0]["_links"]["self"]["href"] == \
            base + "nodes/%s/steps/%s/" % (nodes[0]["id"], steps[0]["id"])

        status, headers, body = s.request("GET", base + "steps/%s/log/" % steps[1]["id"])
        assert status == 200 and headers["content-type"] == "text/plain;charset=UTF-8"
        assert body == b"+ mkdir -p out\r\n+ echo tidepool-demo 1.0.1\r\n", body

        # The same ids in every run: they are assigned when the Jenkinsfile is compiled.
        s.post_run("build-test-deploy")
        s.wait_run("build-test-deploy", 2)
        nodes2 = s.get_json("%s/pipelines/build-test-deploy/runs/2/nodes/" % ORG)
        assert [n["id"] for n in nodes2] == [n["id"] for n in nodes]


def test_log_polling_yields_the_log_exactly_once():
    """Done-when: polling from start=0 with each X-Text-Size gives the whole log once."""
    jobs = write_jobs({"slow": SLOW})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("slow")
            s.wait_run("slow", 1, state="RUNNING")
            path = "%s/pipelines/slow/runs/1/log/" % ORG
            start, received, polls, saw_more = 0, b"", 0, False
            while True:
                status, headers, body = s.request("GET", "%s?start=%d" % (path, start))
                assert status == 200
                polls += 1
                received += body
                size = int(headers["x-text-size"])
                assert size >= start
                start = size
                if headers.get("x-more-data") == "true":
                    saw_more = True
                    time.sleep(0.05)
                    continue
                assert "x-more-data" not in headers
                break
            assert saw_more and polls > 2, polls
            status, headers, full = s.request("GET", path + "?start=0")
            assert received == full, (received, full)
            text = received.decode()
            assert text.endswith("Finished: SUCCESS\r\n"), text[-200:]
            assert text.count("\r\nline 8\r\n") == 1 and text.count("Started by user") == 1
            assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
            # X-Text-Size counts raw bytes (LF), the body is CRLF.
            assert int(headers["x-text-size"]) == len(full.replace(b"\r\n", b"\n"))
            assert int(headers["content-length"]) == len(full)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_console_log_format():
    with Server(jobs=SAMPLES) as s:
        s.post_run("hello")
        s.wait_run("hello", 1)
        status, _, body = s.request("GET", "%s/pipelines/hello/runs/1/log/" % ORG)
        lines = body.decode().split("\r\n")
        assert lines[:4] == ["Started by user anonymous", "[Pipeline] Start of Pipeline",
                             "[Pipeline] node", lines[3]] and lines[3].startswith(
                                 "Running on Jenkins in ")
        assert lines[4:12] == ["[Pipeline] {", "[Pipeline] stage", "[Pipeline] { (Hello)",
                               "[Pipeline] echo", "Hello from tidepool", "[Pipeline] }",
                               "[Pipeline] // stage", "[Pipeline] }"], lines
        assert lines[12:] == ["[Pipeline] // node", "[Pipeline] End of Pipeline",
                              "Finished: SUCCESS", ""], lines


def test_failing_sh_fails_run_and_skips_later_stages():
    """Done-when: FAILURE run, FAILURE stage, SKIPPED/NOT_BUILT later, step log error."""
    with Server(jobs=SAMPLES) as s:
        s.post_run("failing")
        run = s.wait_run("failing", 1)
        assert run["result"] == "FAILURE" and run["runSummary"] == "broken since this build"
        base = "%s/pipelines/failing/runs/1/" % ORG
        nodes = s.get_json(base + "nodes/")
        assert [(n["displayName"], n["state"], n["result"]) for n in nodes] == [
            ("Build", "FINISHED", "SUCCESS"), ("Test", "FINISHED", "FAILURE"),
            ("Deploy", "SKIPPED", "NOT_BUILT")], nodes
        assert s.get_json(base + "nodes/%s/steps/" % nodes[2]["id"]) == []
        steps = s.get_json(base + "nodes/%s/steps/" % nodes[1]["id"])
        assert len(steps) == 1 and steps[0]["result"] == "FAILURE"
        status, _, log = s.request("GET", base + "steps/%s/log/" % steps[0]["id"])
        assert status == 200
        assert log.endswith(b"+ exit 3\r\nscript returned exit code 3\n"), log
        status, _, console = s.request("GET", base + "log/")
        text = console.decode()
        assert 'Stage "Deploy" skipped due to earlier failure(s)' in text
        assert text.endswith("ERROR: script returned exit code 3\r\nFinished: FAILURE\r\n")
        status, headers, node_log = s.request("GET", base + "nodes/%s/log/" % nodes[1]["id"])
        assert status == 200 and node_log.endswith(b"script returned exit code 3\n")
        # A second failure: "broken since build #1".
        s.post_run("failing")
        assert s.wait_run("failing", 2)["runSummary"] == "broken since build #1"


def snapshot(s, pipeline_name, number):
    base = "%s/pipelines/%s/runs/%d/" % (ORG, pipeline_name, number)
    run = s.get_json(base)
    nodes = s.get_json(base + "nodes/")
    steps = s.get_json(base + "steps/")
    logs = [s.request("GET", base + "steps/%s/log/" % st["id"])[2] for st in steps]
    full = s.request("GET", base + "log/?start=0")[2]
    for n in nodes:
        n.pop("durationInMillis")  # equal anyway for finished nodes; keep the check strict
    return run, nodes, steps, logs, full


def test_restart_serves_everything_unchanged():
    """Done-when: after a restart on the same data dir, every run, node, step, log is equal."""
    data = tempfile.mkdtemp(prefix="tp-it-restart-")
    try:
        with Server(jobs=SAMPLES, data=data) as s:
            for name in ("build-test-deploy", "failing"):
                s.post_run(name)
                s.wait_run(name, 1)
            before = [snapshot(s, "build-test-deploy", 1), snapshot(s, "failing", 1)]
            pipelines_before = s.get_json(ORG + "/pipelines/")
        with Server(jobs=SAMPLES, data=data) as s:
            after = [snapshot(s, "build-test-deploy", 1), snapshot(s, "failing", 1)]
            assert before == after
            assert s.get_json(ORG + "/pipelines/") == pipelines_before
            # Numbers go on from where they were.
            assert s.post_run("failing")["id"] == "2"
    finally:
        shutil.rmtree(data, ignore_errors=True)


def test_run_interrupted_by_shutdown_is_aborted():
    jobs = write_jobs({"slow": SLOW})
    data = tempfile.mkdtemp(prefix="tp-it-abort-")
    try:
        with Server(jobs=jobs, data=data) as s:
            s.post_run("slow")
            s.wait_run("slow", 1, state="RUNNING")
            time.sleep(0.2)
            assert s.stop() == 0
        with Server(jobs=jobs, data=data) as s:
            run = s.get_json("%s/pipelines/slow/runs/1/" % ORG)
            assert (run["state"], run["result"]) == ("FINISHED", "ABORTED"), run
            log = s.request("GET", "%s/pipelines/slow/runs/1/log/" % ORG)[2].decode()
            assert log.endswith("Finished: ABORTED\r\n"), log[-300:]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


def test_run_cut_off_by_a_crash_is_aborted_on_restart():
    jobs = write_jobs({"slow": SLOW})
    data = tempfile.mkdtemp(prefix="tp-it-crash-")
    try:
        s = Server(jobs=jobs, data=data).start()
        s.post_run("slow")
        s.wait_run("slow", 1, state="RUNNING")
        time.sleep(0.3)
        s.stop(sig=signal.SIGKILL)
        with Server(jobs=jobs, data=data) as s:
            base = "%s/pipelines/slow/runs/1/" % ORG
            run = s.get_json(base)
            assert (run["state"], run["result"]) == ("FINISHED", "ABORTED"), run
            nodes = s.get_json(base + "nodes/")
            assert [(n["state"], n["result"]) for n in nodes] == [("FINISHED", "ABORTED")]
            steps = s.get_json(base + "steps/")
            assert all(st["state"] == "FINISHED" for st in steps), steps
            assert steps[-1]["result"] == "ABORTED"
            log = s.request("GET", base + "log/")[2].decode()
            assert "\r\nline 1\r\n" in log and log.endswith("Finished: ABORTED\r\n"), log
            # And the server goes on: the next run gets number 2 and runs to the end.
            assert s.post_run("slow")["id"] == "2"
            assert s.wait_run("slow", 2)["result"] == "SUCCESS"
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


def test_pipelines_and_runs_listing():
    with Server(jobs=SAMPLES) as s:
        orgs = s.get_json("/blue/rest/organizations/")
        assert [o["name"] for o in orgs] == ["jenkins"]
        org = s.get_json(ORG + "/")
        assert org["_class"] == "io.jenkins.blueocean.service.embedded.rest.OrganizationImpl"
        assert org["_links"]["self"]["href"] == ORG + "/"
        status, headers, body = s.request("GET", ORG + "/pipelines/")
        names = [p["name"] for p in json.loads(body)]
        assert names == sorted(names) and "hello" in names and "failing" in names
        assert headers["link"] == '<%s/pipelines/?start=100&limit=100>; rel="next"' % ORG
        assert headers["cache-control"] == "no-cache, no-store, no-transform"
        assert headers["x-jenkins"]
        hello = s.get_json(ORG + "/pipelines/hello")  # no trailing slash works too
        assert hello["latestRun"] is None and hello["weatherScore"] == 100
        assert hello["estimatedDurationInMillis"] == -1 and hello["parameters"] == []
        for _ in range(3):
            s.post_run("hello")
        s.wait_run("hello", 3)
        status, headers, body = s.request("GET", ORG + "/pipelines/hello/runs/?start=1&limit=1&x=y")
        runs = json.loads(body)
        assert [r["id"] for r in runs] == ["2"]
        assert headers["link"] == '<%s/pipelines/hello/runs/?x=y&start=2&limit=1>; rel="next"' % ORG
        runs = s.get_json(ORG + "/pipelines/hello/runs/")
        assert [r["id"] for r in runs] == ["3", "2", "1"]
        assert runs[1]["_links"]["prevRun"]["href"].endswith("/runs/1/")
        assert runs[1]["_links"]["nextRun"]["href"].endswith("/runs/3/")
        hello = s.get_json(ORG + "/pipelines/hello/")
        assert hello["latestRun"]["id"] == "3"
        assert hello["latestRun"]["_class"] == \
            "io.jenkins.blueocean.rest.impl.pipeline.PipelineImpl$PipelineRunSummary"
        assert hello["estimatedDurationInMillis"] >= 0
        # ?tree= prunes any answer, as Jenkins' tree syntax does; ?depth= is accepted
        assert s.get_json(ORG + "/pipelines/hello/runs/2/?tree=id,result,changeSet") == {
            "_class": "io.jenkins.blueocean.rest.impl.pipeline.PipelineRunImpl", "id": "2",
            "result": "SUCCESS", "changeSet": []}
        assert [r["id"] for r in s.get_json(ORG + "/pipelines/hello/runs/?tree=id&limit=2")] \
            == ["3", "2"]
        pipeline = s.get_json(ORG + "/pipelines/hello/?tree=name,latestRun[id,state]&depth=1")
        assert pipeline == {"_class": "io.jenkins.blueocean.rest.impl.pipeline.PipelineImpl",
                            "name": "hello",
                            "latestRun": {"_class": pipeline["latestRun"]["_class"], "id": "3",
                                          "state": "FINISHED"}}, pipeline
        nodes = s.get_json(ORG + "/pipelines/hello/runs/3/nodes/?tree=displayName")
        assert all(set(n) == {"_class", "displayName"} for n in nodes), nodes
        # asked with a tree, a run lists its actions as proxies (their _class twice: the
        # proxy's, then the action's, which a JSON reader keeps)
        status, _, body = s.request("GET", ORG + "/pipelines/hello/runs/3/?tree=id,actions[*[*]]")
        assert body.count(b'"_class":"io.jenkins.blueocean.service.embedded.rest.'
                          b'ActionProxiesImpl"') == 1, body
        actions = json.loads(body)["actions"]
        assert [(a["_class"], a["urlName"]) for a in actions] == [
            ("hudson.model.CauseAction", None)], actions
        assert actions[0]["causes"][0]["shortDescription"] == "Started by user anonymous"
        assert s.get_json(ORG + "/pipelines/hello/runs/3/")["actions"] == []
        status, _, body = s.request("GET", ORG + "/pipelines/hello/runs/3/?tree=id[")
        assert status == 500 and b"Malformed tree expression" in body


def test_kept_answers_follow_every_change():
    # Reads are answered from what was made for the same request while the store has not
    # moved and no run is queued or running: every write, run and caller shows at once.
    from test_auth import auth, users_file  # noqa: E402
    users = users_file()
    jobs = write_jobs({"kept": pipeline("        stage('S') { steps { echo 'kept' } }\n")})
    try:
        with Server(jobs=jobs, extra=["--users", users]) as s:
            alice, carol = auth("alice"), auth("carol")
            path = ORG + "/pipelines/kept/"

            def get(p, who=alice):
                status, headers, body = s.request("GET", p, None, who)
                assert status == 200, (p, status, body)
                return headers, json.loads(body)

            for _ in range(2):  # made, then kept
                headers, kept = get(path)
                assert kept["latestRun"] is None and kept["disabled"] is False
                assert headers["x-jenkins"] and headers["cache-control"]
            # a run: its queue and end move the store
            s.request("POST", path + "runs/", b"{}", dict(alice, **{"Content-Type":
                                                                     "application/json"}))
            deadline = time.time() + 10
            while get(path + "runs/1/")[1]["state"] != "FINISHED" and time.time() < deadline:
                time.sleep(0.02)
            assert get(path)[1]["latestRun"]["id"] == "1"
            assert [r["id"] for r in get(path + "runs/")[1]] == ["1"]
            headers, _ = get(path + "runs/?limit=1")
            assert 'rel="next"' in headers["link"]
            # a write through the API
            status, _, _ = s.request("PUT", path + "disable/", b"{}",
                                     dict(alice, **{"Content-Type": "application/json"}))
            assert status == 200
            assert get(path)[1]["disabled"] is True
            # the caller is part of what an answer is for
            assert get(path, alice)[1]["permissions"]["configure"] is True
            assert get(path, carol)[1]["permissions"]["configure"] is False
            assert get(path, alice)[1]["permissions"]["configure"] is True
            # the classic API's too
            status, _, body = s.request("GET", "/job/kept/api/json", None, alice)
            assert status == 200 and json.loads(body)["lastBuild"]["number"] == 1
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        os.unlink(users)


def test_queue_and_executors():
    jobs = write_jobs({"slow": SLOW})
    try:
        with Server(jobs=jobs, executors=1) as s:
            s.post_run("slow")
            second = s.post_run("slow")
            assert second["id"] == "2" and second["state"] == "QUEUED"
            s.wait_run("slow", 1, state="RUNNING")
            runs = s.get_json(ORG + "/pipelines/slow/runs/?limit=1")
            # Queued runs come first on every page; paging counts only builds.
            assert [(r["id"], r["state"]) for r in runs] == [("2", "QUEUED"), ("1", "RUNNING")]
            assert runs[1]["result"] == "UNKNOWN" and runs[1]["endTime"] is None
            assert runs[1]["durationInMillis"] == 0
            assert s.get_json(ORG + "/pipelines/slow/runs/2/")["state"] == "QUEUED"
            s.wait_run("slow", 2, timeout=60)
            assert s.get_json(ORG + "/pipelines/slow/runs/1/")["result"] == "SUCCESS"
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_invalid_jenkinsfile_fails_the_run_with_jenkins_messages():
    jobs = write_jobs({"broken": "pipeline {\n    agent any\n    foo { }\n    stages {\n"
                                 "        stage('a') { steps { echo 'x' } }\n    }\n}\n"})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("broken")
            run = s.wait_run("broken", 1)
            assert run["result"] == "FAILURE"
            log = s.request("GET", "%s/pipelines/broken/runs/1/log/" % ORG)[2].decode()
            assert "WorkflowScript: 3: Undefined section \"foo\" @ line 3, column 5." in log, log
            assert "1 error" in log and log.endswith("Finished: FAILURE\r\n")
            assert s.get_json("%s/pipelines/broken/runs/1/nodes/" % ORG) == []
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_environment_reaches_steps():
    text = pipeline("""
        stage('Env') {
            environment {
                STAGE_VAR = "stage-${GREETING}"
            }
            steps {
                sh 'echo "$GREETING|$STAGE_VAR|$STAGE_NAME|$BUILD_NUMBER|$JOB_NAME|$NODE_NAME|$EXECUTOR_NUMBER"'
                sh 'test "$WORKSPACE" = "$(pwd)" && test -n "$BUILD_URL" && test -n "$JENKINS_URL"'
                sh 'test "$(basename "$WORKSPACE")" = env'
                echo "groovy sees ${env.GREETING} and $STAGE_VAR and ${env.MISSING}"
            }
        }
""", environment={"GREETING": "hi"})
    jobs = write_jobs({"env": text})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("env")
            run = s.wait_run("env", 1)
            log = s.request("GET", "%s/pipelines/env/runs/1/log/" % ORG)[2].decode()
            assert run["result"] == "SUCCESS", log
            assert "\r\nhi|stage-hi|Env|1|env|built-in|0\r\n" in log, log
            assert "groovy sees hi and stage-hi and null\r\n" in log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_unknown_step_fails_like_jenkins():
    jobs = write_jobs({"unknown": pipeline("""
        stage('A') { steps { echo 'before'; fooBar 'x' } }
        stage('B') { steps { echo 'after' } }
"""), "later": pipeline("""
        stage('A') { steps { powershell 'Get-Date' } }
""")})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("unknown")
            assert s.wait_run("unknown", 1)["result"] == "FAILURE"
            log = s.request("GET", "%s/pipelines/unknown/runs/1/log/" % ORG)[2].decode()
            assert "java.lang.NoSuchMethodError: No such DSL method 'fooBar' found among " \
                   "steps [ansiColor, archiveArtifacts, build, catchError, checkout, cleanWs, " \
                   "deleteDir, dir, echo, emailext, error, fileExists, git, input, isUnix, " \
                   "junit, lock, mail, milestone, pwd, readFile, readJSON, readProperties, " \
                   "readYaml, retry, script, sh, slackSend, sleep, sshagent, stash, timeout, " \
                   "timestamps, tool, unstable, unstash, waitUntil, warnError, " \
                   "withCredentials, withEnv, writeFile, writeJSON]" in log, log
            nodes = s.get_json("%s/pipelines/unknown/runs/1/nodes/" % ORG)
            assert [(n["state"], n["result"]) for n in nodes] == [
                ("FINISHED", "FAILURE"), ("SKIPPED", "NOT_BUILT")]
            # A step Jenkins has but tidepool does not run yet says so.
            s.post_run("later")
            assert s.wait_run("later", 1)["result"] == "FAILURE"
            log = s.request("GET", "%s/pipelines/later/runs/1/log/" % ORG)[2].decode()
            assert "ERROR: tidepool does not support the 'powershell' step yet (line 5)\r\n" in log, log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_log_tail_threshold_and_download():
    jobs = write_jobs({"big": pipeline("""
        stage('Big') { steps { sh 'i=0; while [ $i -lt 4000 ]; do echo "row $i of a long log line"; i=$((i+1)); done' } }
""")})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("big")
            s.wait_run("big", 1)
            path = "%s/pipelines/big/runs/1/log/" % ORG
            status, headers, full = s.request("GET", path + "?start=0")
            total = int(headers["x-text-size"])
            assert total > 150 * 1024
            status, headers, tail = s.request("GET", path)
            assert int(headers["x-text-size"]) == total
            assert len(tail.replace(b"\r\n", b"\n")) == 150 * 1024
            assert full.endswith(tail)
            status, headers, small = s.request("GET", path + "?thresholdInKB=1")
            assert len(small.replace(b"\r\n", b"\n")) == 1024
            status, headers, _ = s.request("GET", path + "?download=true&start=0")
            assert headers["content-disposition"] == "attachment; filename=log.txt"
            status, headers, body = s.request("GET", path + "?start=%d" % (total + 10))
            assert status == 200 and body == b"" and headers["x-text-size"] == str(total + 10)
            status, headers, body = s.request("HEAD", path + "?start=0")
            assert status == 200 and body == b"" and int(headers["content-length"]) == len(full)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_three_stage_sample_succeeds,
        test_log_polling_yields_the_log_exactly_once,
        test_console_log_format,
        test_failing_sh_fails_run_and_skips_later_stages,
        test_restart_serves_everything_unchanged,
        test_run_interrupted_by_shutdown_is_aborted,
        test_run_cut_off_by_a_crash_is_aborted_on_restart,
        test_pipelines_and_runs_listing,
        test_kept_answers_follow_every_change,
        test_queue_and_executors,
        test_invalid_jenkinsfile_fails_the_run_with_jenkins_messages,
        test_environment_reaches_steps,
        test_unknown_step_fails_like_jenkins,
        test_log_tail_threshold_and_download,
    ])
