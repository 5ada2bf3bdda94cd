"""The npm clients against tidepool: node-jenkins and jenkins-api (their job, build, queue and
log calls, node-jenkins' log stream included, as tests/clients/npm_clients.js drives them), the
SSE gateway's headless client (tests/clients/sse_gateway.js) and Blue Ocean's own
blueocean-core-js in a jsdom page (tests/clients/blueocean_core.js). The packages are installed
from npm on first use, next to the binary (tests/clients/package.json)."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tp import BINARY, SOURCE_DIR, Server, run_tests, write_jobs  # noqa: E402
from test_classic import PARAMS, SLOW  # noqa: E402

CLIENTS = os.path.join(SOURCE_DIR, "tests", "clients")


def install():
    """The npm packages, installed once into <build>/npm-clients."""
    where = os.path.join(os.path.dirname(os.path.abspath(BINARY)), "npm-clients")
    wanted = os.path.join(CLIENTS, "package.json")
    have = os.path.join(where, "package.json")
    with open(wanted) as f:
        want_text = f.read()
    same = os.path.exists(have) and open(have).read() == want_text
    if not same or not os.path.isdir(os.path.join(where, "node_modules")):
        os.makedirs(where, exist_ok=True)
        shutil.copy(wanted, where)
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=where,
                           capture_output=True, text=True, timeout=170)
        assert r.returncode == 0, ("npm install failed", r.stdout, r.stderr)
    return os.path.join(where, "node_modules")


def test_node_jenkins_and_jenkins_api():
    modules = install()
    jobs = write_jobs({"params": PARAMS, "slow": SLOW})
    try:
        with Server(jobs=jobs) as s:
            r = subprocess.run(["node", os.path.join(CLIENTS, "npm_clients.js"),
                                "http://127.0.0.1:%d" % s.port], capture_output=True, text=True,
                               timeout=120, env=dict(os.environ, NODE_PATH=modules))
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert r.stdout.count("ok ") == 4, r.stdout
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


HELLO = """pipeline {
    agent any
    stages {
        stage('Build') { steps { sh 'echo hello from tidepool' } }
    }
}
"""


def run_node(script, modules, *args):
    r = subprocess.run(["node", os.path.join(CLIENTS, script)] + list(args), capture_output=True,
                       text=True, timeout=120, env=dict(os.environ, NODE_PATH=modules))
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout


def test_sse_gateway_headless_client():
    modules = install()
    jobs = write_jobs({"watched": HELLO})
    try:
        with Server(jobs=jobs) as s:
            out = run_node("sse_gateway.js", modules, "http://127.0.0.1:%d" % s.port, "watched")
            assert "ok sse-gateway" in out, out
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_blueocean_core_js():
    modules = install()
    jobs = write_jobs({"hello-core": HELLO, "other": HELLO})
    try:
        with Server(jobs=jobs) as s:
            out = run_node("blueocean_core.js", modules, "http://127.0.0.1:%d" % s.port,
                           "hello-core")
            assert "ok blueocean-core-js" in out, out
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_node_jenkins_and_jenkins_api, test_sse_gateway_headless_client,
               test_blueocean_core_js])
