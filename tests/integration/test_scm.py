"""git and checkout with the git CLI from a local repository: the git step (a local branch),
checkout scmGit(...) and checkout([$class: 'GitSCM', ...]) (detached), the GIT_* map they return,
the Git plugin's log lines, a missing branch, and `checkout scm` in a job that has no SCM; and
"Pipeline script from SCM" jobs (CpsScmFlowDefinition in a config.xml, made with python-jenkins):
the Jenkinsfile read from the repository at each build, the default checkout, `checkout scm`,
GIT_COMMIT, replay, a missing branch or script path."""

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


SCM_XML = """<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <description>from git</description>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition" plugin="workflow-cps">
    <scm class="hudson.plugins.git.GitSCM" plugin="git">
      <configVersion>2</configVersion>
      <userRemoteConfigs>
        <hudson.plugins.git.UserRemoteConfig><url>%s</url></hudson.plugins.git.UserRemoteConfig>
      </userRemoteConfigs>
      <branches><hudson.plugins.git.BranchSpec><name>%s</name></hudson.plugins.git.BranchSpec></branches>
    </scm>
    <scriptPath>%s</scriptPath>
    <lightweight>false</lightweight>
  </definition>
  <disabled>false</disabled>
</flow-definition>"""

FROM_REPO = """pipeline {
    agent any
    stages {
        stage('Read') {
            steps {
                sh 'cat README; echo "commit=$GIT_COMMIT branch=$GIT_BRANCH"'
                dir('again') {
                    checkout scm
                    sh 'cat README'
                }
                echo 'script version %s'
            }
        }
    }
}
"""


def test_pipeline_script_from_scm():
    import jenkins  # python3-jenkins
    repo = make_repo()
    os.makedirs(os.path.join(repo, "ci"))
    with open(os.path.join(repo, "ci", "Jenkinsfile"), "w") as f:
        f.write(FROM_REPO % "one")
    git(repo, "add", "ci/Jenkinsfile")
    git(repo, "commit", "-q", "-m", "add the pipeline")
    jobs = write_jobs({})
    try:
        with Server(jobs=jobs) as s:
            server = jenkins.Jenkins("http://127.0.0.1:%d" % s.port, timeout=10)
            server.create_job("from-git", SCM_XML % (repo, "*/main", "ci/Jenkinsfile"))
            assert server.get_job_config("from-git") == SCM_XML % (repo, "*/main",
                                                                  "ci/Jenkinsfile")
            head = git(repo, "rev-parse", "main")
            s.post_run("from-git")
            run = s.wait_run("from-git", 1)
            log = s.run_log("from-git").replace("\r\n", "\n")
            assert run["result"] == "SUCCESS", log
            assert "Checking out Revision %s (refs/remotes/origin/main)" % head in log, log
            assert "Obtained ci/Jenkinsfile from git %s" % repo in log, log
            assert log.count("on main\n") == 2, log
            assert "commit=%s branch=origin/main" % head in log, log
            assert "script version one" in log
            # a new commit: the next build reads the new script
            with open(os.path.join(repo, "ci", "Jenkinsfile"), "w") as f:
                f.write(FROM_REPO % "two")
            git(repo, "commit", "-q", "-am", "second version")
            s.post_run("from-git")
            s.wait_run("from-git", 2)
            assert "script version two" in s.run_log("from-git", 2)
            # replay runs the script run 1 read, not the repository's newest
            status, _, _ = s.request("POST", "/blue/rest/organizations/jenkins/pipelines/"
                                     "from-git/runs/1/replay/", b"{}",
                                     {"Content-Type": "application/json"})
            assert status == 200
            s.wait_run("from-git", 3)
            assert "script version one" in s.run_log("from-git", 3)
            # a branch or a script path that is not there fails the build, saying so
            server.create_job("no-branch", SCM_XML % (repo, "*/nope", "ci/Jenkinsfile"))
            server.create_job("no-file", SCM_XML % (repo, "*/main", "Jenkinsfile.missing"))
            s.post_run("no-branch")
            s.post_run("no-file")
            assert s.wait_run("no-branch", 1)["result"] == "FAILURE"
            assert "Couldn't find any revision to build" in s.run_log("no-branch")
            assert s.wait_run("no-file", 1)["result"] == "FAILURE"
            assert "Jenkinsfile.missing not found" in s.run_log("no-file")
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(repo, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_git_and_checkout_from_a_local_repository, test_pipeline_script_from_scm])
