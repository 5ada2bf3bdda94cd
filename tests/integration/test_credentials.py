"""Credentials from <data>/credentials.json: credentials('id') in environment {} (secret text,
username and password with _USR/_PSW), withCredentials bindings in steps and in script {}, secret
files, masking as **** everywhere in the log, and Jenkins' error for an unknown id."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import Server, run_tests, write_jobs  # noqa: E402

STORE = {
    "api-token": {"type": "string", "secret": "s3cr3t-T0ken"},
    "deploy": {"type": "usernamePassword", "username": "bob", "password": "hunter2pw"},
    "kubeconfig": {"type": "file", "fileName": "config", "content": "apiVersion: v1\n"},
    "aws-key": {"type": "aws", "accessKey": "AKIAEXAMPLE", "secretKey": "wJalrXUtnFEMI"},
}

SECRETS = """pipeline {
    agent any
    environment {
        TOKEN = credentials('api-token')
        DEPLOY = credentials('deploy')
    }
    stages {
        stage('Env') {
            steps {
                sh 'echo token=$TOKEN user=$DEPLOY_USR pass=$DEPLOY_PSW both=$DEPLOY'
                echo "groovy sees ${env.TOKEN}"
            }
        }
        stage('With') {
            steps {
                withCredentials([string(credentialsId: 'api-token', variable: 'T2'),
                                 usernamePassword(credentialsId: 'deploy',
                                                  usernameVariable: 'U', passwordVariable: 'P')]) {
                    sh 'echo t2=$T2 u=$U p=$P'
                }
                withCredentials([file(credentialsId: 'kubeconfig', variable: 'KCFG')]) {
                    sh 'cat "$KCFG"; stat -c mode=%a "$KCFG"; basename "$KCFG"'
                }
                script {
                    withCredentials([string(credentialsId: 'api-token', variable: 'T3')]) {
                        sh 'echo t3=$T3'
                    }
                }
                withCredentials([[$class: 'AmazonWebServicesCredentialsBinding',
                                  credentialsId: 'aws-key', accessKeyVariable: 'AK',
                                  secretKeyVariable: 'SK'],
                                 [$class: 'StringBinding', credentialsId: 'api-token',
                                  variable: 'T4']]) {
                    sh 'echo ak=$AK sk=$SK t4=$T4'
                }
                withCredentials([aws(credentialsId: 'aws-key')]) {
                    sh 'echo id=$AWS_ACCESS_KEY_ID secret=$AWS_SECRET_ACCESS_KEY'
                }
            }
        }
    }
}
"""

MISSING = """pipeline {
    agent any
    stages {
        stage('S') {
            environment { X = credentials('nope') }
            steps { echo 'never' }
        }
    }
}
"""


def test_bound_secrets_reach_steps_and_never_the_log():
    jobs = write_jobs({"secrets": SECRETS, "missing": MISSING})
    data = tempfile.mkdtemp(prefix="tp-it-data-")
    with open(os.path.join(data, "credentials.json"), "w") as f:
        json.dump(STORE, f)
    try:
        with Server(jobs=jobs, data=data) as s:
            s.post_run("secrets")
            run = s.wait_run("secrets", 1)
            log = s.run_log("secrets").replace("\r\n", "\n")
            assert run["result"] == "SUCCESS", log
            for line in ["token=**** user=bob pass=**** both=****", "groovy sees ****",
                         "t2=**** u=bob p=****", "t3=****", "ak=AKIAEXAMPLE sk=**** t4=****",
                         "id=AKIAEXAMPLE secret=****", "apiVersion: v1", "mode=600",
                         "config",
                         "Masking supported pattern matches of $T2 or $U or $P"]:
                assert line in log.split("\n"), (line, log)
            for secret in ["s3cr3t-T0ken", "hunter2pw"]:
                assert secret not in log
            assert glob.glob(os.path.join(data, "workspace", "*@tmp", "secretFiles", "*")) == []

            s.post_run("missing")
            assert s.wait_run("missing", 1)["result"] == "FAILURE"
            log = s.run_log("missing").replace("\r\n", "\n")
            assert ("org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException: "
                    "Could not find credentials entry with ID 'nope'") in log, log
            assert "never" not in log
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


AGENT = """pipeline {
    agent any
    stages {
        stage('Push') {
            steps {
                sshagent(['git-key', 'locked-key']) {
                    sh 'ssh-add -l | sed "s/.*SHA256:[^ ]* //" > keys.txt; cat keys.txt; echo "$SSH_AGENT_PID" > agent.pid'
                }
                script {
                    sshagent(credentials: ['nowhere'], ignoreMissing: true) { echo 'went on' }
                }
                sshagent(['nowhere']) { echo 'never' }
            }
        }
    }
}
"""


def test_sshagent_serves_the_keys_to_the_block():
    home = tempfile.mkdtemp(prefix="tp-it-keys-")
    store = {}
    for name, passphrase in (("git-key", ""), ("locked-key", "open sesame")):
        path = os.path.join(home, name)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C",
                        "%s-comment" % name, "-f", path], check=True)
        with open(path) as f:
            store[name] = {"type": "sshUserPrivateKey", "username": "git",
                           "privateKey": f.read(), "passphrase": passphrase}
    jobs = write_jobs({"agent": AGENT})
    data = tempfile.mkdtemp(prefix="tp-it-data-")
    with open(os.path.join(data, "credentials.json"), "w") as f:
        json.dump(store, f)
    try:
        with Server(jobs=jobs, data=data) as s:
            s.post_run("agent")
            run = s.wait_run("agent", 1)
            log = s.run_log("agent").replace("\r\n", "\n")
            lines = log.split("\n")
            assert run["result"] == "FAILURE", log
            for line in ["[ssh-agent] Using credentials git", "$ ssh-agent",
                         "[ssh-agent] Started.", "git-key-comment (ED25519)",
                         "locked-key-comment (ED25519)", "[ssh-agent] Stopped.",
                         "[ssh-agent] Could not find specified credentials: nowhere", "went on",
                         "org.jenkinsci.plugins.credentialsbinding.impl."
                         "CredentialNotFoundException: Could not find credentials entry with ID "
                         "'nowhere'"]:
                assert line in lines, (line, log)
            assert "never" not in lines and "open sesame" not in log
            # the agent is gone with its block
            with open(os.path.join(data, "workspace", "agent", "agent.pid")) as f:
                pid = int(f.read())
            assert not os.path.exists("/proc/%d" % pid) or \
                open("/proc/%d/stat" % pid).read().split()[2] == "Z"
            assert glob.glob(os.path.join(data, "workspace", "agent@tmp", "ssh-agent-*")) == []
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_bound_secrets_reach_steps_and_never_the_log,
               test_sshagent_serves_the_keys_to_the_block])
