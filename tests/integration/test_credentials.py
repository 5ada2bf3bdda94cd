"""Credentials from <data>/credentials.json: credentials('id') in environment {} (secret text,
username and password with _USR/_PSW), withCredentials bindings in steps and in script {}, secret
files, masking as **** everywhere in the log, and Jenkins' error for an unknown id."""

import glob
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import Server, run_tests, write_jobs  # noqa: E402

STORE = {
    "api-token": {"type": "string", "secret": "s3cr3t-T0ken"},
    "deploy": {"type": "usernamePassword", "username": "bob", "password": "hunter2pw"},
    "kubeconfig": {"type": "file", "fileName": "config", "content": "apiVersion: v1\n"},
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
                         "t2=**** u=bob p=****", "t3=****", "apiVersion: v1", "mode=600",
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


if __name__ == "__main__":
    run_tests([test_bound_secrets_reach_steps_and_never_the_log])
