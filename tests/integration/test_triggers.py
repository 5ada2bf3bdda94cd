"""Timer triggers and the job properties of a config.xml: `triggers { cron() }` in a Jenkinsfile
and a config.xml's TimerTrigger start runs "Started by timer" (the test looks at the timers
every 100 ms instead of each minute, from the minute the server starts in: TP_CRON_TICK_MS;
each minute still starts a job at most once), and a config.xml's DisableConcurrentBuildsJobProperty and BuildDiscarderProperty apply
to its runs as the Jenkinsfile options would."""

import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests, wait_until, write_jobs  # noqa: E402

TIMED = """pipeline {
    agent any
    triggers { cron('* * * * *') }
    parameters { string(name: 'WHAT', defaultValue: 'tick') }
    stages { stage('Tick') { steps { echo "${params.WHAT}" } } }
}
"""

NEVER = """pipeline {
    agent any
    triggers { cron('H H 1 1 *') }
    stages { stage('Once a year') { steps { echo 'new year' } } }
}
"""

XML = """<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <description>with properties</description>
  <properties>
    <org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>
    <jenkins.model.BuildDiscarderProperty>
      <strategy class="hudson.tasks.LogRotator">
        <daysToKeep>-1</daysToKeep>
        <numToKeep>2</numToKeep>
        <artifactDaysToKeep>-1</artifactDaysToKeep>
        <artifactNumToKeep>-1</artifactNumToKeep>
      </strategy>
    </jenkins.model.BuildDiscarderProperty>
    %s
  </properties>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>pipeline { agent any; stages { stage('S') { steps { sh 'sleep 0.3' } } } }</script>
    <sandbox>true</sandbox>
  </definition>
  <disabled>false</disabled>
</flow-definition>"""

TIMER = """<org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>
      <triggers>
        <hudson.triggers.TimerTrigger><spec># every minute
* * * * *</spec></hudson.triggers.TimerTrigger>
      </triggers>
    </org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty>"""


def runs(s, name):
    return s.get_json(ORG + "/pipelines/%s/runs/" % name)


def test_timer_triggers():
    jobs = write_jobs({"timed": TIMED, "never": NEVER})
    try:
        with Server(jobs=jobs, env={"TP_CRON_TICK_MS": "100"}) as s:
            run = wait_until(lambda: runs(s, "timed"), timeout=70)[0]
            done = s.wait_run("timed", run["id"])
            assert done["causes"][0]["shortDescription"] == "Started by timer", done["causes"]
            assert "userId" not in done["causes"][0]
            build = s.get_json("/job/timed/%s/api/json" % run["id"])
            causes = [a for a in build["actions"] if a.get("_class") == "hudson.model.CauseAction"]
            assert causes[0]["causes"][0]["_class"] == \
                "hudson.triggers.TimerTrigger$TimerTriggerCause"
            log = s.request("GET", ORG + "/pipelines/timed/runs/%s/log/" % run["id"])[2].decode()
            assert "not scheduled" not in log, log
            assert "\r\ntick\r\n" in log, log  # a parameterized job runs with its defaults
            # once per minute: no second run within this minute
            time.sleep(0.5)
            minute = time.time() // 60
            if time.time() // 60 == minute:
                assert len(runs(s, "timed")) == 1
            assert runs(s, "never") == []
            # a disabled job is not started by its timer
            status, _, _ = s.request("PUT", ORG + "/pipelines/timed/disable/", b"{}",
                                     {"Content-Type": "application/json"})
            assert status == 200
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_config_xml_properties():
    jobs = write_jobs({})
    try:
        with Server(jobs=jobs, env={"TP_CRON_TICK_MS": "100"}) as s:
            for name, extra in [("props", ""), ("xml-timed", TIMER)]:
                status, _, body = s.request("POST", "/createItem?name=" + name,
                                            (XML % extra).encode(),
                                            {"Content-Type": "application/xml"})
                assert status == 200, body
            # disableConcurrentBuilds: three builds asked at once run one after another
            for _ in range(3):
                assert s.request("POST", "/job/props/build")[0] == 201
            s.wait_run("props", 3)
            wait_until(lambda: all(r["state"] == "FINISHED" for r in runs(s, "props")))
            # the discarder kept the newest two
            kept = [r["id"] for r in runs(s, "props")]
            assert kept == ["3", "2"], kept
            got = [s.get_json("/job/props/%s/api/json" % n) for n in kept]
            for newer, older in zip(got, got[1:]):
                assert older["timestamp"] + older["duration"] <= newer["timestamp"] + 5, got
            # the config.xml's timer starts its job
            run = wait_until(lambda: runs(s, "xml-timed"), timeout=70)[0]
            done = s.wait_run("xml-timed", run["id"])
            assert done["causes"][0]["shortDescription"] == "Started by timer"
            # the XML is kept as it came
            assert "TimerTrigger" in s.request("GET", "/job/xml-timed/config.xml")[2].decode()
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_timer_triggers, test_config_xml_properties])
