"""git and checkout with the git CLI from a local repository: the git step (a local branch),
checkout scmGit(...) and checkout([$class: 'GitSCM', ...]) (detached), the GIT_* map they return,
the Git plugin's log lines, a missing branch, and `checkout scm` in a job that has no SCM."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import Server, pipeline, run_tests, write_jobs  # noqa: E402


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="Ann", GIT_AUTHOR_EMAIL="ann@example.com",
               GIT_COMMITTER_NAME="Ann", GIT_COMMITTER_EMAIL="ann@example.com")
    return subprocess.run(["git", "-C", repo] + list(args), check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def make_repo():
    repo = tempfile.mkdtemp(prefix="tp-it-repo-")
    git(repo, "init", "-q", "-b", "main")
    with open(os.path.join(repo, "README"), "w") as f:
        f.write("on main\n")
    git(repo, "add", "README")
    git(repo, "commit", "-q", "-m", "first on main")
    git(repo, "checkout", "-q", "-b", "dev")
    with open(os.path.join(repo, "README"), "w") as f:
        f.write("on dev\n")
    git(repo, "commit", "-q", "-am", "work on dev")
    git(repo, "checkout", "-q", "main")
    return repo


def test_git_and_checkout_from_a_local_repository():
    repo = make_repo()
    main_sha = git(repo, "rev-parse", "main")
    dev_sha = git(repo, "rev-parse", "dev")
    jobs = write_jobs({
        "scm": pipeline("""
        stage('Git') {
            steps {
                git url: 'file://%(repo)s', branch: 'main'
                sh 'cat README; git rev-parse --abbrev-ref HEAD'
                dir('dev') {
                    script {
                        def vars = checkout scmGit(branches: [[name: '*/dev']],
                                                   userRemoteConfigs: [[url: '%(repo)s']])
                        echo "commit=${vars.GIT_COMMIT} branch=${vars.GIT_BRANCH}"
                    }
                    sh 'cat README'
                }
                dir('classic') {
                    checkout([$class: 'GitSCM', branches: [[name: 'main']],
                              userRemoteConfigs: [[url: 'file://%(repo)s']]])
                    sh 'cat README'
                }
            }
        }
""" % {"repo": repo}),
        "nobranch": pipeline("""
        stage('S') { steps { git url: '%s', branch: 'nope' } }
""" % repo),
        "noscm": pipeline("stage('S') { steps { checkout scm } }"),
    })
    try:
        with Server(jobs=jobs) as s:
            for name in ["scm", "nobranch", "noscm"]:
                s.post_run(name)
            run = s.wait_run("scm", 1)
            log = s.run_log("scm").replace("\r\n", "\n")
            assert run["result"] == "SUCCESS", log
            lines = log.split("\n")
            assert "Cloning the remote Git repository" in lines, log
            assert "Checking out Revision %s (refs/remotes/origin/main)" % main_sha in lines
            assert 'Commit message: "first on main"' in lines
            assert lines.count("on main") == 2 and lines.count("on dev") == 1, log
            assert "main" in lines  # the git step checks out a local branch
            assert "commit=%s branch=origin/dev" % dev_sha in lines, log
            steps = s.node_steps("scm", s.nodes("scm")[0]["id"])
            names = [st["displayName"] for st in steps]
            assert names[0] == "Git" and names.count("Check out from version control") == 2

            assert s.wait_run("nobranch", 1)["result"] == "FAILURE"
            log = s.run_log("nobranch").replace("\r\n", "\n")
            assert "ERROR: Couldn't find any revision to build." in log, log

            assert s.wait_run("noscm", 1)["result"] == "FAILURE"
            log = s.run_log("noscm").replace("\r\n", "\n")
            assert ("ERROR: ‘checkout scm’ is only available when using “Multibranch Pipeline” "
                    "or “Pipeline script from SCM”") in log, log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(repo, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_git_and_checkout_from_a_local_repository])
