"""tidepool engine benchmark: prints figures and ratios, asserts nothing.

    /usr/bin/python3 bench/engine.py build/tidepool [steps] [concurrent] [trivial]

  * a pipeline of `steps` (default 1000) `sh 'true'` steps, against a shell loop that runs
    `sh -xe script` as many times (target ratio <= 1.3);
  * `concurrent` (default 200) runs of a 3-branch parallel pipeline at once (as many
    executors): time until all finished, and the server's peak RSS;
  * `trivial` (default 3000) one-echo runs posted back to back on 2 executors: runs finished
    per minute (target >= 15,000).
"""

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ORG, free_port, get, parse_time, rss_mb  # noqa: E402

BINARY = sys.argv[1] if len(sys.argv) > 1 else "build/tidepool"
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
CONCURRENT = int(sys.argv[3]) if len(sys.argv) > 3 else 200
TRIVIAL = int(sys.argv[4]) if len(sys.argv) > 4 else 3000
JSON = {"Content-Type": "application/json"}


def many_steps(n):
    body = "".join("                sh 'true'\n" for _ in range(n))
    return ("pipeline {\n    agent any\n    stages {\n        stage('Many') {\n"
            "            steps {\n%s            }\n        }\n    }\n}\n" % body)


PARALLEL = """pipeline {
    agent any
    stages {
        stage('Fan') {
            parallel {
                stage('a') { steps { sh 'true' } }
                stage('b') { steps { sh 'true' } }
                stage('c') { steps { sh 'true' } }
            }
        }
    }
}
"""

TRIVIAL_PIPELINE = """pipeline {
    agent none
    stages { stage('Say') { steps { echo 'hi' } } }
}
"""


class Server:
    def __init__(self, jobs, executors):
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="tp-bench-engine-")
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--port", str(self.port), "--data", self.data, "--jobs", jobs,
             "--executors", str(executors)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                conn = self.conn()
                status, _ = get(conn, "/blue/rest/organizations/")
                conn.close()
                if status == 200:
                    return
            except (ConnectionRefusedError, ConnectionResetError, http.client.HTTPException):
                pass
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.005)

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.data, ignore_errors=True)


def post(conn, pipeline):
    conn.request("POST", "%s/pipelines/%s/runs/" % (ORG, pipeline), body=b"{}", headers=JSON)
    r = conn.getresponse()
    r.read()
    assert r.status == 200, r.status


def wait(conn, pipeline, number, poll=0.002):
    path = "%s/pipelines/%s/runs/%d/" % (ORG, pipeline, number)
    while True:
        _, body = get(conn, path)
        run = json.loads(body)
        if run["state"] == "FINISHED":
            return run
        time.sleep(poll)


def bench_many_steps(jobs):
    s = Server(jobs, 2)
    try:
        conn = s.conn()
        post(conn, "many")
        run = wait(conn, "many", 1, 0.01)
        assert run["result"] == "SUCCESS", run
        server_ms = parse_time(run["endTime"]) - parse_time(run["enQueueTime"])
    finally:
        s.stop()
    work = tempfile.mkdtemp(prefix="tp-bench-loop-")
    try:
        with open(os.path.join(work, "script.sh"), "w") as f:
            f.write("true\n")
        start = time.perf_counter()
        subprocess.run(["/bin/sh", "-c", "i=0; while [ $i -lt %d ]; do sh -xe script.sh "
                        "2>/dev/null; i=$((i+1)); done" % STEPS], cwd=work, check=True)
        loop_ms = (time.perf_counter() - start) * 1000
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d x sh 'true' pipeline:     %8.1f ms (enqueue -> end)" % (STEPS, server_ms))
    print("%d x sh -xe in a shell loop: %8.1f ms" % (STEPS, loop_ms))
    print("ratio pipeline / loop:        %8.2f   (target <= 1.30)" % (server_ms / loop_ms))


def bench_concurrent(jobs):
    s = Server(jobs, CONCURRENT)
    peak = [rss_mb(s.proc.pid)]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(s.proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        conn = s.conn()
        start = time.perf_counter()
        for _ in range(CONCURRENT):
            post(conn, "fan")
        results = [wait(conn, "fan", n, 0.01)["result"] for n in range(1, CONCURRENT + 1)]
        total_ms = (time.perf_counter() - start) * 1000
    finally:
        done.set()
        sampler.join()
        s.stop()
    ok = results.count("SUCCESS")
    print("%d concurrent 3-branch runs:  %8.1f ms until all finished, %d/%d SUCCESS, "
          "peak RSS %.1f MB" % (CONCURRENT, total_ms, ok, CONCURRENT, peak[0]))


def bench_trivial(jobs):
    s = Server(jobs, 2)
    try:
        conn = s.conn()
        start = time.perf_counter()
        for _ in range(TRIVIAL):
            post(conn, "trivial")
        last = wait(conn, "trivial", TRIVIAL, 0.001)
        seconds = time.perf_counter() - start
        assert last["result"] == "SUCCESS", last
        first = wait(conn, "trivial", 1)
        assert first["result"] == "SUCCESS", first
        rss = rss_mb(s.proc.pid)
    finally:
        s.stop()
    per_minute = TRIVIAL / seconds * 60
    print("%d trivial runs, 2 executors: %8.1f ms, %.0f runs/min (target >= 15,000, "
          "x%.2f), RSS after %.1f MB" % (TRIVIAL, seconds * 1000, per_minute,
                                         per_minute / 15000, rss))


def main():
    jobs = tempfile.mkdtemp(prefix="tp-bench-jobs-")
    try:
        for name, text in (("many", many_steps(STEPS)), ("fan", PARALLEL),
                           ("trivial", TRIVIAL_PIPELINE)):
            with open(os.path.join(jobs, name + ".Jenkinsfile"), "w") as f:
                f.write(text)
        print("tidepool engine bench, binary %s" % BINARY)
        bench_many_steps(jobs)
        bench_concurrent(jobs)
        bench_trivial(jobs)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    main()
