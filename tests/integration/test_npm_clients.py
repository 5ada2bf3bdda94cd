"""node-jenkins and jenkins-api, the npm clients, against tidepool: their job, build, queue and
log calls (node-jenkins' log stream included), as tests/clients/npm_clients.js drives them. The
packages are installed from npm on first use, next to the binary (tests/clients/package.json)."""

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
    if not os.path.isdir(os.path.join(where, "node_modules", "jenkins-api")):
        os.makedirs(where, exist_ok=True)
        shutil.copy(os.path.join(CLIENTS, "package.json"), where)
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


if __name__ == "__main__":
    run_tests([test_node_jenkins_and_jenkins_api])
