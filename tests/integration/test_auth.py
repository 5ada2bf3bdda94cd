"""Security, off by default and on with `serve --users FILE`: HTTP basic auth with read / build /
admin roles (401 and 403 as JSON), python-jenkins logging in (crumb, whoami, build as a user),
`permissions` maps and users as the caller sees them, favorites per user, Blue Ocean JWT
(/jwt-auth/token, jwks, jwk-set, Bearer tokens) and `tidepool passwd`."""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tp import BINARY, ORG, Server, pipeline, run_tests, wait_until, write_jobs  # noqa: E402

import jenkins  # noqa: E402  (python3-jenkins)

HELLO = pipeline("stage('Build') { steps { echo \"started by ${currentBuild.getBuildCauses()[0].userId}\" } }")
USERS = {"alice": ("admin", "wonderland"), "bob": ("build", "builder"), "carol": ("read", "reader")}


def users_file():
    lines = []
    for name, (role, password) in USERS.items():
        r = subprocess.run([BINARY, "passwd", name, role], input=password + "\n",
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        lines.append(r.stdout)
    f = tempfile.NamedTemporaryFile("w", suffix=".users", delete=False)
    f.write("# tidepool users\n" + "".join(lines))
    f.close()
    return f.name


def auth(name):
    token = base64.b64encode(("%s:%s" % (name, USERS[name][1])).encode()).decode()
    return {"Authorization": "Basic " + token}


def call(s, method, path, user=None, body=None, headers=None):
    h = dict(auth(user) if user else {})
    if body is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    status, resp_headers, data = s.request(method, path, body, h)
    return status, resp_headers, data


def test_roles_and_errors():
    jobs = write_jobs({"hello": HELLO, "team/app": HELLO})
    users = users_file()
    try:
        with Server(jobs=jobs, extra=["--users", users]) as s:
            status, headers, body = call(s, "GET", ORG + "/pipelines/")
            assert status == 401 and headers["www-authenticate"].startswith("Basic")
            assert json.loads(body)["code"] == 401
            bad = {"Authorization": "Basic " + base64.b64encode(b"alice:nope").decode()}
            assert s.request("GET", "/api/json", None, bad)[0] == 401
            assert s.request("GET", "/api/json", None, {"Authorization": "Basic !!!"})[0] == 401
            assert call(s, "GET", ORG + "/pipelines/", "carol")[0] == 200
            # carol reads, bob builds, alice administers
            status, _, body = call(s, "POST", ORG + "/pipelines/hello/runs/", "carol", b"{}")
            assert status == 403 and "Job/Build" in json.loads(body)["message"]
            assert call(s, "POST", ORG + "/pipelines/hello/runs/", "bob", b"{}")[0] == 200
            assert call(s, "POST", "/job/hello/disable", "bob")[0] == 403
            assert call(s, "DELETE", ORG + "/pipelines/team/", "bob")[0] == 403
            assert call(s, "POST", "/job/hello/disable", "alice")[0] == 302
            assert call(s, "POST", "/job/hello/enable", "alice")[0] == 302
            run = json.loads(call(s, "GET", ORG + "/pipelines/hello/runs/1/", "carol")[2])
            assert run["causes"][0]["userId"] == "bob", run["causes"]
            # permissions maps are the caller's
            def perms(user):
                return json.loads(call(s, "GET", ORG + "/pipelines/hello/", user)[2])["permissions"]
            assert perms("carol") == {"create": False, "configure": False, "read": True,
                                      "start": False, "stop": False}
            assert perms("bob") == {"create": False, "configure": False, "read": True,
                                    "start": True, "stop": True}
            assert all(perms("alice").values())
            # users
            me = json.loads(call(s, "GET", ORG + "/user/", "bob")[2])
            assert me["id"] == "bob" and me["permission"]["pipeline"]["start"] is True
            assert me["permission"]["administrator"] is False
            assert me["_links"]["favorites"]["href"] == "/blue/rest/users/bob/favorites/"
            listed = json.loads(call(s, "GET", ORG + "/users/", "carol")[2])
            assert sorted(u["id"] for u in listed) == ["alice", "bob", "carol"]
            assert [u["permission"] is None for u in listed if u["id"] != "carol"] == [True, True]
            assert call(s, "GET", "/blue/rest/users/nobody/", "carol")[0] == 404
            assert json.loads(call(s, "GET", "/me/api/json", "carol")[2])["id"] == "carol"
            assert json.loads(call(s, "GET", "/api/json", "carol")[2])["useSecurity"] is True
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        os.unlink(users)


def test_python_jenkins_logs_in():
    jobs = write_jobs({"hello": HELLO})
    users = users_file()
    try:
        with Server(jobs=jobs, extra=["--users", users]) as s:
            url = "http://127.0.0.1:%d" % s.port
            bob = jenkins.Jenkins(url, username="bob", password="builder", timeout=10)
            assert bob.get_whoami()["id"] == "bob"
            queue_id = bob.build_job("hello")
            number = wait_until(lambda: bob.get_queue_item(queue_id).get("executable"))["number"]
            wait_until(lambda: bob.get_build_info("hello", number)["result"] == "SUCCESS")
            assert "Started by user bob" in bob.get_build_console_output("hello", number)
            assert "started by bob" in bob.get_build_console_output("hello", number)
            try:
                bob.create_job("new", "<flow-definition/>")
                raise AssertionError("bob created a job")
            except jenkins.JenkinsException as e:
                assert "403" in str(e) or "Forbidden" in str(e), e
            alice = jenkins.Jenkins(url, username="alice", password="wonderland", timeout=10)
            alice.delete_job("hello")
            assert not alice.job_exists("hello")
            nobody = jenkins.Jenkins(url, username="alice", password="wrong", timeout=10)
            try:
                nobody.get_whoami()
                raise AssertionError("a wrong password was let in")
            except Exception as e:  # python-jenkins raises requests' HTTPError here
                assert "401" in str(e) or "Unauthorized" in str(e), e
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        os.unlink(users)


def test_favorites():
    jobs = write_jobs({"hello": HELLO, "other": HELLO, "team/app": HELLO})
    users = users_file()
    try:
        with Server(jobs=jobs) as open_server:
            # without security everyone is anonymous, and anonymous has no favorites
            status, _, body = open_server.request("PUT", ORG + "/pipelines/hello/favorite/",
                                                  b'{"favorite":true}',
                                                  {"Content-Type": "application/json"})
            assert status == 403 and "logged in" in json.loads(body)["message"]
            assert open_server.get_json(ORG + "/user/", expect=404)["message"] == \
                "No authenticated user found"
        with Server(jobs=jobs, extra=["--users", users]) as s:
            status, _, body = call(s, "PUT", ORG + "/pipelines/hello/favorite/", "carol",
                                   b'{"favorite":true}')
            assert status == 200, body
            fav = json.loads(body)
            assert fav["_class"].endswith("FavoriteImpl") and fav["item"]["name"] == "hello"
            assert fav["_links"]["self"]["href"] == ORG + "/pipelines/hello/favorite/"
            call(s, "PUT", ORG + "/pipelines/team/pipelines/app/favorite/", "carol",
                 b'{"favorite":true}')
            assert call(s, "PUT", ORG + "/pipelines/team/favorite/", "carol",
                        b'{"favorite":true}')[0] == 405
            assert call(s, "PUT", ORG + "/pipelines/hello/favorite/", "carol", b'{}')[0] == 400
            favs = json.loads(call(s, "GET", "/blue/rest/users/carol/favorites/", "carol")[2])
            assert [f["item"]["fullName"] for f in favs] == ["hello", "team/app"]
            assert call(s, "GET", "/blue/rest/users/carol/favorites/", "bob")[0] == 403
            assert json.loads(call(s, "GET", "/blue/rest/users/bob/favorites/", "bob")[2]) == []
            call(s, "PUT", ORG + "/pipelines/hello/favorite/", "carol", b'{"favorite":false}')
            favs = json.loads(call(s, "GET", "/blue/rest/users/carol/favorites/", "carol")[2])
            assert [f["item"]["fullName"] for f in favs] == ["team/app"]
            assert call(s, "DELETE", "/blue/rest/users/carol/favorites/", "carol")[0] == 204
            assert json.loads(call(s, "GET", "/blue/rest/users/carol/favorites/", "carol")[2]) == []
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        os.unlink(users)


def test_jwt():
    jobs = write_jobs({"hello": HELLO})
    users = users_file()
    data = tempfile.mkdtemp(prefix="tp-it-data-")
    try:
        with Server(jobs=jobs, data=data, extra=["--users", users]) as s:
            status, headers, body = call(s, "GET", "/jwt-auth/token", "bob")
            assert status == 204 and body == b""
            token = headers["x-blueocean-jwt"]
            head, claims, _ = token.split(".")
            pad = lambda t: t + "=" * (-len(t) % 4)  # noqa: E731
            head = json.loads(base64.urlsafe_b64decode(pad(head)))
            claims = json.loads(base64.urlsafe_b64decode(pad(claims)))
            assert head["alg"] == "RS256" and len(head["kid"]) == 6
            assert claims["sub"] == "bob" and len(claims["jti"]) == 32
            assert claims["exp"] - claims["iat"] == 1800
            bearer = {"Authorization": "Bearer " + token}
            run = s.request("POST", ORG + "/pipelines/hello/runs/", b"{}",
                            dict(bearer, **{"Content-Type": "application/json"}))
            assert run[0] == 200, run
            assert json.loads(run[2])["causes"][0]["userId"] == "bob"
            forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
            status, _, body = s.request("GET", ORG + "/pipelines/", None,
                                        {"Authorization": "Bearer " + forged})
            assert status == 401 and json.loads(body)["message"].startswith("Invalid JWT token")
            # anonymous may ask for a token; it names anonymous, who may not read
            status, headers, _ = s.request("GET", "/jwt-auth/token")
            assert status == 204
            anon = {"Authorization": "Bearer " + headers["x-blueocean-jwt"]}
            assert s.request("GET", ORG + "/pipelines/", None, anon)[0] == 401
            assert call(s, "GET", "/jwt-auth/token?expiryTimeInMins=600", "bob")[0] == 400
            key = s.get_json("/jwt-auth/jwks/%s/" % head["kid"])
            assert (key["kty"], key["alg"], key["kid"], key["use"], key["e"]) == (
                "RSA", "RS256", head["kid"], "sig", "AQAB")
            assert len(base64.urlsafe_b64decode(pad(key["n"]))) == 256
            assert s.get_json("/jwt-auth/jwk-set")["keys"] == [key]
            s.get_json("/jwt-auth/jwks/190001/", expect=404)
        key_file = os.path.join(data, "jwt-key.pem")
        assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"
        with open(key_file) as f:
            pem = f.read()
        # the key survives a restart: the token is still good
        with Server(jobs=jobs, data=data, extra=["--users", users]) as s:
            assert s.request("GET", ORG + "/pipelines/", None, bearer)[0] == 200
        with open(key_file) as f:
            assert f.read() == pem
        with Server(jobs=jobs) as s:  # without security there is no JWT
            assert s.request("GET", "/jwt-auth/token")[0] == 404
    finally:
        shutil.rmtree(jobs, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
        os.unlink(users)


def test_bad_users_files_are_refused():
    for text, why in [("alice:root:x\n", "role"), ("alice\n", "name:role:hash"),
                      ("alice:read:plain\n", "pbkdf2"), ("# nobody\n", "no users")]:
        f = tempfile.NamedTemporaryFile("w", suffix=".users", delete=False)
        f.write(text)
        f.close()
        data = tempfile.mkdtemp(prefix="tp-it-data-")
        r = subprocess.run([BINARY, "serve", "--port", "0", "--data", data, "--users", f.name],
                           capture_output=True, text=True, timeout=10)
        os.unlink(f.name)
        shutil.rmtree(data, ignore_errors=True)
        assert r.returncode == 1 and why in r.stderr, (text, r.stderr)
    r = subprocess.run([BINARY, "passwd", "x", "root"], input="pw\n", capture_output=True,
                       text=True)
    assert r.returncode == 2


if __name__ == "__main__":
    run_tests([test_roles_and_errors, test_python_jenkins_logs_in, test_favorites, test_jwt,
               test_bad_users_files_are_refused])
