"""tidepool benchmark: prints figures and ratios, asserts nothing.

    /usr/bin/python3 bench/bench.py build/tidepool [rounds]

Measures, over several rounds, on loopback:
  * cold start: from exec of `tidepool serve` to the first 200 from /blue/rest/organizations/;
  * idle RSS of the server after start-up and a few requests;
  * echo-hi: from `POST .../runs/` of a one-step `sh 'echo hi'` pipeline to the run reading
    FINISHED (client view, polling as fast as the server answers), and the server's own
    enqueue-to-end time from the run's JSON.
Targets are the project's (start <= 10 ms, idle RSS <= 6 MB, echo-hi <= 4 ms); laminar's
figures (13 ms, 9 MB, 10 ms) are the peer to beat.
"""

import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

BINARY = sys.argv[1] if len(sys.argv) > 1 else "build/tidepool"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
ORG = "/blue/rest/organizations/jenkins"
TARGETS = {"start_ms": 10.0, "rss_mb": 6.0, "echo_ms": 4.0, "lint_ms": 100.0}
LAMINAR = {"start_ms": 13.0, "rss_mb": 9.0, "echo_ms": 10.0, "lint_ms": float("nan")}
CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "corpus",
                      "jenkinsfiles")

ECHO_HI = """pipeline {
    agent any
    stages {
        stage('Hi') {
            steps {
                sh 'echo hi'
            }
        }
    }
}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read()


def cold_start(jobs, data=None):
    """Returns (ms to first 200, process, port, data dir)."""
    port = free_port()
    data = data or tempfile.mkdtemp(prefix="tp-bench-")
    start = time.perf_counter()
    proc = subprocess.Popen([BINARY, "serve", "--port", str(port), "--data", data, "--jobs", jobs],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            status, _ = get(conn, "/blue/rest/organizations/")
            conn.close()
            if status == 200:
                return (time.perf_counter() - start) * 1000, proc, port, data
        except (ConnectionRefusedError, ConnectionResetError, http.client.HTTPException):
            pass
        if time.perf_counter() - start > 10:
            raise RuntimeError("server did not answer within 10 s")


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def parse_time(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000


def echo_hi(port, number):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    start = time.perf_counter()
    conn.request("POST", ORG + "/pipelines/hi/runs/", body=b"{}",
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    assert r.status == 200
    path = "%s/pipelines/hi/runs/%d/" % (ORG, number)
    while True:
        status, body = get(conn, path)
        run = json.loads(body)
        if run["state"] == "FINISHED":
            client_ms = (time.perf_counter() - start) * 1000
            assert run["result"] == "SUCCESS", run
            server_ms = parse_time(run["endTime"]) - parse_time(run["enQueueTime"])
            conn.close()
            return client_ms, server_ms


def lint_corpus():
    """Times `tidepool lint` over the whole corpus in one process (start-up included)."""
    files = sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS)
                   if f.endswith(".Jenkinsfile"))
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        subprocess.run([BINARY, "lint"] + files, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return len(files), times


def line(name, values, unit, target_key):
    median = statistics.median(values)
    p90 = sorted(values)[max(0, int(len(values) * 0.9) - 1)]
    print("%-28s median %8.2f %-2s  p90 %8.2f %-2s  min %8.2f   target x%.2f   laminar x%.2f" % (
        name, median, unit, p90, unit, min(values), median / TARGETS[target_key],
        median / LAMINAR[target_key]))


def main():
    jobs = tempfile.mkdtemp(prefix="tp-bench-jobs-")
    with open(os.path.join(jobs, "hi.Jenkinsfile"), "w") as f:
        f.write(ECHO_HI)
    starts, restarts, rsses, echo_client, echo_server, spawn = [], [], [], [], [], []
    try:
        for _ in range(ROUNDS):
            ms, proc, port, data = cold_start(jobs)
            starts.append(ms)
            conn = http.client.HTTPConnection("127.0.0.1", port)
            for _ in range(5):
                get(conn, ORG + "/pipelines/")
            conn.close()
            time.sleep(0.05)
            rsses.append(rss_mb(proc.pid))
            proc.terminate()
            proc.wait()
            # The same data dir again: a restart, the usual case.
            ms, proc, port, data = cold_start(jobs, data)
            restarts.append(ms)
            proc.terminate()
            proc.wait()
            shutil.rmtree(data, ignore_errors=True)
            start = time.perf_counter()
            subprocess.run(["/bin/true"])
            spawn.append((time.perf_counter() - start) * 1000)

        ms, proc, port, data = cold_start(jobs)
        for n in range(1, ROUNDS * 5 + 1):
            client_ms, server_ms = echo_hi(port, n)
            if n > 3:  # the first runs warm the page cache and SQLite
                echo_client.append(client_ms)
                echo_server.append(server_ms)
        rss_after = rss_mb(proc.pid)
        proc.terminate()
        proc.wait()
        shutil.rmtree(data, ignore_errors=True)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)

    print("tidepool bench: %d rounds, %d echo-hi runs, binary %s" % (
        ROUNDS, len(echo_client), BINARY))
    print("(the harness alone: spawn and wait of /bin/true, median %.2f ms, is included in "
          "the start figures)" % statistics.median(spawn))
    line("start, new data dir", starts, "ms", "start_ms")
    line("start, existing data dir", restarts, "ms", "start_ms")
    line("idle RSS", rsses, "MB", "rss_mb")
    line("echo hi: POST -> FINISHED", echo_client, "ms", "echo_ms")
    line("echo hi: enqueue -> end", echo_server, "ms", "echo_ms")
    print("RSS after %d runs: %.2f MB" % (ROUNDS * 5, rss_after))
    if os.path.isdir(CORPUS):
        nfiles, times = lint_corpus()
        line("lint %d corpus files" % nfiles, times, "ms", "lint_ms")
        print("lint throughput: %.0f files/s (one process, start-up included)" % (
            nfiles / (statistics.median(times) / 1000)))


if __name__ == "__main__":
    main()
