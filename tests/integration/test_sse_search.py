"""Blue Ocean's live events and discovery: the SSE gateway protocol (connect, listen, configure,
ping; filters by property equality; the job and pipeline channels' events of a run, in order;
errors), capabilities (GET and POST /blue/rest/classes/) and search (type:pipeline with
organization, pipeline globs, excludedFromFlattening, no-folders, paging; type:run)."""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, pipeline, run_tests, write_jobs  # noqa: E402

import shutil  # noqa: E402

HELLO = pipeline("stage('Build') { steps { sh 'echo hi' } }\n"
                 "        stage('Both') { parallel {\n"
                 "            stage('left') { steps { echo 'l' } }\n"
                 "            stage('right') { steps { echo 'r' } }\n"
                 "        } }")
GATE = pipeline("stage('Gate') { steps { input message: 'Go?' } }")


class Stream:
    """A raw EventSource: GET /sse-gateway/listen/<id>, frames read as they come."""

    def __init__(self, port, client_id):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(("GET /sse-gateway/listen/%s;jsessionid=x HTTP/1.1\r\nHost: t\r\n"
                           "Accept: text/event-stream\r\n\r\n" % client_id).encode())
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        self.headers = head.decode()

    def _until(self, mark, timeout=10):
        deadline = time.time() + timeout
        while mark not in self.buf:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("stream closed")
            self.buf += data
        head, self.buf = self.buf.split(mark, 1)
        return head

    def frame(self, timeout=10):
        """(event name, data) of the next frame."""
        lines = self._until(b"\n\n", timeout).decode().split("\n")
        assert lines[0].startswith("event: ") and lines[1].startswith("data: "), lines
        return lines[0][7:], lines[1][6:]

    def closed(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65536) == b""
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def configure(s, body, batch=1):
    status, _, data = s.request("POST", "/sse-gateway/configure?batchId=%d" % batch,
                                json.dumps(body).encode(), {"Content-Type": "application/json"})
    return status, json.loads(data)


def test_sse_gateway_protocol_and_run_events():
    jobs = write_jobs({"hello": HELLO, "other": HELLO})
    try:
        with Server(jobs=jobs) as s:
            # errors first: no client id, no dispatcher, nothing to configure
            status, _, body = s.request("GET", "/sse-gateway/connect")
            assert status == 400 and json.loads(body)["status"] == "error"
            assert configure(s, {"subscribe": [{"jenkins_channel": "job"}]})[0] == 400
            assert configure(s, {"dispatcherId": "nobody", "subscribe": []})[0] == 400
            assert s.request("GET", "/sse-gateway/ping?dispatcherId=nobody")[0] == 400

            connect = s.get_json("/sse-gateway/connect?clientId=c1")
            assert connect["status"] == "ok" and connect["data"]["jsessionid"]
            stream = Stream(s.port, "c1")
            assert "200 OK" in stream.headers and "text/event-stream" in stream.headers
            assert "Cache-Control: no-cache" in stream.headers
            name, data = stream.frame()
            opened = json.loads(data)
            assert name == "open" and opened["dispatcherId"] == "c1"
            status, answer = configure(s, {"dispatcherId": "c1", "subscribe": [
                {"jenkins_channel": "job", "job_name": "hello"},
                {"jenkins_channel": "pipeline", "pipeline_job_name": "hello"}]}, batch=7)
            assert (status, answer) == (200, {"status": "ok"})
            name, data = stream.frame()
            assert name == "configure" and json.loads(data) == {
                "batchId": "7", "dispatcherId": "c1", "dispatcherInst": opened["dispatcherInst"]}

            s.post_run("other")  # filtered out: a different job
            s.wait_run("other", 1)
            s.post_run("hello")
            events = []
            while not events or events[-1]["jenkins_event"] != "job_run_ended":
                channel, data = stream.frame()
                event = json.loads(data)
                assert channel == event["jenkins_channel"]
                assert all(isinstance(v, str) for v in event.values()), event
                events.append(event)
            assert {e.get("job_name", e.get("pipeline_job_name")) for e in events} == {"hello"}
            names = [e["jenkins_event"] for e in events]
            assert names == [
                "job_run_queue_enter", "job_run_queue_left", "job_run_started", "pipeline_start",
                "pipeline_stage", "pipeline_step", "pipeline_block_end",
                "pipeline_stage", "pipeline_block_start", "pipeline_step", "pipeline_block_end",
                "pipeline_block_start", "pipeline_step", "pipeline_block_end",
                "pipeline_block_end", "pipeline_end", "job_run_ended"], names
            ended = events[-1]
            assert (ended["job_run_status"], ended["jenkins_object_id"], ended["jenkins_object_url"],
                    ended["blueocean_job_rest_url"], ended["jenkins_org"],
                    ended["sse_subs_dispatcher"]) == (
                "SUCCESS", "1", "job/hello/1/", "/blue/rest/organizations/jenkins/pipelines/hello/",
                "jenkins", "c1")
            step = events[5]
            assert (step["pipeline_step_name"], step["pipeline_step_stage_name"],
                    step["pipeline_run_id"], step["pipeline_step_is_paused"]) == (
                "sh", "Build", "1", "false")
            branch_step = events[9]
            # the step's context: the stage, then its branch
            assert branch_step["pipeline_context"] == "%s/%s" % (
                events[7]["pipeline_step_flownode_id"], events[8]["pipeline_step_flownode_id"])

            # ping answers on the stream
            assert s.get_json("/sse-gateway/ping?dispatcherId=c1") == {"status": "ok"}
            assert stream.frame() == ("pingback", "ack")
            # unsubscribe everything: the next run says nothing
            assert configure(s, {"dispatcherId": "c1", "unsubscribe": "*"}, batch=8)[0] == 200
            assert stream.frame()[0] == "configure"
            s.post_run("hello")
            s.wait_run("hello", 2)
            assert s.get_json("/sse-gateway/ping?dispatcherId=c1")["status"] == "ok"
            assert stream.frame() == ("pingback", "ack")  # nothing came before it
            # a second listener for the same client replaces the first, which ends
            second = Stream(s.port, "c1")
            assert second.frame()[0] == "open"
            assert stream.closed()
            second.close()
            stream.close()
            assert s.get_json("/blue/rest/organizations/jenkins/")["name"] == "jenkins"
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_sse_paused_and_many_idle_listeners():
    jobs = write_jobs({"gate": GATE})
    try:
        with Server(jobs=jobs) as s:
            listeners = []
            for i in range(200):
                s.get_json("/sse-gateway/connect?clientId=idle%d" % i)
                listeners.append(Stream(s.port, "idle%d" % i))
                assert listeners[-1].frame()[0] == "open"
            s.get_json("/sse-gateway/connect?clientId=w")
            stream = Stream(s.port, "w")
            stream.frame()
            configure(s, {"dispatcherId": "w", "subscribe": [{"jenkins_channel": "job"}]})
            stream.frame()
            s.post_run("gate")
            names = []
            while "job_run_paused" not in names:
                names.append(json.loads(stream.frame()[1])["jenkins_event"])
            steps = s.get_json(ORG + "/pipelines/gate/runs/1/steps/")
            status, _, _ = s.request("POST", ORG + "/pipelines/gate/runs/1/steps/%s/" % steps[-1]["id"],
                                     json.dumps({"id": steps[-1]["input"]["id"],
                                                 "parameters": []}).encode(),
                                     {"Content-Type": "application/json"})
            assert status == 200
            while "job_run_ended" not in names:
                names.append(json.loads(stream.frame()[1])["jenkins_event"])
            assert names == ["job_run_queue_enter", "job_run_queue_left", "job_run_started",
                             "job_run_paused", "job_run_unpaused", "job_run_ended"], names
            # the idle listeners heard nothing and are all still there
            for listener in listeners[:5]:
                assert not listener.closed(timeout=0.05)
            for listener in listeners:
                listener.close()
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


def test_capabilities():
    with Server() as s:
        one = s.get_json("/blue/rest/classes/io.jenkins.blueocean.rest.impl.pipeline.PipelineImpl/")
        assert one["_class"] == "io.jenkins.blueocean.service.embedded.rest.ExtensionClassImpl"
        assert "hudson.model.Job" in one["classes"]
        assert "org.jenkinsci.plugins.workflow.job.WorkflowJob" in one["classes"]
        assert "io.jenkins.blueocean.rest.model.BluePipeline" in one["classes"]
        assert "io.jenkins.blueocean.rest.model.BlueBranch" not in one["classes"]
        assert s.get_json("/blue/rest/classes/no.such.Class/")["classes"] == []
        status, _, body = s.request(
            "POST", "/blue/rest/classes/",
            json.dumps({"q": ["io.jenkins.blueocean.service.embedded.rest.PipelineFolderImpl",
                              "io.jenkins.blueocean.rest.impl.pipeline.PipelineRunImpl",
                              "x.Y"]}).encode(), {"Content-Type": "application/json"})
        assert status == 200
        answer = json.loads(body)
        assert answer["_class"].endswith("ExtensionClassContainerImpl$BlueExtensionClassMapImpl")
        assert set(answer["map"]) == {
            "io.jenkins.blueocean.service.embedded.rest.PipelineFolderImpl",
            "io.jenkins.blueocean.rest.impl.pipeline.PipelineRunImpl", "x.Y"}
        assert "io.jenkins.blueocean.rest.model.BluePipelineFolder" in answer["map"][
            "io.jenkins.blueocean.service.embedded.rest.PipelineFolderImpl"]["classes"]
        assert answer["map"]["x.Y"]["classes"] == []
        status, _, _ = s.request("POST", "/blue/rest/classes/", b'{"q": "nope"}',
                                 {"Content-Type": "application/json"})
        assert status == 400


def test_search():
    jobs = write_jobs({"test1": HELLO, "test2": HELLO, "other": HELLO, "team/test3": HELLO})
    try:
        with Server(jobs=jobs) as s:
            def names(query, expect=200):
                status, headers, body = s.request("GET", "/blue/rest/search/?" + query)
                assert status == expect, (query, status, body)
                return [p.get("fullName", p.get("id")) for p in json.loads(body)] \
                    if status == 200 else json.loads(body)["message"]
            assert names("q=type:pipeline") == ["other", "team", "team/test3", "test1", "test2"]
            assert names("q=type:pipeline;organization:jenkins&filter=no-folders") == [
                "other", "team/test3", "test1", "test2"]
            assert names("q=type:pipeline;pipeline:*TEST*&filter=no-folders") == [
                "team/test3", "test1", "test2"]
            assert names("q=type:pipeline;pipeline:test1") == ["test1"]
            excluded = ("q=type:pipeline;organization:jenkins;excludedFromFlattening:"
                        "jenkins.branch.MultiBranchProject,"
                        "com.cloudbees.hudson.plugins.folder.AbstractFolder")
            assert names(excluded) == ["other", "team", "test1", "test2"]
            assert names("q=type:pipeline&start=1&limit=2") == ["team", "team/test3"]
            status, headers, _ = s.request("GET", "/blue/rest/search/?q=type:pipeline&limit=2")
            assert "start=2&limit=2" in headers["link"], headers
            assert names("q=organization:jenkins", 400) == \
                "type is required parameter for query param q"
            assert names("q=type:pipeline;organization:nope", 400).startswith("Organization")
            assert names("q=type:nothing") == []
            s.post_run("test1")
            s.wait_run("test1", 1)
            s.post_run("test2")
            s.wait_run("test2", 1)
            runs = json.loads(s.request("GET", "/blue/rest/search/?q=type:run")[2])
            assert sorted((r["pipeline"], r["id"]) for r in runs) == [("test1", "1"), ("test2", "1")]
            runs = json.loads(s.request("GET", "/blue/rest/search/?q=type:run;pipeline:test2")[2])
            assert [(r["pipeline"], r["id"]) for r in runs] == [("test2", "1")]
            assert names("q=type:run;pipeline:nope", 400) == "Pipeline nope not found"
    finally:
        shutil.rmtree(jobs, ignore_errors=True)


if __name__ == "__main__":
    run_tests([
        test_sse_gateway_protocol_and_run_events,
        test_sse_paused_and_many_idle_listeners,
        test_capabilities,
        test_search,
    ])
