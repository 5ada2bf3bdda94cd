"""Helpers for integration tests: start the real tidepool binary on a loopback port the OS
picks, with a temporary data dir, and talk HTTP to it. Standard library only (run with
/usr/bin/python3).
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

BINARY = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TIDEPOOL", "build/tidepool")
SOURCE_DIR = os.environ.get(
    "TP_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
ORG = "/blue/rest/organizations/jenkins"


class Server:
    """A `tidepool serve` process. Use as a context manager."""

    def __init__(self, jobs=None, data=None, executors=2, extra=None, env=None):
        self.extra = extra or []
        self.env = env
        self.own_data = data is None
        self.data = data or tempfile.mkdtemp(prefix="tp-it-data-")
        self.jobs = jobs
        self.executors = executors
        self.proc = None
        self.port = None

    def start(self):
        args = [BINARY, "serve", "--port", "0", "--data", self.data,
                "--executors", str(self.executors)]
        if self.jobs:
            args += ["--jobs", self.jobs]
        args += self.extra
        self.stderr = tempfile.TemporaryFile()
        env = dict(os.environ, **self.env) if self.env else None
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr, env=env)
        line = self.proc.stdout.readline().decode()
        if "serving http://" not in line:
            self.stderr.seek(0)
            raise RuntimeError("server did not start: %r %s" % (line, self.stderr.read().decode()))
        url = line.split("serving ")[1].split()[0]
        self.port = urllib.parse.urlparse(url).port
        return self

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def log(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, *exc):
        code = self.stop()
        if self.own_data:
            shutil.rmtree(self.data, ignore_errors=True)
        if exc_type is None:
            # A clean stop, and nothing from the sanitizers (the Asan build runs these too).
            log = self.log()
            assert code == 0, "server exited %s:\n%s" % (code, log[-3000:])
            for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                assert marker not in log, log[-5000:]

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers dict with lower-case names, body bytes)."""
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get_json(self, path, expect=200):
        status, headers, body = self.request("GET", path)
        assert status == expect, (path, status, body)
        return json.loads(body)

    def post_run(self, pipeline, body=b"{}"):
        status, _, data = self.request("POST", "%s/pipelines/%s/runs/" % (ORG, pipeline), body,
                                       {"Content-Type": "application/json"})
        assert status == 200, (status, data)
        return json.loads(data)

    def wait_run(self, pipeline, number, state="FINISHED", timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            run = self.get_json("%s/pipelines/%s/runs/%s/" % (ORG, pipeline, number))
            if run["state"] == state:
                return run
            time.sleep(0.02)
        raise AssertionError("run %s #%s never reached %s" % (pipeline, number, state))

    def stop_run(self, pipeline, number=1):
        """PUT .../runs/N/stop/; returns the HTTP status."""
        path = "%s/pipelines/%s/runs/%d/stop/" % (ORG, pipeline, number)
        return self.request("PUT", path, b"", {"Content-Type": "application/json"})[0]

    def run_log(self, pipeline, number=1):
        """The run's whole console log, as text."""
        path = "%s/pipelines/%s/runs/%d/log/" % (ORG, pipeline, number)
        return self.request("GET", path)[2].decode()

    def nodes(self, pipeline, number=1):
        return self.get_json("%s/pipelines/%s/runs/%d/nodes/" % (ORG, pipeline, number))

    def node_steps(self, pipeline, node_id, number=1):
        return self.get_json("%s/pipelines/%s/runs/%d/nodes/%s/steps/" % (
            ORG, pipeline, number, node_id))

    def raw(self, data, read_until_close=True, timeout=5):
        """Sends raw bytes on a fresh socket and returns everything received."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
                if not read_until_close:
                    break
            return b"".join(chunks)
        finally:
            s.close()


def write_jobs(files):
    """Creates a jobs dir holding NAME.Jenkinsfile for each name -> text ("dir/NAME" inside a
    sub-directory, which tidepool shows as a folder)."""
    d = tempfile.mkdtemp(prefix="tp-it-jobs-")
    for name, text in files.items():
        path = os.path.join(d, name + ".Jenkinsfile")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return d


def pipeline(stages, environment=None):
    env = ""
    if environment:
        env = "    environment {\n%s    }\n" % "".join(
            "        %s = '%s'\n" % kv for kv in environment.items())
    return "pipeline {\n    agent any\n%s    stages {\n%s    }\n}\n" % (env, stages)


def run_tests(tests):
    """Runs the test functions, prints a line per test and the closing tally."""
    only = sys.argv[2] if len(sys.argv) > 2 else None
    passed = failed = 0
    for test in tests:
        if only and test.__name__ != only:
            continue
        start = time.time()
        try:
            test()
            passed += 1
            print("ok   %s (%.0f ms)" % (test.__name__, (time.time() - start) * 1000))
        except Exception:
            failed += 1
            print("FAIL %s" % test.__name__)
            traceback.print_exc()
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def pids_with(marker, command=None):
    """Pids of the processes whose command line contains `marker` (bytes); with `command`
    (bytes), only those running that program (not the shells whose inline script names it)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if marker in cmd and (command is None or cmd.startswith(command + b"\0")):
            found.append(int(pid))
    return found


def wait_until(predicate, timeout=10):
    """Calls `predicate` until it returns something true, and returns that; fails after
    `timeout` seconds."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)
