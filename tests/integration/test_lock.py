"""The lock step: one block of one build holds a resource at a time, the others wait in line
(inversePrecedence: the newest first), skipIfLocked skips, variable names what is held, a
stopped build leaves the line, and what tidepool cannot lock fails clearly."""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pipeline, run_tests, wait_until, write_jobs  # noqa: E402

HOLDER = pipeline("""
        stage('Hold') {
            steps {
                lock(resource: 'db', variable: 'HELD') {
                    sh 'echo "holding $HELD"; while [ ! -f "$RELEASE" ]; do sleep 0.05; done'
                }
                echo 'after the lock'
            }
        }
""", environment={"RELEASE": "/tmp/never"})

WAITER = pipeline("""
        stage('Wait') {
            steps {
                script {
                    lock('db') { echo 'got db' }
                }
            }
        }
""")

SKIPPER = pipeline("""
        stage('Maybe') {
            steps {
                lock(resource: 'db', skipIfLocked: true) { echo 'should not run' }
                echo 'went on'
            }
        }
""")

LABELLED = pipeline("""
        stage('Label') { steps { lock(label: 'printers', quantity: 1) { echo 'x' } } }
""")


def lines(text):
    return text.replace("\r\n", "\n").split("\n")


def test_lock_holds_one_build_at_a_time():
    release = os.path.join("/tmp", "tp-it-lock-release-%d" % os.getpid())
    if os.path.exists(release):
        os.unlink(release)
    jobs = write_jobs({"holder": HOLDER.replace("/tmp/never", release), "waiter": WAITER,
                       "skipper": SKIPPER, "labelled": LABELLED})
    try:
        with Server(jobs=jobs, executors=4) as s:
            s.post_run("holder")
            wait_until(lambda: "holding db" in lines(s.run_log("holder")))
            s.post_run("waiter")
            wait_until(lambda: "[Resource: db] is locked by holder #1, waiting..."
                       in lines(s.run_log("waiter")))
            time.sleep(0.2)
            assert "got db" not in lines(s.run_log("waiter"))
            assert s.get_json(ORG + "/pipelines/waiter/runs/1/")["state"] == "RUNNING"
            # skipIfLocked: the body is skipped, the build goes on
            s.post_run("skipper")
            skipped = s.wait_run("skipper", 1)
            log = lines(s.run_log("skipper"))
            assert skipped["result"] == "SUCCESS", log
            assert "[Resource: db] is locked, skipping execution..." in log
            assert "should not run" not in log and "went on" in log
            # a second waiter that is stopped leaves the line
            s.post_run("waiter")
            wait_until(lambda: "[Resource: db] is locked by holder #1, waiting..."
                       in lines(s.run_log("waiter", 2)))
            assert s.stop_run("waiter", 2) == 200
            assert s.wait_run("waiter", 2)["result"] == "ABORTED"
            # the holder releases: the first waiter gets it
            open(release, "w").close()
            assert s.wait_run("holder", 1)["result"] == "SUCCESS"
            assert s.wait_run("waiter", 1)["result"] == "SUCCESS"
            held = lines(s.run_log("holder"))
            for line in ["[Pipeline] lock", "Trying to acquire lock on [Resource: db]",
                         "Resource [db] did not exist. Created.", "Lock acquired on [Resource: db]",
                         "holding db", "Lock released on resource [Resource: db]",
                         "after the lock"]:
                assert line in held, (line, held)
            assert held.index("[Pipeline] }") < held.index(
                "Lock released on resource [Resource: db]") < held.index("[Pipeline] // lock")
            waited = lines(s.run_log("waiter"))
            assert waited.index("[Resource: db] is locked by holder #1, waiting...") < \
                waited.index("Lock acquired on [Resource: db]") < waited.index("got db")
            assert "got db" not in lines(s.run_log("waiter", 2))
            # the resource is free again
            s.post_run("waiter")
            assert s.wait_run("waiter", 3)["result"] == "SUCCESS"
            # what tidepool cannot lock
            s.post_run("labelled")
            assert s.wait_run("labelled", 1)["result"] == "FAILURE"
            assert "labels and extra resources need the resources Jenkins is configured with" \
                in s.run_log("labelled")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        if os.path.exists(release):
            os.unlink(release)


if __name__ == "__main__":
    run_tests([test_lock_holds_one_build_at_a_time])
