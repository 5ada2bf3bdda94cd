"""Multibranch pipelines from git: a git repository in the jobs dir (or a NAME.git file naming
one) is a multibranch pipeline; indexing makes a branch job for each branch whose head has a
Jenkinsfile and builds it ("Branch indexing"); BRANCH_NAME and GIT_COMMIT are set and the
workspace is a checkout; POST .../{mbp}/runs/ indexes again (new branches built, moved heads
built again, deleted branches gone); Blue Ocean's MultiBranchPipelineImpl, branches/ (primary
first, names encoded once and hrefs twice), runs across branches; the classic API's job
paths."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests, wait_until  # noqa: E402

FILE = """pipeline {
    agent any
    stages {
        stage('Show') {
            steps {
                sh 'echo "branch=$BRANCH_NAME commit=$GIT_COMMIT"; cat README'
            }
        }
    }
}
"""


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="Ann", GIT_AUTHOR_EMAIL="ann@example.com",
               GIT_COMMITTER_NAME="Ann", GIT_COMMITTER_EMAIL="ann@example.com")
    return subprocess.run(["git", "-C", repo] + list(args), check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def write(repo, name, text):
    with open(os.path.join(repo, name), "w") as f:
        f.write(text)


def make_repo(path):
    os.makedirs(path)
    git(path, "init", "-q", "-b", "main")
    write(path, "README", "on main\n")
    write(path, "Jenkinsfile", FILE)
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "main with a pipeline")
    git(path, "checkout", "-q", "-b", "feature/x")
    write(path, "README", "on feature/x\n")
    git(path, "commit", "-q", "-am", "feature work")
    git(path, "checkout", "-q", "-b", "docs", "main")
    git(path, "rm", "-q", "Jenkinsfile")
    git(path, "commit", "-q", "-m", "docs only")
    git(path, "checkout", "-q", "main")


def branch_runs(s, branch):
    return s.get_json(ORG + "/pipelines/app/branches/%s/runs/" % branch)


def finished(s, branch, count):
    status, _, body = s.request("GET", ORG + "/pipelines/app/branches/%s/runs/" % branch)
    if status == 404:
        return False  # not indexed yet
    runs = json.loads(body)
    return len(runs) >= count and all(r["state"] == "FINISHED" for r in runs)


def test_multibranch_from_a_repository_in_the_jobs_dir():
    jobs = tempfile.mkdtemp(prefix="tp-it-jobs-")
    repo = os.path.join(jobs, "app")
    make_repo(repo)
    try:
        with Server(jobs=jobs) as s:
            # indexing made and built the two branches with a Jenkinsfile
            wait_until(lambda: finished(s, "main", 1) and finished(s, "feature%252Fx", 1),
                       timeout=30)
            mbp = s.get_json(ORG + "/pipelines/app/")
            assert mbp["_class"] == "io.jenkins.blueocean.rest.impl.pipeline.MultiBranchPipelineImpl"
            assert mbp["branchNames"] == ["main", "feature%2Fx"], mbp["branchNames"]
            assert (mbp["totalNumberOfBranches"], mbp["numberOfSuccessfulBranches"],
                    mbp["numberOfFailingBranches"]) == (2, 2, 0)
            assert mbp["_links"]["branches"]["href"] == ORG + "/pipelines/app/branches/"
            assert mbp["scriptPath"] == "Jenkinsfile" and mbp["disabled"] is None
            branches = s.get_json(ORG + "/pipelines/app/branches/")
            assert [(b["name"], b["displayName"], b["branch"]["isPrimary"]) for b in branches] == [
                ("main", "main", True), ("feature%2Fx", "feature/x", False)], branches
            assert branches[1]["_class"] == "io.jenkins.blueocean.rest.impl.pipeline.BranchImpl"
            assert branches[1]["_links"]["self"]["href"] == \
                ORG + "/pipelines/app/branches/feature%252Fx/"
            assert branches[1]["fullName"] == "app/feature%2Fx"
            # the run: cause, BRANCH_NAME, GIT_COMMIT, a checked-out workspace
            run = branch_runs(s, "feature%252Fx")[0]
            assert run["causes"][0]["shortDescription"] == "Branch indexing"
            assert run["pipeline"] == "feature%2Fx", run["pipeline"]
            log = s.request("GET", ORG + "/pipelines/app/branches/feature%252Fx/runs/1/log/")[2]
            log = log.decode().replace("\r\n", "\n")
            head = git(repo, "rev-parse", "feature/x")
            assert "branch=feature/x commit=%s\n" % head in log, log
            assert "on feature/x\n" in log, log
            # the same through the classic API and the pipelines/ alias
            assert s.get_json("/job/app/job/feature%252Fx/1/api/json")["result"] == "SUCCESS"
            classic = s.get_json("/job/app/api/json")
            assert classic["_class"] == \
                "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"
            assert [(j["name"], j["url"].split("/job/", 1)[1]) for j in classic["jobs"]] == [
                ("feature%2Fx", "app/job/feature%252Fx/"), ("main", "app/job/main/")]
            assert s.get_json(ORG + "/pipelines/app/pipelines/main/runs/1/")["result"] == "SUCCESS"
            # runs across branches
            assert len(s.get_json(ORG + "/pipelines/app/runs/")) == 2
            # a branch job is started like any pipeline
            s.post_run("app/branches/main")
            s.wait_run("app/branches/main", 2)
            # index again after changes: a moved head builds again, a new branch is built, a
            # deleted branch goes
            write(repo, "README", "main moved\n")
            git(repo, "commit", "-q", "-am", "move main")
            git(repo, "checkout", "-q", "-b", "fresh")
            git(repo, "checkout", "-q", "main")
            git(repo, "branch", "-q", "-D", "feature/x")
            status, _, _ = s.request("POST", ORG + "/pipelines/app/runs/", b"{}",
                                     {"Content-Type": "application/json"})
            assert status == 200
            wait_until(lambda: [b["name"] for b in s.get_json(ORG + "/pipelines/app/branches/")]
                       == ["main", "fresh"], timeout=30)
            wait_until(lambda: finished(s, "main", 3) and finished(s, "fresh", 1), timeout=30)
            log = s.request("GET", ORG + "/pipelines/app/branches/main/runs/3/log/")[2].decode()
            assert "main moved" in log, log
            # commitId and the change set: the commits since the branch's previous run
            run3 = s.get_json(ORG + "/pipelines/app/branches/main/runs/3/")
            moved = git(repo, "rev-parse", "main")
            assert run3["commitId"] == moved
            assert [(c["commitId"], c["msg"], c["author"]["id"], c["affectedPaths"])
                    for c in run3["changeSet"]] == [(moved, "move main", "Ann", ["README"])]
            assert run3["changeSet"][0]["_class"].endswith("ChangeSetResource")
            assert s.get_json(ORG + "/pipelines/app/branches/main/runs/3/changeSet/") == \
                run3["changeSet"]
            assert s.get_json(ORG + "/pipelines/app/branches/main/runs/1/")["changeSet"] == []
            build = s.get_json("/job/app/job/main/3/api/json")
            items = build["changeSets"][0]["items"]
            assert [(i["commitId"], i["msg"], i["affectedPaths"]) for i in items] == [
                (moved, "move main", ["README"])]
            s.get_json(ORG + "/pipelines/app/branches/feature%252Fx/", expect=404)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_multibranch_from_a_git_file():
    jobs = tempfile.mkdtemp(prefix="tp-it-jobs-")
    elsewhere = tempfile.mkdtemp(prefix="tp-it-repo-")
    repo = os.path.join(elsewhere, "service")
    make_repo(repo)
    write(jobs, "svc.git", "file://%s\n" % repo)
    try:
        with Server(jobs=jobs) as s:
            wait_until(lambda: s.get_json(ORG + "/pipelines/svc/branches/"), timeout=30)
            assert [b["name"] for b in s.get_json(ORG + "/pipelines/svc/branches/")] == [
                "main", "feature%2Fx"]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(elsewhere, ignore_errors=True)


ORDERED = """pipeline {
    agent any
    stages { stage('S') { steps { sh 'sleep "$(cat DELAY)"' } } }
}
"""


def test_branch_order_favorites_and_queue():
    # The repository's default branch (its HEAD, here "trunk") is the primary one; then the
    # caller's favorites; then by the last run's end, newest first. Favoriting the multibranch
    # pipeline favorites its primary branch. Its queue lists every branch's queued runs.
    from test_auth import auth, users_file  # noqa: E402
    jobs = tempfile.mkdtemp(prefix="tp-it-jobs-")
    repo = os.path.join(jobs, "app")
    os.makedirs(repo)
    git(repo, "init", "-q", "-b", "trunk")
    write(repo, "Jenkinsfile", ORDERED)
    write(repo, "DELAY", "0\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "trunk")
    for branch, delay in (("alpha", "2"), ("beta", "1"), ("gamma", "0.0")):
        git(repo, "checkout", "-q", "-b", branch, "trunk")
        write(repo, "DELAY", delay + "\n")
        git(repo, "commit", "-q", "-am", branch)
    git(repo, "checkout", "-q", "trunk")
    other = os.path.join(jobs, "nodefault")  # its default branch has no Jenkinsfile
    os.makedirs(other)
    git(other, "init", "-q", "-b", "main")
    write(other, "README", "no pipeline here\n")
    git(other, "add", ".")
    git(other, "commit", "-q", "-m", "docs")
    git(other, "checkout", "-q", "-b", "work")
    write(other, "Jenkinsfile", ORDERED)
    write(other, "DELAY", "0\n")
    git(other, "add", ".")
    git(other, "commit", "-q", "-m", "pipeline")
    git(other, "checkout", "-q", "main")
    users = users_file()
    alice = auth("alice")
    try:
        with Server(jobs=jobs, executors=4, extra=["--users", users]) as s:
            def names(path="app"):
                status, _, body = s.request("GET", ORG + "/pipelines/%s/branches/" % path,
                                            None, alice)
                return [b["name"] for b in json.loads(body)] if status == 200 else []

            def all_done():
                status, _, body = s.request("GET", ORG + "/pipelines/app/runs/", None, alice)
                runs = json.loads(body) if status == 200 else []
                return len(runs) == 4 and all(r["state"] == "FINISHED" for r in runs)

            wait_until(all_done, timeout=30)
            # all four started together; gamma ended first, alpha last
            assert names() == ["trunk", "alpha", "beta", "gamma"], names()
            # runs across branches, paged per branch as Blue Ocean pages them
            def runs(query):
                status, _, body = s.request("GET", ORG + "/pipelines/app/runs/" + query, None,
                                            alice)
                return [(r["pipeline"], r["id"]) for r in json.loads(body)]

            assert len(runs("?limit=2")) == 2
            assert runs("?branch=beta") == [("beta", "1")]
            assert runs("?start=1") == []  # one run each: skipping one in every branch
            status, _, body = s.request("GET", ORG + "/pipelines/app/branches/trunk/", None,
                                        alice)
            assert json.loads(body)["branch"]["isPrimary"] is True
            json_headers = dict(alice, **{"Content-Type": "application/json"})
            status, _, body = s.request("PUT", ORG + "/pipelines/app/favorite/",
                                        b'{"favorite": true}', json_headers)
            assert status == 200, body
            favorite = json.loads(body)
            assert favorite["item"]["name"] == "trunk"
            assert favorite["_links"]["self"]["href"] == \
                ORG + "/pipelines/app/branches/trunk/favorite/"
            status, _, body = s.request("PUT", ORG + "/pipelines/app/branches/gamma/favorite/",
                                        b'{"favorite": true}', json_headers)
            assert status == 200, body
            assert names() == ["trunk", "gamma", "alpha", "beta"], names()
            status, _, body = s.request("GET", "/blue/rest/users/alice/favorites/", None, alice)
            assert sorted(f["item"]["name"] for f in json.loads(body)) == ["gamma", "trunk"]
            # no default branch job: nothing to favorite
            wait_until(lambda: names("nodefault") == ["work"], timeout=30)
            status, _, body = s.request("PUT", ORG + "/pipelines/nodefault/favorite/",
                                        b'{"favorite": true}', json_headers)
            assert status == 400 and json.loads(body)["message"] == \
                "no default branch to favorite", body
            # the queue across branches (4 executors, alpha's runs take 2 s): the latest first
            for _ in range(5):
                s.request("POST", ORG + "/pipelines/app/branches/alpha/runs/", b"{}",
                          json_headers)
            s.request("POST", ORG + "/pipelines/app/branches/beta/runs/", b"{}", json_headers)
            status, _, body = s.request("GET", ORG + "/pipelines/app/queue/", None, alice)
            assert status == 200
            queue = json.loads(body)
            assert queue, queue
            assert all(q["_class"].endswith("QueueItemImpl") for q in queue), queue
            times = [q["queuedTime"] for q in queue]
            assert times == sorted(times, reverse=True), times
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        os.unlink(users)


if __name__ == "__main__":
    run_tests([test_multibranch_from_a_repository_in_the_jobs_dir,
               test_multibranch_from_a_git_file,
               test_branch_order_favorites_and_queue])
