"""tidepool HTTP benchmark: prints figures, asserts nothing.

    /usr/bin/python3 bench/api.py build/tidepool [seconds]

With build/tp_load (64 keep-alive connections on loopback, one request at a time each):
  * GET /api/json?tree=jobs[name,color] with 1,000 jobs (the classic API's job list);
  * GET a finished run and its nodes through Blue Ocean (targets: >= 50k req/s, p99 < 2 ms);
each read once as an idle server answers it (kept from the same read before: http/cache.h)
and once made afresh (TP_NO_CACHE=1);
and 1,000 idle SSE gateway listeners: the server's RSS before and with them, and the CPU it
spends over 5 s while they wait.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BINARY = sys.argv[1] if len(sys.argv) > 1 else "build/tidepool"
SECONDS = sys.argv[2] if len(sys.argv) > 2 else "3"
LOAD = os.path.join(os.path.dirname(os.path.abspath(BINARY)), "tp_load")
ORG = "/blue/rest/organizations/jenkins"

PIPELINE = """pipeline {
    agent any
    stages {
        stage('Build') { steps { echo 'build' } }
        stage('Test') {
            parallel {
                stage('unit') { steps { echo 'unit' } }
                stage('ui') { steps { echo 'ui' } }
            }
        }
        stage('Deploy') { steps { echo 'deploy' } }
    }
}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_listeners(port, pid, count=1000):
    before = status_kb(pid, "VmRSS")
    socks = []
    for i in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/sse-gateway/connect?clientId=bench-%d" % i)
        conn.getresponse().read()
        conn.close()
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /sse-gateway/listen/bench-%d HTTP/1.1\r\nHost: b\r\n\r\n" % i)
        socks.append(s)
    for s in socks:
        s.settimeout(5)
        data = b""
        while b"event: open" not in data:
            data += s.recv(4096)
    with_them = status_kb(pid, "VmRSS")
    cpu = cpu_seconds(pid)
    time.sleep(5)
    idle_cpu = cpu_seconds(pid) - cpu
    print("%-30s RSS %d KiB -> %d KiB (%.1f KiB each); CPU while idle %.3f s over 5 s"
          % ("%d idle SSE listeners" % count, before, with_them,
             (with_them - before) / count, idle_cpu))
    for s in socks:
        s.close()


def start(jobs, data, env):
    port = free_port()
    proc = subprocess.Popen([BINARY, "serve", "--port", str(port), "--data", data, "--jobs",
                             jobs], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, **env))
    deadline = time.time() + 20
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/json?tree=jobs[name]")
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                return port, proc, conn
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def load(port, label):
    for name, path in [
            ("classic job list, 1000 jobs", "/api/json?tree=jobs%5Bname,color%5D"),
            ("Blue Ocean run", ORG + "/pipelines/job-0000/runs/1/"),
            ("Blue Ocean run nodes", ORG + "/pipelines/job-0000/runs/1/nodes/")]:
        out = subprocess.run([LOAD, str(port), path, "64", SECONDS], capture_output=True,
                             text=True).stdout.strip()
        print("%-30s %-8s %s" % (name, label, out))


def main():
    jobs = tempfile.mkdtemp(prefix="tp-bench-jobs-")
    data = tempfile.mkdtemp(prefix="tp-bench-data-")
    for i in range(1000):
        with open(os.path.join(jobs, "job-%04d.Jenkinsfile" % i), "w") as f:
            f.write(PIPELINE)
    proc = None
    try:
        port, proc, conn = start(jobs, data, {})
        conn.request("POST", ORG + "/pipelines/job-0000/runs/", b"{}",
                     {"Content-Type": "application/json"})
        conn.getresponse().read()
        while True:
            conn.request("GET", ORG + "/pipelines/job-0000/runs/1/")
            if json.loads(conn.getresponse().read())["state"] == "FINISHED":
                break
            time.sleep(0.01)
        # an idle server answers a repeated read from what it made for the last one (targets
        # >= 50k req/s, p99 < 2 ms); TP_NO_CACHE=1 makes every answer afresh
        load(port, "kept")
        idle_listeners(port, proc.pid)
        proc.terminate()
        proc.wait()
        port, proc, conn = start(jobs, data, {"TP_NO_CACHE": "1"})
        load(port, "afresh")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
