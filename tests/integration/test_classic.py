"""The classic Jenkins API driven by the real python-jenkins and jenkins-job-builder (Debian's
python3-jenkins, jenkins-job-builder): jobs from config.xml (create, config round-trip, reconfigure,
copy, rename, enable/disable, delete, bad XML), version,
identity, crumb, job list and info with parameter definitions, build with parameters through the
queue item's Location, build info with parameters and causes, console, running builds, stop,
queue, nodes; and the raw rules other clients need (201 + Location, 302 actions, HEAD, tree=,
progressive logs)."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import Server, pipeline, run_tests, wait_until, write_jobs  # noqa: E402

import jenkins  # noqa: E402  (python3-jenkins)
import requests  # noqa: E402

PARAMS = """pipeline {
    agent any
    parameters {
        string(name: 'GREETING', defaultValue: 'hello', description: 'what to say')
        booleanParam(name: 'LOUD', defaultValue: false, description: '')
    }
    stages {
        stage('Say') { steps { sh 'echo "greeting=$GREETING loud=$LOUD"' } }
    }
}
"""

SLOW = pipeline("stage('Slow') { steps { sh 'sleep 37.5' } }")

ONE_AT_A_TIME = """pipeline {
    agent any
    options { disableConcurrentBuilds() }
    stages { stage('S') { steps { sh 'sleep 0.5' } } }
}
"""


def test_python_jenkins_drives_builds():
    jobs = write_jobs({"params": PARAMS, "slow": SLOW, "single": ONE_AT_A_TIME})
    try:
        with Server(jobs=jobs) as s:
            server = jenkins.Jenkins("http://127.0.0.1:%d" % s.port, timeout=10)
            assert server.get_version() == "2.479.3"
            assert server.get_whoami()["id"] == "anonymous"
            names = sorted(j["name"] for j in server.get_all_jobs())
            assert names == ["params", "single", "slow"], names
            assert server.job_exists("params") and not server.job_exists("nope")
            info = server.get_job_info("params")
            assert info["_class"] == "org.jenkinsci.plugins.workflow.job.WorkflowJob"
            assert info["nextBuildNumber"] == 1 and info["lastBuild"] is None
            defs = info["property"][0]["parameterDefinitions"]
            assert [(d["name"], d["defaultParameterValue"]["value"]) for d in defs] == [
                ("GREETING", "hello"), ("LOUD", False)], defs

            queue_id = server.build_job("params", {"GREETING": "hola", "LOUD": "true"})
            item = wait_until(lambda: server.get_queue_item(queue_id).get("executable"))
            number = item["number"]
            build = wait_until(lambda: (lambda b: b if not b["building"] else None)(
                server.get_build_info("params", number)))
            assert build["result"] == "SUCCESS", build
            params = [a for a in build["actions"] if a.get("_class") ==
                      "hudson.model.ParametersAction"][0]["parameters"]
            assert {p["name"]: p["value"] for p in params} == {"GREETING": "hola", "LOUD": True}
            causes = [a for a in build["actions"] if a.get("_class") ==
                      "hudson.model.CauseAction"][0]["causes"]
            assert causes[0]["shortDescription"] == "Started by user anonymous"
            console = server.get_build_console_output("params", number)
            assert "greeting=hola loud=true\n" in console, console
            assert server.get_job_info("params")["color"] == "blue"

            slow = server.build_job("slow")
            running = wait_until(lambda: server.get_running_builds())
            assert [(r["name"], r["number"]) for r in running] == [("slow", 1)], running
            assert server.get_nodes() == [{"name": "master", "offline": False}]
            assert wait_until(lambda: server.get_queue_item(slow).get("executable"))["number"] == 1
            server.stop_build("slow", 1)
            stopped = wait_until(lambda: (lambda b: b if not b["building"] else None)(
                server.get_build_info("slow", 1)))
            assert stopped["result"] == "ABORTED"

            server.build_job("single")
            second = server.build_job("single")
            waiting = wait_until(lambda: [i for i in server.get_queue_info() if i["id"] == second])
            assert waiting[0]["task"]["name"] == "single"
            assert waiting[0]["why"] in ("Build #1 is already in progress",
                                         "Waiting for next available executor")
            server.cancel_queue(second)
            wait_until(lambda: not [i for i in server.get_queue_info() if i["id"] == second])
            left = server.get_queue_item(second)
            assert left["_class"] == "hudson.model.Queue$LeftItem"
            assert left["cancelled"] is True and left["executable"] is None, left
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_the_raw_rules_clients_depend_on():
    jobs = write_jobs({"params": PARAMS})
    try:
        with Server(jobs=jobs) as s:
            status, headers, body = s.request("GET", "/")
            assert status == 200 and headers["x-jenkins"] and headers["x-hudson"]
            status, headers, _ = s.request("HEAD", "/job/params/api/json")
            assert status == 200 and headers["content-type"].startswith("application/json")
            assert s.request("HEAD", "/job/nope/api/json")[0] == 404
            # build: 201 and an absolute Location ending in /queue/item/<id>/
            status, headers, body = s.request(
                "POST", "/job/params/buildWithParameters", b"GREETING=form+value",
                {"Content-Type": "application/x-www-form-urlencoded"})
            assert status == 201 and body == b"", (status, body)
            location = headers["location"]
            assert location.startswith("http://127.0.0.1:%d/queue/item/" % s.port)
            assert location.endswith("/")
            s.wait_run("params", 1)
            # progressive log: X-Text-Size is the next start; no X-More-Data once finished
            status, headers, body = s.request("POST", "/job/params/1/logText/progressiveText",
                                              b"start=0",
                                              {"Content-Type": "application/x-www-form-urlencoded"})
            size = int(headers["x-text-size"])
            assert status == 200 and size == len(body) and "x-more-data" not in headers
            assert b"greeting=form value loud=false\n" in body
            status, headers, rest = s.request("GET", "/job/params/1/logText/progressiveText?start=%d"
                                              % (size - 10))
            assert rest == body[-10:] and int(headers["x-text-size"]) == size
            # progressiveHtml: the same text, HTML-escaped, with an annotator state
            status, headers, html = s.request("GET", "/job/params/1/logText/progressiveHtml")
            assert status == 200 and headers["content-type"].startswith("text/html")
            assert int(headers["x-text-size"]) == size and headers["x-consoleannotator"]
            assert html.replace(b"&lt;", b"<").replace(b"&gt;", b">").replace(
                b"&amp;", b"&") == body and "x-more-data" not in headers
            # tree=: nested fields, raw brackets, ranges, unknown fields absent
            job = s.get_json("/job/params/api/json?tree=name,builds[number,result]{0,1},nope")
            assert job == {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
                           "name": "params",
                           "builds": [{"_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
                                       "number": 1, "result": "SUCCESS"}]}, job
            job = s.get_json("/job/params/api/json?tree=allBuilds%5Bnumber%5D,lastBuild")
            assert job["allBuilds"] == [{"_class": "org.jenkinsci.plugins.workflow.job."
                                         "WorkflowRun", "number": 1}]
            assert job["lastBuild"] == {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun"}
            assert s.request("GET", "/api/json?tree=jobs[name")[0] == 400
            # actions answer 302 to pages that answer 200
            status, headers, _ = s.request("POST", "/job/params/1/stop")
            assert status == 302 and headers["location"].endswith("/job/params/1/")
            assert s.request("GET", "/job/params/1/")[0] == 200
            status, headers, _ = s.request("POST", "/job/params/1/doDelete")
            assert status == 302 and headers["location"].endswith("/job/params/")
            assert s.request("GET", "/job/params/1/api/json")[0] == 404
            assert s.request("GET", "/job/params/lastBuild/api/json")[0] == 404
            # jenkins-api appends /api/json to actions
            assert s.request("POST", "/job/params/build/api/json")[0] == 201
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


CONFIG = """<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <description>made by python-jenkins &amp; friends</description>
  <keepDependencies>false</keepDependencies>
  <properties>
    <hudson.model.ParametersDefinitionProperty>
      <parameterDefinitions>
        <hudson.model.StringParameterDefinition>
          <name>WHO</name><description>who</description><defaultValue>world</defaultValue>
          <trim>false</trim>
        </hudson.model.StringParameterDefinition>
        <hudson.model.ChoiceParameterDefinition>
          <name>COLOR</name><description/>
          <choices class="java.util.Arrays$ArrayList">
            <a class="string-array"><string>red</string><string>blue</string></a>
          </choices>
        </hudson.model.ChoiceParameterDefinition>
      </parameterDefinitions>
    </hudson.model.ParametersDefinitionProperty>
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>pipeline {
  agent any
  stages { stage('Hi') { steps { sh 'echo "hi $WHO in $COLOR"' } } }
}</script>
    <sandbox>true</sandbox>
  </definition>
  <disabled>false</disabled>
</flow-definition>
"""

JJB = """- job:
    name: jjb-demo
    project-type: pipeline
    description: 'Demo <!-- Managed by Jenkins Job Builder -->'
    parameters:
      - string:
          name: GREETING
          default: hello
          description: what to say
      - bool:
          name: LOUD
          default: false
      - choice:
          name: SIZE
          choices:
            - small
            - large
    dsl: |
      pipeline {
        agent any
        stages { stage('Say') { steps { sh 'echo "%s $GREETING $SIZE loud=$LOUD"' } } }
      }
"""


def test_jobs_from_config_xml():
    jobs = write_jobs({})
    try:
        with Server(jobs=jobs) as s:
            server = jenkins.Jenkins("http://127.0.0.1:%d" % s.port, timeout=10)
            server.create_job("made", CONFIG)
            assert server.job_exists("made")
            info = server.get_job_info("made")
            defs = info["property"][0]["parameterDefinitions"]
            # parameters declared in XML show before the first run
            assert [(d["name"], d["type"]) for d in defs] == [
                ("WHO", "StringParameterDefinition"), ("COLOR", "ChoiceParameterDefinition")]
            assert defs[1]["choices"] == ["red", "blue"]
            assert info["description"] == "made by python-jenkins & friends"
            assert server.get_job_config("made") == CONFIG  # kept as submitted
            queue_id = server.build_job("made", {"COLOR": "blue"})
            number = wait_until(lambda: server.get_queue_item(queue_id).get("executable"))["number"]
            s.wait_run("made", number)
            assert "hi world in blue\n" in server.get_build_console_output("made", number)
            # reconfigure, copy, rename, disable, delete
            server.reconfig_job("made", CONFIG.replace("hi $WHO", "hello $WHO"))
            assert "hello $WHO" in server.get_job_config("made")
            server.copy_job("made", "copied")
            assert server.job_exists("copied")
            server.rename_job("copied", "renamed")
            assert server.job_exists("renamed") and not server.job_exists("copied")
            server.disable_job("renamed")
            assert server.get_job_info("renamed")["color"] == "disabled"
            server.enable_job("renamed")
            server.delete_job("renamed")
            assert not server.job_exists("renamed")
            # bad XML: a clear 400, nothing made
            for bad in ["<flow-definition><definition", "<project><builders/></project>"]:
                try:
                    server.create_job("bad", bad)
                    raise AssertionError("created from %r" % bad)
                except (jenkins.JenkinsException, requests.exceptions.HTTPError) as e:
                    assert "400" in str(e) or "Bad Request" in str(e), e
                assert not server.job_exists("bad")
            status, headers, _ = s.request("POST", "/createItem?name=made", CONFIG.encode(),
                                           {"Content-Type": "text/xml"})
            assert status == 400 and "already exists" in headers["x-error"]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_jenkins_job_builder_creates_then_reconfigures():
    jobs = write_jobs({})
    work = tempfile.mkdtemp(prefix="tp-it-jjb-")
    try:
        with Server(jobs=jobs) as s:
            ini = os.path.join(work, "jjb.ini")
            with open(ini, "w") as f:
                f.write("[jenkins]\nurl=http://127.0.0.1:%d/\nuser=\npassword=\n"
                        "query_plugins_info=False\n[job_builder]\nignore_cache=True\n" % s.port)
            for word in ["first", "second"]:
                yaml = os.path.join(work, "jobs.yaml")
                with open(yaml, "w") as f:
                    f.write(JJB % word)
                r = subprocess.run(["jenkins-jobs", "--conf", ini, "update", yaml],
                                   capture_output=True, text=True, timeout=60,
                                   env=dict(os.environ, HOME=work))
                assert r.returncode == 0, (r.stdout, r.stderr)
            server = jenkins.Jenkins("http://127.0.0.1:%d" % s.port, timeout=10)
            defs = server.get_job_info("jjb-demo")["property"][0]["parameterDefinitions"]
            assert [d["name"] for d in defs] == ["GREETING", "LOUD", "SIZE"], defs
            queue_id = server.build_job("jjb-demo", {"SIZE": "large"})
            number = wait_until(lambda: server.get_queue_item(queue_id).get("executable"))["number"]
            s.wait_run("jjb-demo", number)
            console = server.get_build_console_output("jjb-demo", number)
            assert "second hello large loud=false\n" in console, console
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


STAGED = pipeline("""
        stage('Build') { steps { sh 'echo building' } }
        stage('Gate') { steps { input message: 'Ship?' } }
        stage('Deploy') { steps { sh 'echo deploying' } }
""")

BROKEN = pipeline("""
        stage('Fails') { steps { sh 'exit 3' } }
        stage('Never') { steps { echo 'x' } }
""")


def test_stage_view_wfapi():
    jobs = write_jobs({"staged": STAGED, "broken": BROKEN})
    try:
        with Server(jobs=jobs) as s:
            s.post_run("staged")
            pending = wait_until(lambda: s.get_json("/job/staged/1/wfapi/pendingInputActions"))
            assert pending[0]["message"] == "Ship?" and pending[0]["proceedText"] == "Proceed"
            assert pending[0]["proceedUrl"] == "/job/staged/1/input/%s/proceedEmpty" % \
                pending[0]["id"]
            runs = s.get_json("/job/staged/wfapi/runs")
            assert runs[0]["status"] == "PAUSED_PENDING_INPUT", runs
            # the stages run so far, as Stage View lists them
            assert [(st["name"], st["status"]) for st in runs[0]["stages"]] == [
                ("Build", "SUCCESS"), ("Gate", "PAUSED_PENDING_INPUT")], runs[0]["stages"]
            status, headers, _ = s.request("POST", pending[0]["proceedUrl"])
            assert status == 302 and headers["location"].endswith("/job/staged/1/")
            s.wait_run("staged", 1)
            run = s.get_json("/job/staged/1/wfapi/describe")
            assert (run["id"], run["name"], run["status"]) == ("1", "#1", "SUCCESS")
            assert run["endTimeMillis"] >= run["startTimeMillis"] > 0
            assert [st["status"] for st in run["stages"]] == ["SUCCESS"] * 3
            build = s.get_json(run["stages"][0]["_links"]["self"]["href"])
            node = build["stageFlowNodes"][0]
            assert (node["name"], node["parameterDescription"], node["status"]) == (
                "Shell Script", "echo building", "SUCCESS")
            log = s.get_json(node["_links"]["log"]["href"])
            assert "building\n" in log["text"] and log["hasMore"] is False
            assert log["length"] == len(log["text"].encode())
            job = s.get_json("/job/staged/wfapi/describe")
            assert job["runCount"] == 1 and job["_links"]["runs"]["href"] == "/job/staged/wfapi/runs"

            s.post_run("broken")
            s.wait_run("broken", 1)
            run = s.get_json("/job/broken/1/wfapi/describe")
            assert run["status"] == "FAILED"
            assert run["stages"][0]["status"] == "FAILED"
            assert run["stages"][0]["error"]["message"] == "script returned exit code 3"
            assert run["stages"][1]["status"] == "NOT_EXECUTED"
            assert s.request("GET", "/job/broken/9/wfapi/describe")[0] == 404
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_rebuild_runs_the_build_again():
    jobs = write_jobs({"params": PARAMS})
    try:
        with Server(jobs=jobs) as s:
            status, headers, _ = s.request("POST", "/job/params/buildWithParameters?GREETING=again")
            assert status == 201
            s.wait_run("params", 1)
            status, headers, _ = s.request("POST", "/job/params/1/replay/rebuild")
            assert status == 302 and headers["location"].endswith("/job/params/")
            s.wait_run("params", 2)
            build = s.get_json("/job/params/2/api/json")
            params = [a for a in build["actions"]
                      if a.get("_class") == "hudson.model.ParametersAction"][0]["parameters"]
            assert {p["name"]: p["value"] for p in params}["GREETING"] == "again"
            assert "greeting=again" in s.request("GET", "/job/params/2/consoleText")[2].decode()
            assert s.request("POST", "/job/params/7/replay/rebuild")[0] == 404
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_python_jenkins_drives_builds,
        test_the_raw_rules_clients_depend_on,
        test_jobs_from_config_xml,
        test_jenkins_job_builder_creates_then_reconfigures,
        test_stage_view_wfapi,
        test_rebuild_runs_the_build_again,
    ])
