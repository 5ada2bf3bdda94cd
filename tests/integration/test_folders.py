"""Folders: sub-directories of the jobs dir and com.cloudbees.hudson.plugins.folder.Folder
items made from config.xml, seen through python-jenkins (Debian's python3-jenkins: get_all_jobs,
is_folder, jobs inside folders, create/copy/rename/delete inside a folder), the raw classic routes
(/job/a/job/b/..., createItem inside a folder, 404s), Blue Ocean (PipelineFolderImpl, nested
pipelines/ routes, fullName) and Stage View."""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pipeline, run_tests, wait_until, write_jobs  # noqa: E402

import jenkins  # noqa: E402  (python3-jenkins)

SHOW = pipeline("stage('Show') { steps { sh 'echo \"name=$JOB_NAME base=$JOB_BASE_NAME "
                "tag=$BUILD_TAG url=$BUILD_URL\"' } }")

FOLDER_XML = """<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder@6.9">
  <actions/>
  <description>made by a test</description>
  <properties/>
  <folderViews/>
  <healthMetrics/>
</com.cloudbees.hudson.plugins.folder.Folder>"""

JOB_XML = """<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <description>inside</description>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>pipeline { agent any; stages { stage('A') { steps { echo 'in a folder' } } } }</script>
    <sandbox>true</sandbox>
  </definition>
  <disabled>false</disabled>
</flow-definition>"""


def test_jobs_dir_folders_through_python_jenkins():
    jobs = write_jobs({"top": SHOW, "team/app": SHOW, "team/inner/deep": SHOW})
    try:
        with Server(jobs=jobs) as s:
            base = "http://127.0.0.1:%d/" % s.port
            server = jenkins.Jenkins(base, timeout=10)
            names = sorted(j["fullname"] for j in server.get_all_jobs())
            assert names == ["team", "team/app", "team/inner", "team/inner/deep", "top"], names
            top = server.get_all_jobs(folder_depth=0)
            assert sorted(j["fullname"] for j in top) == ["team", "top"], top
            # a tree deeper than the folders needs: the last level is bare _class objects
            shallow = s.get_json("/api/json?tree=jobs[name,jobs]")["jobs"]
            assert shallow[0]["jobs"] == [
                {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob"},
                {"_class": "com.cloudbees.hudson.plugins.folder.Folder"}], shallow
            assert server.is_folder("team") and server.is_folder("team/inner")
            assert not server.is_folder("team/app")
            assert server.job_exists("team/inner/deep") and not server.job_exists("team/nope")
            info = server.get_job_info("team")
            assert info["_class"] == "com.cloudbees.hudson.plugins.folder.Folder"
            assert info["fullName"] == "team" and info["url"] == base + "job/team/"
            assert [(j["name"], j["url"]) for j in info["jobs"]] == [
                ("app", base + "job/team/job/app/"), ("inner", base + "job/team/job/inner/")]
            assert "color" in info["jobs"][0] and "color" not in info["jobs"][1]
            app = server.get_job_info("team/app")
            assert (app["name"], app["fullName"], app["fullDisplayName"]) == (
                "app", "team/app", "team \u00bb app")
            assert app["url"] == base + "job/team/job/app/"

            queue_id = server.build_job("team/app")
            number = wait_until(lambda: server.get_queue_item(queue_id).get("executable"))["number"]
            assert server.get_queue_item(queue_id)["task"]["name"] == "app"
            s.wait_run("team/pipelines/app", number)
            log = server.get_build_console_output("team/app", number)
            assert ("name=team/app base=app tag=jenkins-team-app-1 url=%sjob/team/job/app/1/"
                    % base) in log, log
            build = server.get_build_info("team/app", number)
            assert build["url"] == base + "job/team/job/app/1/"
            assert build["fullDisplayName"] == "team \u00bb app #1"
            assert build["result"] == "SUCCESS"
            # a tree that asks for more than references gets whole jobs, as Backstage asks
            team = s.get_json("/job/team/api/json?tree=jobs%5Bname,inQueue,lastBuild%5Bnumber,"
                              "result,actions%5B*%5B*%5D%5D%5D%5D%7B0,50%7D")
            app_entry = [j for j in team["jobs"] if j["name"] == "app"][0]
            assert app_entry["lastBuild"]["number"] == number and app_entry["inQueue"] is False
            assert app_entry["lastBuild"]["actions"][0]["_class"] == "hudson.model.CauseAction"
            root = s.get_json("/api/json?tree=jobs%5Bname,lastBuild%5Bresult%5D%5D")
            assert {j["name"]: j.get("lastBuild") for j in root["jobs"]}["top"] is None, root
            # a folder has no builds; nothing else is built
            assert s.request("POST", "/job/team/build")[0] == 404
            assert s.request("GET", "/job/team/1/api/json")[0] == 404
            assert s.request("GET", "/job/team/job/nope/api/json")[0] == 404
            # Stage View of a job inside a folder
            runs = s.get_json("/job/team/job/app/wfapi/runs")
            assert runs[0]["_links"]["self"]["href"] == "/job/team/job/app/1/wfapi/describe"
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_folders_from_config_xml():
    jobs = write_jobs({"plain": SHOW})
    try:
        with Server(jobs=jobs) as s:
            server = jenkins.Jenkins("http://127.0.0.1:%d" % s.port, timeout=10)
            server.create_job("made", FOLDER_XML)
            assert server.is_folder("made")
            assert server.get_job_info("made")["description"] == "made by a test"
            assert server.get_job_config("made") == FOLDER_XML  # kept as submitted
            server.create_job("made/x", JOB_XML)  # POST /job/made/createItem?name=x
            assert server.job_exists("made/x") and not server.job_exists("x")
            assert server.get_job_config("made/x") == JOB_XML
            server.create_job("made/sub", FOLDER_XML)
            server.create_job("made/sub/y", JOB_XML)
            queue_id = server.build_job("made/sub/y")
            number = wait_until(lambda: server.get_queue_item(queue_id).get("executable"))["number"]
            s.wait_run("made/pipelines/sub/pipelines/y", number)
            assert "in a folder" in server.get_build_console_output("made/sub/y", number)
            server.copy_job("made/x", "made/copied")
            assert server.job_exists("made/copied")
            server.rename_job("made/copied", "made/renamed")
            assert server.job_exists("made/renamed") and not server.job_exists("made/copied")
            # a folder renamed takes what it holds along
            server.rename_job("made", "moved")
            assert server.job_exists("moved/sub/y") and not server.job_exists("made/sub/y")
            build = server.get_build_info("moved/sub/y", number)
            assert build["result"] == "SUCCESS"
            # where there is no folder there is nothing to create in
            for path in ["/job/nope/createItem?name=z", "/job/plain/createItem?name=z"]:
                status, _, _ = s.request("POST", path, JOB_XML.encode(),
                                         {"Content-Type": "application/xml"})
                assert status == 404, (path, status)
            # a job cannot be turned into a folder, nor a folder into a job
            status, headers, _ = s.request("POST", "/job/plain/config.xml", FOLDER_XML.encode(),
                                           {"Content-Type": "application/xml"})
            assert status == 400 and "is a job" in headers["x-error"], headers
            status, headers, _ = s.request("POST", "/job/moved/config.xml", JOB_XML.encode(),
                                           {"Content-Type": "application/xml"})
            assert status == 400 and "is a folder" in headers["x-error"], headers
            # a folder's name is taken for jobs too
            status, headers, _ = s.request("POST", "/createItem?name=moved", JOB_XML.encode(),
                                           {"Content-Type": "application/xml"})
            assert status == 400 and "already exists" in headers["x-error"]
            # deleting a folder deletes everything inside it
            server.delete_job("moved")
            assert not server.job_exists("moved")
            assert not server.job_exists("moved/sub/y") and not server.job_exists("moved/x")
            assert sorted(j["fullname"] for j in server.get_all_jobs()) == ["plain"]
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_blue_ocean_folders():
    jobs = write_jobs({"top": SHOW, "team/app": SHOW, "team/inner/deep": SHOW})
    try:
        with Server(jobs=jobs) as s:
            items = s.get_json(ORG + "/pipelines/")
            assert [(p["name"], p["_class"].rsplit(".", 1)[1]) for p in items] == [
                ("team", "PipelineFolderImpl"), ("top", "PipelineImpl")], items
            team = items[0]
            assert team["_links"]["self"]["href"] == (
                "/blue/rest/organizations/jenkins/pipelines/team/")
            assert (team["numberOfFolders"], team["numberOfPipelines"]) == (1, 1)
            assert team["pipelineFolderNames"] == [None, "inner"]  # Blue Ocean's quirk
            assert team["parameters"] is None and "latestRun" not in team
            inside = s.get_json(ORG + "/pipelines/team/pipelines/")
            assert [(p["name"], p["fullName"]) for p in inside] == [
                ("app", "team/app"), ("inner", "team/inner")], inside
            deep = s.get_json(ORG + "/pipelines/team/pipelines/inner/pipelines/deep/")
            assert (deep["name"], deep["fullName"], deep["fullDisplayName"]) == (
                "deep", "team/inner/deep", "team/inner/deep")
            assert deep["_links"]["runs"]["href"] == (
                "/blue/rest/organizations/jenkins/pipelines/team/pipelines/inner/pipelines/deep/"
                "runs/")
            run = s.post_run("team/pipelines/inner/pipelines/deep")
            assert run["pipeline"] == "deep"
            done = s.wait_run("team/pipelines/inner/pipelines/deep", run["id"])
            assert done["result"] == "SUCCESS"
            assert done["_links"]["self"]["href"] == (
                "/blue/rest/organizations/jenkins/pipelines/team/pipelines/inner/pipelines/deep/"
                "runs/1/")
            nodes = s.get_json(ORG + "/pipelines/team/pipelines/inner/pipelines/deep/runs/1/nodes/")
            assert [n["displayName"] for n in nodes] == ["Show"]
            # the same run through the classic API
            build = s.get_json("/job/team/job/inner/job/deep/1/api/json")
            assert build["result"] == "SUCCESS"
            # a folder has no runs, a pipeline has no pipelines/
            status, _, _ = s.request("POST", ORG + "/pipelines/team/runs/", b"{}",
                                     {"Content-Type": "application/json"})
            assert status == 404
            s.get_json(ORG + "/pipelines/top/pipelines/", expect=404)
            s.get_json(ORG + "/pipelines/team/pipelines/nope/", expect=404)
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_jobs_dir_folders_through_python_jenkins,
        test_folders_from_config_xml,
        test_blue_ocean_folders,
    ])
