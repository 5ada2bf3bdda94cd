"""Bad input gets a clean error in Blue Ocean's format and the server keeps serving."""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tp import ORG, Server, run_tests  # noqa: E402

SAMPLES = os.path.join(os.environ.get("TP_SOURCE_DIR", "."), "samples")


def still_serving(s):
    status, _, body = s.request("GET", "/blue/rest/organizations/")
    assert status == 200 and json.loads(body)[0]["name"] == "jenkins"


def error_of(body):
    """Parses a Blue Ocean error body and checks its shape."""
    err = json.loads(body)
    assert list(err.keys()) == ["message", "code", "errors"], err
    assert err["errors"] == []
    return err


def test_json_errors_for_unknown_things():
    with Server(jobs=SAMPLES) as s:
        cases = [
            ("/blue/rest/nothing/here/", 404, None),
            (ORG + "/pipelines/nope/", 404, "Pipeline nope not found"),
            ("/blue/rest/organizations/acme/", 404, "Organization acme not found"),
            (ORG + "/pipelines/hello/runs/42/", 404,
             "Run 42 not found in organization jenkins and pipeline hello"),
            (ORG + "/pipelines/hello/runs/abc/", 404,
             "Run abc not found in organization jenkins and pipeline hello"),
            (ORG + "/pipelines/hello/runs/?start=x", 400, "start must be a number"),
            (ORG + "/pipelines/hello/runs/?limit=1e3", 400, "limit must be a number"),
            ("/nothing/here", 404, None),
        ]
        for path, code, message in cases:
            status, headers, body = s.request("GET", path)
            assert status == code, (path, status, body)
            assert headers["content-type"].startswith("application/json")
            err = error_of(body)
            assert err["code"] == code
            if message:
                assert err["message"] == message, err
            # Jenkins pretty-prints its errors with 2-space indents.
            assert body.startswith(b'{\n  "message" : ')
        still_serving(s)


def test_write_errors():
    with Server(jobs=SAMPLES) as s:
        path = ORG + "/pipelines/hello/runs/"
        status, _, body = s.request("POST", path)
        assert status == 415 and error_of(body)["message"] == \
            "Content-Type: application/json required"
        status, _, body = s.request("POST", path, b"{not json", {"Content-Type": "application/json"})
        assert status == 400 and error_of(body)["code"] == 400
        status, _, body = s.request("DELETE", path)
        assert status == 405 and error_of(body)["code"] == 405
        status, _, body = s.request("POST", ORG + "/pipelines/nope/runs/", b"{}",
                                    {"Content-Type": "application/json; charset=utf-8"})
        assert status == 404 and error_of(body)["message"] == "Pipeline nope not found"
        # Nothing was queued by the bad requests.
        assert s.get_json(path) == []
        still_serving(s)


def test_malformed_http_gets_400_and_close():
    with Server() as s:
        for garbage in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                        b"GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n",
                        b"\x00\x01\x02\x03\r\n\r\n",
                        b"POST /x HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
            reply = s.raw(garbage)
            assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n"), (garbage, reply)
            assert b"Connection: close" in reply
            head, body = reply.split(b"\r\n\r\n", 1)
            assert error_of(body)["code"] == 400
            still_serving(s)


def test_oversized_requests_get_413():
    with Server() as s:
        huge_header = b"GET /blue/rest/organizations/ HTTP/1.1\r\nX-Big: " + b"a" * 70000 + \
            b"\r\n\r\n"
        reply = s.raw(huge_header)
        assert reply.startswith(b"HTTP/1.1 413 "), reply[:100]
        many_headers = b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(500)) \
            + b"\r\n"
        assert s.raw(many_headers).startswith(b"HTTP/1.1 413 ")
        big_body = (b"POST %s/pipelines/x/runs/ HTTP/1.1\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000000\r\n\r\n{" % ORG.encode())
        reply = s.raw(big_body)
        assert reply.startswith(b"HTTP/1.1 413 "), reply[:100]
        assert error_of(reply.split(b"\r\n\r\n", 1)[1])["code"] == 413
        # A body that streams past the limit without a length (chunked) is cut off too.
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        sock.sendall(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (1 << 20, b"z" * (1 << 20))
        reply = b""
        try:
            for _ in range(12):
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                reply += data
        except (ConnectionResetError, socket.timeout):
            pass
        sock.close()
        assert reply.startswith(b"HTTP/1.1 413 "), reply[:100]
        still_serving(s)


def test_keep_alive_pipelining_and_split_requests():
    with Server(jobs=SAMPLES) as s:
        c = s.conn()
        for _ in range(5):
            c.request("GET", ORG + "/pipelines/hello/")
            r = c.getresponse()
            assert r.status == 200 and json.loads(r.read())["name"] == "hello"
        c.close()
        # Two requests in one packet: two answers, in order.
        two = (b"GET %s/ HTTP/1.1\r\nHost: x\r\n\r\nGET %s/pipelines/nope/ HTTP/1.1\r\n"
               b"Host: x\r\nConnection: close\r\n\r\n" % (ORG.encode(), ORG.encode()))
        reply = s.raw(two)
        assert reply.count(b"HTTP/1.1 ") == 2
        assert reply.index(b"200 OK") < reply.index(b"404 Not Found")
        # A request that arrives a byte at a time.
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        request = b"GET %s/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % ORG.encode()
        for i in range(len(request)):
            sock.sendall(request[i:i + 1])
        reply = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
        sock.close()
        assert reply.startswith(b"HTTP/1.1 200 OK") and b'"name":"jenkins"' in reply
        # HTTP/1.0 without keep-alive: answered, then closed.
        reply = s.raw(b"GET %s/ HTTP/1.0\r\n\r\n" % ORG.encode())
        assert reply.startswith(b"HTTP/1.1 200 OK") and reply.endswith(b"}")
        # Empty bodies still carry Content-Length (python-jenkins insists).
        reply = s.raw(b"HEAD %s/ HTTP/1.1\r\nConnection: close\r\n\r\n" % ORG.encode())
        assert b"Content-Length: " in reply and reply.endswith(b"\r\n\r\n")
        still_serving(s)


def test_many_connections_and_abrupt_clients():
    with Server(jobs=SAMPLES) as s:
        socks = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(200)]
        for i, sock in enumerate(socks):
            if i % 2:
                sock.sendall(b"GET %s/ HT" % ORG.encode())  # half a request, then gone
        for sock in socks:
            sock.close()
        # A client that asks for a big log and disconnects before reading it.
        s.post_run("hello")
        s.wait_run("hello", 1)
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        sock.sendall(b"GET %s/pipelines/hello/runs/1/log/ HTTP/1.1\r\n\r\n" % ORG.encode())
        sock.close()
        time.sleep(0.1)
        still_serving(s)
        assert s.proc.poll() is None


if __name__ == "__main__":
    run_tests([
        test_json_errors_for_unknown_things,
        test_write_errors,
        test_malformed_http_gets_400_and_close,
        test_oversized_requests_get_413,
        test_keep_alive_pipelining_and_split_requests,
        test_many_connections_and_abrupt_clients,
    ])
