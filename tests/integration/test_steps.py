"""The steps tidepool runs besides echo and sh: the block steps (dir, withEnv, timeout,
retry, catchError, warnError) and error, unstable, sleep, writeFile, readFile, fileExists,
deleteDir, pwd, isUnix; as their logs, results and Blue Ocean steps show them."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pipeline, run_tests, wait_until, write_jobs  # noqa: E402


FILES = pipeline(r"""
        stage('Files') {
            steps {
                dir('sub/inner') {
                    sh 'pwd > where.txt'
                    writeFile file: 'out/note.txt', text: "hello ${env.BUILD_NUMBER}"
                }
                sh 'cat sub/inner/where.txt sub/inner/out/note.txt'
                withEnv(['GREETING=hi there', 'PATH+TOOLS=/opt/tp-tools']) {
                    sh 'echo "$GREETING|${PATH%%:*}"'
                }
                sh 'echo "outside:${GREETING:-unset}"'
                readFile 'sub/inner/out/note.txt'
                fileExists 'nope.txt'
                pwd()
                isUnix()
                dir('sub') { deleteDir() }
                sh 'test ! -e sub && echo gone'
            }
        }
""")


def test_dir_with_env_and_files():
    jobs = write_jobs({"files": FILES})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("files")
            run = s.wait_run("files", 1)
            log = s.run_log("files")
            assert run["result"] == "SUCCESS", log
            ws = os.path.join(s.data, "workspace", "files")
            assert "[Pipeline] dir\r\nRunning in %s/sub/inner\r\n[Pipeline] {\r\n" % ws in log
            assert "\r\n%s/sub/inner\r\nhello 1" % ws in log, log
            assert "\r\nhi there|/opt/tp-tools\r\n" in log, log
            assert "\r\noutside:unset\r\n" in log
            assert "\r\ngone\r\n" in log
            assert "[Pipeline] }\r\n[Pipeline] // withEnv\r\n" in log
            # Block steps are not steps in Blue Ocean; the steps inside them are.
            node = s.nodes("files")[0]
            names = [st["displayName"] for st in s.node_steps("files", node["id"])]
            assert names == ["Shell Script", "Write file to workspace", "Shell Script",
                             "Shell Script", "Shell Script", "Read file from workspace",
                             "Verify if file exists in workspace", "Determine current directory",
                             "Checks if running on a Unix-like node",
                             "Recursively delete the current directory from the workspace",
                             "Shell Script"], names
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


TIMEOUT = pipeline("""
        stage('Slow') {
            steps {
                timeout(time: 1, unit: 'SECONDS') {
                    sh 'sleep 30; echo never'
                }
                echo 'not reached'
            }
            post { aborted { echo 'stage aborted' } }
        }
        stage('Later') { steps { echo 'never runs' } }
""")


def test_timeout_kills_the_body_and_aborts_the_build():
    jobs = write_jobs({"slow": TIMEOUT})
    try:
        with Server(jobs=jobs) as s:
            started = time.time()
            s.post_run("slow")
            run = s.wait_run("slow", 1)
            assert time.time() - started < 15
            log = s.run_log("slow")
            assert run["result"] == "ABORTED", log
            assert "[Pipeline] timeout\r\nTimeout set to expire in 1.0 sec\r\n" in log, log
            assert "Cancelling nested steps due to timeout\r\n" in log
            assert "never" not in log.replace("never runs", "") and "not reached" not in log
            assert "stage aborted\r\n" in log
            assert log.endswith("Timeout has been exceeded\r\nFinished: ABORTED\r\n"), log[-300:]
            nodes = s.nodes("slow")
            assert [(n["displayName"], n["result"], n["state"]) for n in nodes] == [
                ("Slow", "ABORTED", "FINISHED"), ("Later", "NOT_BUILT", "SKIPPED")], nodes
            sh = s.node_steps("slow", nodes[0]["id"])[0]
            assert (sh["displayName"], sh["result"]) == ("Shell Script", "ABORTED")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


RETRY = pipeline("""
        stage('Flaky') {
            steps {
                retry(3) {
                    sh 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; test $n -ge 3'
                }
            }
        }
        stage('Hopeless') {
            steps {
                retry(count: 2) { error 'boom' }
            }
        }
""")


def test_retry_runs_the_body_again():
    jobs = write_jobs({"retry": RETRY})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("retry")
            run = s.wait_run("retry", 1)
            log = s.run_log("retry")
            assert run["result"] == "FAILURE", log
            flaky = log[:log.index("{ (Hopeless)")]
            assert flaky.count("ERROR: script returned exit code 1\r\nRetrying\r\n") == 2, flaky
            hopeless = log[log.index("{ (Hopeless)"):]
            assert hopeless.count("ERROR: boom\r\nRetrying\r\n") == 1, hopeless
            assert log.endswith("ERROR: boom\r\nFinished: FAILURE\r\n"), log[-200:]
            nodes = s.nodes("retry")
            assert [n["result"] for n in nodes] == ["SUCCESS", "FAILURE"]
            results = [st["result"] for st in s.node_steps("retry", nodes[0]["id"])]
            assert results == ["FAILURE", "FAILURE", "SUCCESS"], results
            errors = [(st["displayName"], st["displayDescription"], st["result"])
                      for st in s.node_steps("retry", nodes[1]["id"])]
            assert errors == [("Error signal", "boom", "FAILURE")] * 2, errors
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


CATCH = pipeline("""
        stage('Catch') {
            steps {
                catchError(buildResult: 'UNSTABLE', stageResult: 'FAILURE') { sh 'exit 3' }
                echo 'after catch'
            }
        }
        stage('Warn') {
            steps {
                warnError('flaky tests') { error 'bad' }
                echo 'after warn'
            }
        }
        stage('Unstable') {
            steps { unstable 'coverage is low' }
            post { unstable { echo 'stage is unstable' } }
        }
        stage('Next') { steps { echo 'next runs' } }
""")


def test_catch_error_warn_error_and_unstable_let_the_build_go_on():
    jobs = write_jobs({"catch": CATCH})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("catch")
            run = s.wait_run("catch", 1)
            log = s.run_log("catch")
            assert run["result"] == "UNSTABLE", log
            assert "[Pipeline] }\r\nERROR: script returned exit code 3\r\n" \
                   "[Pipeline] // catchError\r\n" in log, log
            assert "ERROR: flaky tests\r\n[Pipeline] // warnError\r\n" in log
            assert "WARNING: coverage is low\r\n" in log and "stage is unstable\r\n" in log
            for line in ("after catch", "after warn", "next runs"):
                assert "\r\n%s\r\n" % line in log, line
            nodes = s.nodes("catch")
            assert [(n["displayName"], n["result"]) for n in nodes] == [
                ("Catch", "FAILURE"), ("Warn", "UNSTABLE"), ("Unstable", "UNSTABLE"),
                ("Next", "SUCCESS")], nodes
            step = s.node_steps("catch", nodes[2]["id"])[0]
            assert (step["displayName"], step["result"]) == \
                ("Set stage result to unstable", "UNSTABLE")
            assert log.endswith("[Pipeline] End of Pipeline\r\nFinished: UNSTABLE\r\n")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


SLEEP = pipeline("""
        stage('Nap') { steps { sleep 30 } }
""")


def test_sleep_is_a_step_that_stop_interrupts():
    jobs = write_jobs({"nap": SLEEP, "short": pipeline("""
        stage('Short') { steps { sleep(time: 200, unit: 'MILLISECONDS'); echo 'awake' } }
""")})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("short")
            run = s.wait_run("short", 1)
            log = s.run_log("short")
            assert run["result"] == "SUCCESS" and "Sleeping for 200 ms\r\nawake" in \
                log.replace("[Pipeline] echo\r\n", ""), log
            s.post_run("nap")
            s.wait_run("nap", 1, state="RUNNING")
            deadline = time.time() + 10
            while "Sleeping for 30 sec" not in s.run_log("nap") and time.time() < deadline:
                time.sleep(0.05)
            assert s.stop_run("nap") == 200
            run = s.wait_run("nap", 1)
            assert run["result"] == "ABORTED"
            node = s.nodes("nap")[0]
            step = s.node_steps("nap", node["id"])[0]
            assert (step["displayName"], step["displayDescription"], step["result"]) == \
                ("Sleep", "30 sec", "ABORTED"), step
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_step_errors_are_clear():
    jobs = write_jobs({
        "unit": pipeline("stage('A') { steps { timeout(time: 1, unit: 'WEEKS') { echo 'x' } } }\n"),
        "nobody": pipeline("stage('A') { steps { dir 'x' } }\n"),
        "outside": pipeline("stage('A') { steps { dir('/tmp') { deleteDir() } } }\n"),
        "missing": pipeline("stage('A') { steps { readFile 'no-such-file' } }\n"),
    })
    try:
        with Server(jobs=jobs) as s:
            expected = {
                "unit": "ERROR: No enum constant java.util.concurrent.TimeUnit.WEEKS\r\n",
                "nobody": "ERROR: dir needs a block: dir(...) { ... } (line 4)\r\n",
                "outside": "ERROR: tidepool deletes directories only inside its workspaces, "
                           "not /tmp\r\n",
                "missing": "ERROR: java.nio.file.NoSuchFileException: ",
            }
            for name in expected:
                s.post_run(name)
            for name, line in expected.items():
                assert s.wait_run(name, 1)["result"] == "FAILURE"
                log = s.run_log(name)
                assert line in log, (name, log)
            assert os.path.isdir("/tmp")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


OPTIONS = """pipeline {
    agent any
    options { timeout(time: 1, unit: 'HOURS'); skipDefaultCheckout() }
    stages {
        stage('Again') {
            options { retry(2) }
            steps { sh 'test -f marker || { touch marker; exit 1; }' }
        }
        stage('Slow') {
            options { timeout(time: 300, unit: 'MILLISECONDS') }
            steps { sh 'sleep 20' }
        }
    }
}
"""

WHOLE = """pipeline {
    agent any
    options { timeout(time: 1, unit: 'SECONDS') }
    stages {
        stage('First') { steps { echo 'quick' } }
        stage('Long') { steps { sh 'sleep 20' } }
    }
    post { aborted { echo 'pipeline aborted' } }
}
"""


def test_timeout_and_retry_options_wrap_stages_and_the_pipeline():
    jobs = write_jobs({"options": OPTIONS, "whole": WHOLE})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("options")
            s.post_run("whole")
            run = s.wait_run("options", 1)
            log = s.run_log("options")
            assert run["result"] == "ABORTED", log
            assert "[Pipeline] timeout\r\nTimeout set to expire in 1 hr 0 min\r\n" in log, log
            assert "tidepool: option skipDefaultCheckout is not applied by tidepool yet\r\n" in log
            assert "[Pipeline] { (Again)\r\n[Pipeline] retry\r\n[Pipeline] {\r\n" in log, log
            assert "ERROR: script returned exit code 1\r\nRetrying\r\n" in log
            assert "Timeout set to expire in 300 ms\r\n" in log
            nodes = s.nodes("options")
            assert [(n["displayName"], n["result"]) for n in nodes] == [
                ("Again", "SUCCESS"), ("Slow", "ABORTED")], nodes
            results = [st["result"] for st in s.node_steps("options", nodes[0]["id"])]
            assert results == ["FAILURE", "SUCCESS"], results
            assert log.endswith("Timeout has been exceeded\r\nFinished: ABORTED\r\n")

            run = s.wait_run("whole", 1)
            log = s.run_log("whole")
            assert run["result"] == "ABORTED", log
            assert "Cancelling nested steps due to timeout\r\n" in log
            assert "pipeline aborted\r\n" in log
            nodes = s.nodes("whole")
            assert [(n["displayName"], n["result"]) for n in nodes] == [
                ("First", "SUCCESS"), ("Long", "ABORTED")], nodes
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


SKIP_UNSTABLE = """pipeline {
    agent any
    options { skipStagesAfterUnstable() }
    stages {
        stage('Tests') { steps { unstable 'two tests failed' } }
        stage('Deploy') { steps { echo 'deploying' } }
    }
}
"""

EXCLUSIVE = """pipeline {
    agent any
    options { disableConcurrentBuilds() }
    stages {
        stage('Only one') {
            steps { sh 'test ! -e "$JENKINS_HOME/busy" && touch "$JENKINS_HOME/busy" && sleep 0.3 && rm "$JENKINS_HOME/busy"' }
        }
    }
}
"""


QUIET = """pipeline {
    agent any
    options { quietPeriod(1) }
    stages { stage('S') { steps { echo 'after the quiet period' } } }
}
"""


def test_quiet_period_holds_the_run_in_the_queue():
    jobs = write_jobs({"quiet": QUIET})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("quiet")
            queued = s.get_json("%s/pipelines/quiet/runs/1/" % ORG)
            assert queued["state"] == "QUEUED", queued
            deadline = time.time() + 5
            while not (queued["causeOfBlockage"] or "").startswith(
                    "In the quiet period. Expires in ") and time.time() < deadline:
                time.sleep(0.01)
                queued = s.get_json("%s/pipelines/quiet/runs/1/" % ORG)
            assert queued["causeOfBlockage"].startswith("In the quiet period. Expires in "), queued
            run = s.wait_run("quiet", 1)
            assert run["result"] == "SUCCESS"
            assert "not applied" not in s.run_log("quiet")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_skip_stages_after_unstable_and_disable_concurrent_builds():
    jobs = write_jobs({"skip": SKIP_UNSTABLE, "one": EXCLUSIVE, "other": pipeline(
        "stage('Free') { steps { echo 'not held up' } }\n")})
    try:
        with Server(jobs=jobs, executors=2) as s:
            s.post_run("skip")
            run = s.wait_run("skip", 1)
            log = s.run_log("skip")
            assert run["result"] == "UNSTABLE", log
            assert 'Stage "Deploy" skipped due to earlier stage(s) marking the build as ' \
                   'unstable\r\n' in log and "deploying" not in log, log
            nodes = s.nodes("skip")
            assert [(n["displayName"], n["state"], n["result"]) for n in nodes] == [
                ("Tests", "FINISHED", "UNSTABLE"), ("Deploy", "SKIPPED", "NOT_BUILT")], nodes

            s.post_run("one")
            s.post_run("one")
            # The second run says why it waits, as Jenkins' queue does (run 1 takes 0.3 s).
            seen = []
            deadline = time.time() + 5
            while not seen and time.time() < deadline:
                queued = s.get_json("%s/pipelines/one/runs/2/" % ORG)
                if queued["causeOfBlockage"] == "Build #1 is already in progress":
                    seen = s.get_json("%s/pipelines/one/queue/" % ORG)
                time.sleep(0.01)
            assert [q["causeOfBlockage"] for q in seen] == ["Build #1 is already in progress"]
            s.post_run("other")
            # A run waiting for its pipeline does not hold up another pipeline's run.
            assert s.wait_run("other", 1)["result"] == "SUCCESS"
            first, second = s.wait_run("one", 1), s.wait_run("one", 2)
            assert (first["result"], second["result"]) == ("SUCCESS", "SUCCESS")
            assert second["startTime"] >= first["endTime"], (first, second)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


DISCARD = """pipeline {
    agent any
    options { buildDiscarder(logRotator(numToKeepStr: '2', artifactNumToKeepStr: '1')) }
    stages {
        stage('Maybe') { steps { sh 'test ! -e "$JENKINS_HOME/fail"' } }
    }
}
"""


def test_build_discarder_keeps_the_newest_runs_and_the_last_success():
    jobs = write_jobs({"discard": DISCARD})
    data = tempfile.mkdtemp(prefix="tp-it-discard-")
    try:
        with Server(jobs=jobs, data=data) as s:
            outcomes = [True, True, False, False, False]
            for number, ok in enumerate(outcomes, start=1):
                flag = os.path.join(data, "fail")
                if ok and os.path.exists(flag):
                    os.remove(flag)
                elif not ok:
                    open(flag, "w").close()
                s.post_run("discard")
                s.wait_run("discard", number)
            runs = s.get_json("%s/pipelines/discard/runs/" % ORG)
            # The newest two (5, 4) and the newest success (2) stay.
            assert [(r["id"], r["result"]) for r in runs] == [
                ("5", "FAILURE"), ("4", "FAILURE"), ("2", "SUCCESS")], runs
            for gone in (1, 3):
                base = "%s/pipelines/discard/runs/%d/" % (ORG, gone)
                assert s.request("GET", base)[0] == 404
                assert s.request("GET", base + "log/")[0] == 404
                assert s.request("GET", base + "nodes/")[0] == 404
            # Numbers are never given again.
            assert s.post_run("discard")["id"] == "6"
            s.wait_run("discard", 6)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


STASH = """pipeline {
    agent any
    stages {
        stage('Build') {
            steps {
                sh 'mkdir -p out/lib .git && echo app > out/app.bin && echo lib > out/lib/a.jar && echo log > out/build.log && echo x > .git/HEAD'
                stash name: 'bin', includes: 'out/**', excludes: '**/*.log'
                stash 'all'
                sh 'rm -rf out'
            }
        }
        stage('Deploy') {
            steps {
                dir('deploy') {
                    unstash 'bin'
                    sh 'find . -type f | sort'
                }
                dir('everything') {
                    unstash 'all'
                    sh 'test -f out/build.log && test ! -e .git/HEAD && echo all-back'
                }
            }
        }
        stage('Missing') { steps { unstash 'nope' } }
    }
}
"""


def test_stash_and_unstash_carry_files_between_stages():
    jobs = write_jobs({"stash": STASH, "empty": pipeline(
        "stage('E') { steps { stash name: 'none', includes: 'nothing/**' } }\n")})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("stash")
            s.post_run("empty")
            run = s.wait_run("stash", 1)
            log = s.run_log("stash")
            assert run["result"] == "FAILURE", log
            assert "Stashed 2 file(s)\r\n" in log, log
            assert "\r\n./out/app.bin\r\n./out/lib/a.jar\r\n" in log, log
            assert "\r\nall-back\r\n" in log
            assert log.endswith("ERROR: No such saved stash ‘nope’\r\nFinished: FAILURE\r\n")
            names = [st["displayName"] for st in s.get_json(
                "%s/pipelines/stash/runs/1/steps/" % ORG)]
            assert names.count("Stash some files to be used later in the build") == 2
            assert names.count("Restore files previously stashed") == 3
            # Stashes live as long as their run.
            assert not os.path.exists(os.path.join(s.data, "stashes", "1"))
            assert s.wait_run("empty", 1)["result"] == "FAILURE"
            assert "ERROR: No files included in stash ‘none’\r\n" in s.run_log("empty")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def processes_with(marker):
    """Command lines in the process table that start with `marker` (the processes themselves,
    not the shells whose inline script names them)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith(marker):
            found.append(cmd)
    return found


def test_no_process_survives_a_stop_or_a_timeout():
    # Each script leaves a background grandchild and a foreground child: both must go.
    script = "sleep %s & sleep %s; echo never"
    jobs = write_jobs({
        "stopme": pipeline("stage('S') { steps { sh '%s' } }\n" % (script % (7301, 7302))),
        "timeme": pipeline("stage('T') { steps { timeout(time: 300, unit: 'MILLISECONDS') "
                           "{ sh '%s' } } }\n" % (script % (7303, 7304))),
    })
    try:
        with Server(jobs=jobs) as s:
            s.post_run("stopme")
            s.post_run("timeme")
            deadline = time.time() + 10
            while not (processes_with("sleep 7301") and processes_with("sleep 7302")) \
                    and time.time() < deadline:
                time.sleep(0.02)
            assert processes_with("sleep 7301") and processes_with("sleep 7302")
            assert s.stop_run("stopme") == 200
            assert s.wait_run("stopme", 1)["result"] == "ABORTED"
            assert s.wait_run("timeme", 1)["result"] == "ABORTED"
            deadline = time.time() + 5
            left = ["x"]
            while left and time.time() < deadline:
                left = [p for n in range(7301, 7305) for p in processes_with("sleep %d" % n)]
                time.sleep(0.05)
            assert left == [], (left, s.run_log("timeme"), s.run_log("stopme"))
            assert "Sending interrupt signal to process" in s.run_log("timeme")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_a_restart_kills_what_a_killed_server_left_running():
    jobs = write_jobs({"orphan": pipeline(
        "stage('S') { steps { sh 'sleep 7401 & sleep 7402' } }\n")})
    data = tempfile.mkdtemp(prefix="tp-it-strays-")
    try:
        s = Server(jobs=jobs, data=data).start()
        s.post_run("orphan")
        deadline = time.time() + 10
        while len(processes_with("sleep 740")) < 2 and time.time() < deadline:
            time.sleep(0.02)
        s.stop(sig=signal.SIGKILL)
        assert len(processes_with("sleep 740")) == 2  # the kill -9 left them behind
        with Server(jobs=jobs, data=data) as s:
            run = s.get_json("%s/pipelines/orphan/runs/1/" % ORG)
            assert (run["state"], run["result"]) == ("FINISHED", "ABORTED")
            deadline = time.time() + 5
            while processes_with("sleep 740") and time.time() < deadline:
                time.sleep(0.02)
            assert processes_with("sleep 740") == []
    finally:
        for cmd in processes_with("sleep 740"):
            subprocess.run(["pkill", "-f", cmd.strip()])
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


ACTIVITY = pipeline("""
        stage('Chatty') {
            steps {
                timeout(time: 1, unit: 'SECONDS', activity: true) {
                    sh 'for i in 1 2 3 4 5; do echo tick $i; sleep 0.4; done'
                }
            }
        }
        stage('Quiet') {
            steps {
                timeout(time: 1, unit: 'SECONDS', activity: true) {
                    sh 'echo start; sleep 5; echo never'
                }
            }
        }
""")


def test_activity_timeout_counts_from_the_last_output():
    # timeout(activity: true): a body that keeps writing runs past the time; a silent one is
    # stopped that long after its last line.
    jobs = write_jobs({"activity": ACTIVITY})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("activity")
            run = s.wait_run("activity", 1)
            log = s.run_log("activity").replace("\r\n", "\n")
            assert run["result"] == "ABORTED", log
            assert "Timeout set to expire after 1.0 sec without activity\n" in log, log
            assert "tick 5\n" in log and "start\n" in log and "never" not in log
            assert log.endswith("Timeout has been exceeded\nFinished: ABORTED\n"), log[-300:]
            nodes = {n["displayName"]: n["result"] for n in s.nodes("activity")}
            assert nodes == {"Chatty": "SUCCESS", "Quiet": "ABORTED"}, nodes
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


ORDERED = """pipeline {
    agent any
    parameters {
        string(name: 'PREP', defaultValue: '0')
        string(name: 'WAIT', defaultValue: '0')
    }
    stages {
        stage('Prep') { steps { sh 'sleep $PREP' } }
        stage('Build') { steps { milestone 1; sh 'sleep $WAIT' } }
        stage('Deploy') { steps { milestone(ordinal: 2, label: 'deploy'); echo "deployed ${BUILD_NUMBER}" } }
    }
}
"""


def test_milestones_keep_builds_in_order():
    # A newer build passing milestone 2 supersedes an older one still between 1 and 2; an older
    # build reaching a milestone a newer one passed is cancelled. Both end NOT_BUILT.
    jobs = write_jobs({"ordered": ORDERED})
    body = '{"parameters": [{"name": "PREP", "value": "%s"}, {"name": "WAIT", "value": "%s"}]}'
    try:
        with Server(jobs=jobs, executors=4) as s:
            s.post_run("ordered", (body % ("0", "30")).encode())
            wait_until(lambda: "Trying to pass milestone 1" in s.run_log("ordered", 1))
            s.post_run("ordered", (body % ("0", "0")).encode())
            assert s.wait_run("ordered", 2)["result"] == "SUCCESS"
            first = s.wait_run("ordered", 1)
            log = s.run_log("ordered", 1).replace("\r\n", "\n")
            assert first["result"] == "NOT_BUILT", log
            assert log.endswith("Superseded by #2\nFinished: NOT_BUILT\n"), log[-200:]
            assert "deployed 1" not in log
            # an older build comes to a milestone a newer one passed
            s.post_run("ordered", (body % ("1.5", "0")).encode())
            s.post_run("ordered", (body % ("0", "0")).encode())
            assert s.wait_run("ordered", 4)["result"] == "SUCCESS"
            third = s.wait_run("ordered", 3)
            log = s.run_log("ordered", 3).replace("\r\n", "\n")
            assert third["result"] == "NOT_BUILT", log
            assert "Trying to pass milestone 1\nCanceled since build #4 already got here\n" in log
            assert log.endswith("Superseded by ordered#4\nFinished: NOT_BUILT\n"), log[-200:]
            steps = s.get_json("%s/pipelines/ordered/runs/4/steps/" % ORG)
            assert [st["displayDescription"] for st in steps
                    if st["displayName"].startswith("The milestone step")] == [None, "deploy"]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_dir_with_env_and_files,
        test_timeout_kills_the_body_and_aborts_the_build,
        test_activity_timeout_counts_from_the_last_output,
        test_milestones_keep_builds_in_order,
        test_retry_runs_the_body_again,
        test_catch_error_warn_error_and_unstable_let_the_build_go_on,
        test_sleep_is_a_step_that_stop_interrupts,
        test_step_errors_are_clear,
        test_timeout_and_retry_options_wrap_stages_and_the_pipeline,
        test_no_process_survives_a_stop_or_a_timeout,
        test_skip_stages_after_unstable_and_disable_concurrent_builds,
        test_quiet_period_holds_the_run_in_the_queue,
        test_a_restart_kills_what_a_killed_server_left_running,
        test_build_discarder_keeps_the_newest_runs_and_the_last_success,
        test_stash_and_unstash_carry_files_between_stages,
    ])
