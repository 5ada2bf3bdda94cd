"""Processes a run leaves behind: a daemon started in the background, or a grandchild that left
its process group with setsid, is killed when the run ends (found by the run's
JENKINS_NODE_COOKIE, as Jenkins' process tree killer finds them; a process that changed its
cookie is let be); the server is the child subreaper, so none of them is left a zombie."""

import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import tp  # noqa: E402
from tp import Server, pipeline, run_tests, write_jobs  # noqa: E402

LEAVER = pipeline("""
        stage('Leave') {
            steps {
                sh 'setsid sleep 34.5 > /dev/null 2>&1 &'
                sh 'nohup sleep 35.5 > /dev/null 2>&1 &'
                sh 'JENKINS_NODE_COOKIE=dontKillMe setsid sleep 36.5 > /dev/null 2>&1 &'
                sh 'sleep 0.2'
            }
        }
""")


def pids_with(marker):
    return tp.pids_with(marker, command=b"sleep")


def zombie_children(pid):
    zombies = []
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                children = f.read().split()
        except OSError:
            continue  # a thread (the server's worker pool) that ended meanwhile
        for child in children:
                try:
                    with open("/proc/%s/stat" % child) as st:
                        stat = st.read()
                        if stat.rsplit(")", 1)[1].split()[0] == "Z":
                            zombies.append(stat.split(")", 1)[0])  # "pid (comm"
                except OSError:
                    pass  # reaped between the two reads
    return zombies


def test_leftover_processes_die_with_the_run():
    jobs = write_jobs({"leaver": LEAVER})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("leaver")
            assert s.wait_run("leaver", 1)["result"] == "SUCCESS"
            deadline = time.time() + 5
            while (pids_with(b"34.5") or pids_with(b"35.5")) and time.time() < deadline:
                time.sleep(0.02)
            assert pids_with(b"34.5") == [] and pids_with(b"35.5") == []
            kept = pids_with(b"36.5")
            assert len(kept) == 1, kept  # it opted out, as with Jenkins
            with open("/proc/%d/stat" % kept[0]) as f:  # orphaned: now the server's child
                assert int(f.read().rsplit(")", 1)[1].split()[1]) == s.proc.pid
            os.kill(kept[0], signal.SIGKILL)
            deadline = time.time() + 5
            while zombie_children(s.proc.pid) and time.time() < deadline:
                time.sleep(0.02)
            zombies = zombie_children(s.proc.pid)
            assert zombies == [], zombies  # which ones, when this fails (rarely, under load)
    finally:
        for pid in pids_with(b"36.5"):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # gone already
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_leftover_processes_die_with_the_run])
