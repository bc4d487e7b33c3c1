"""Flow-run notifications end to end with the stock Prefect 2.7.12 client:
SlackWebhook documents made by the client (after `prefect block register -m
prefect.blocks.notifications`) and policies made with its
create_flow_run_notification_policy, flows that fail or complete, and a local
Slack receiver. Orrery only: 2.7.12's apprise posts to hooks.slack.com
whatever URL the block holds, so a local receiver cannot stand in for Slack
there.

These tests start their own servers (ports 4320-4329) so the delivery loop
and retry backoff can be made fast (ORRERY_SERVICE_INTERVAL,
ORRERY_NOTIFICATION_BACKOFF), and so one can be killed."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pendulum
import pytest

from conftest import EXTERNAL_URL, REPO, TARGET, VENV_BIN

pytestmark = pytest.mark.skipif(TARGET != "orrery" or bool(EXTERNAL_URL),
                                reason="starts and kills its own Orrery servers")

PORTS = range(4320, 4330)
HEADERS = {"X-PREFECT-API-VERSION": "0.8.4"}


def _port():
    """A free port of this suite's range (4320-4329)."""
    for p in PORTS:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                continue
            return p
    raise RuntimeError("no free port in 4320-4329")


def wait_for(what, check, timeout=60, interval=0.1):
    """Polls check() until it returns something truthy; fails after timeout."""
    deadline = time.time() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


class Receiver:
    """A Slack stand-in: records the JSON posted to each path and answers
    500 to the first fail[path] requests on that path."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = {}  # path -> [payload] accepted
        self.hits = {}  # path -> requests seen
        self.fail = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.hits[self.path] = receiver.hits.get(self.path, 0) + 1
                    failing = receiver.fail.get(self.path, 0) > 0
                    if failing:
                        receiver.fail[self.path] -= 1
                    else:
                        receiver.messages.setdefault(self.path, []).append(json.loads(body))
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"try later" if failing else b"ok")

            def log_message(self, *args):
                pass

        self.port = _port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def got(self, path):
        with self.lock:
            return list(self.messages.get(path, [])), self.hits.get(path, 0)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Server:
    """An Orrery server on a database that outlives it."""

    def __init__(self, tmp, interval="0.2s"):
        self.tmp = tmp
        self.port = _port()
        # A backend with fresh names per server (DynamoDB: a table) when the
        # suite runs on one (make compat-dynamodb); a shared database such as
        # PostgreSQL's would let the session's server deliver these
        # notifications too, so that case, like the default, uses SQLite.
        url = os.environ.get("ORRERY_COMPAT_DATABASE_URL", "")
        self.db_url = (url.replace("{unique}", f"orrery-notify-{os.getpid()}-{self.port}-{int(time.time() * 1000)}")
                       if "{unique}" in url else f"sqlite:///{tmp}/orrery.db")
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.proc = None
        self.start(interval)

    def start(self, interval):
        binary = os.environ.get("ORRERY_BIN", str(REPO / "bin" / "orrery"))
        env = dict(os.environ,
                   ORRERY_DATABASE_URL=self.db_url,
                   ORRERY_HOME=str(self.tmp / "orrery-home"),
                   ORRERY_RESULTS_URL=f"file://{self.tmp}/results",
                   ORRERY_SERVICE_INTERVAL=interval,
                   ORRERY_NOTIFICATION_BACKOFF="0.3s")
        self.log = open(self.tmp / "server.log", "a")
        self.proc = subprocess.Popen([binary, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

        def healthy():
            try:
                return httpx.get(self.url + "/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                assert self.proc.poll() is None, (self.tmp / "server.log").read_text()
                return False

        wait_for("the server to start", healthy)
        # Built-in block types are installed just after the listener is up.
        wait_for("built-in block types", lambda: self.api("GET", "/block_types/slug/slack-webhook").status_code == 200)

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def api(self, method, path, body=None):
        return httpx.request(method, self.url + path, json=body, headers=HEADERS, timeout=30)

    def notifications(self, run_id):
        r = self.api("POST", "/flow_run_notifications/filter",
                     {"flow_run_notifications": {"flow_run_id": {"any_": [run_id]}}})
        assert r.status_code == 200, r.text
        return r.json()

    def python(self, source, tmp, timeout=180):
        """Runs a client script against this server; returns its last JSON line."""
        script = tmp / "client_script.py"
        script.write_text(textwrap.dedent(source))
        env = dict(os.environ, PREFECT_API_URL=self.url, PREFECT_HOME=str(tmp / "prefect-home"),
                   PREFECT_LOCAL_STORAGE_PATH=str(tmp / "storage"), PYTHONUNBUFFERED="1")
        env.pop("PREFECT_API_KEY", None)
        proc = subprocess.run([sys.executable, str(script)], env=env, cwd=tmp, capture_output=True, text=True,
                              timeout=timeout)
        assert proc.returncode == 0, f"client script failed:\n{proc.stdout}\n{proc.stderr}"
        return json.loads([l for l in proc.stdout.splitlines() if l.startswith("{")][-1])

    def prefect(self, tmp, *args):
        env = dict(os.environ, PREFECT_API_URL=self.url, PREFECT_HOME=str(tmp / "prefect-home"))
        env.pop("PREFECT_API_KEY", None)
        return subprocess.run([str(VENV_BIN / "prefect"), *args], env=env, cwd=tmp, capture_output=True, text=True,
                              timeout=120)


# Makes Slack webhook blocks and their policies with the stock client, then
# runs flows tagged to pick one policy, each failing or completing; prints the
# policy ids and the runs' ids and final state types. One client process
# for all of it: each costs seconds to start.
CLIENT = """
    import asyncio, json
    from prefect import flow, tags
    from prefect.blocks.notifications import SlackWebhook
    from prefect.client import get_client

    async def make_policies():
        out = {}
        for name, url, tag, template in %(policies)r:
            block_id = await SlackWebhook(url=url).save(name, overwrite=True)
            async with get_client() as client:
                out[name] = str(await client.create_flow_run_notification_policy(
                    block_document_id=block_id, is_active=True, tags=[tag], state_names=["Failed"],
                    message_template=template))
        return out

    @flow(name="notified-flow")
    def notified(fail: bool, n: int = 3):
        if fail:
            raise ValueError("it broke <here> & there")
        return n

    policies = asyncio.run(make_policies())
    runs = {}
    for key, tag, fail in %(runs)r:
        with tags(tag):
            state = notified(fail=fail, return_state=True)
        runs[key] = {"id": str(state.state_details.flow_run_id), "type": state.type.value}
    print(json.dumps({"policies": policies, "runs": runs}))
"""

TEMPLATE = ("{flow_name}/{flow_run_name} entered {flow_run_state_name} ({flow_run_state_type}) at "
            "{flow_run_state_timestamp}: {flow_run_state_message} params={flow_run_parameters} "
            "url={flow_run_url} flow={flow_id} policy={flow_run_notification_policy_id}")


def slack_escaped(text):
    # apprise's Slack markdown escaping, as 2.7.12 sends it.
    return text.rstrip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def setup(tmp_path_factory, receiver):
    tmp = tmp_path_factory.mktemp("notifications")
    srv = Server(tmp)
    proc = srv.prefect(tmp, "block", "register", "-m", "prefect.blocks.notifications")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    receiver.fail["/services/retry"] = 2
    out = srv.python(CLIENT % {
        "policies": [("basic", receiver.url("/services/basic"), "basic", TEMPLATE),
                     ("retry", receiver.url("/services/retry"), "retry", None)],
        "runs": [("failed", "basic", True), ("completed", "basic", False), ("retried", "retry", True)],
    }, tmp)
    yield srv, out["policies"], out["runs"]
    srv.stop()


def test_failed_run_announced_once_with_rendered_template(setup, receiver):
    srv, ids, runs = setup
    out = runs["failed"]
    assert out["type"] == "FAILED"
    messages, _ = wait_for("the Slack message", lambda: receiver.got("/services/basic")[0] and receiver.got("/services/basic"))
    run = srv.api("GET", f"/flow_runs/{out['id']}").json()
    flow = srv.api("GET", f"/flows/{run['flow_id']}").json()
    notes = srv.notifications(out["id"])
    assert [(n["status"], n["attempts"]) for n in notes] == [("delivered", 0)]
    note = notes[0]
    # The state the notification announces is the run's Failed state.
    assert note["flow_run_state_id"] == run["state"]["id"]
    # Python renders the same template over the same values to compare.
    expected = TEMPLATE.format(
        flow_name=flow["name"], flow_run_name=run["name"], flow_run_state_name="Failed", flow_run_state_type="FAILED",
        flow_run_state_timestamp=pendulum.parse(run["state"]["timestamp"]), flow_run_state_message=run["state"]["message"],
        flow_run_parameters={"fail": True, "n": 3}, flow_run_url=f"http://127.0.0.1:{srv.port}/flow-runs/flow-run/{run['id']}",
        flow_id=flow["id"], flow_run_notification_policy_id=ids["basic"])
    assert "it broke <here> & there" in expected
    assert len(messages) == 1
    attachment = messages[0]["attachments"][0]
    assert attachment["title"] == "Prefect flow run notification"
    assert attachment["text"] == slack_escaped(expected)
    assert messages[0]["username"] == "Prefect Notifications"
    # Later passes send nothing more.
    time.sleep(0.6)
    assert len(receiver.got("/services/basic")[0]) == 1


def test_completed_run_announces_nothing(setup, receiver):
    srv, ids, runs = setup
    out = runs["completed"]
    assert out["type"] == "COMPLETED"
    # Notifications are queued in the same write as the state they
    # announce: a run that is already Completed has queued none.
    assert srv.notifications(out["id"]) == []
    # The basic policy's receiver gets the failed run's message only.
    wait_for("the failed run's message", lambda: receiver.got("/services/basic")[0])
    time.sleep(0.6)
    messages, hits = receiver.got("/services/basic")
    assert hits == 1 and runs["completed"]["id"] not in messages[0]["attachments"][0]["text"]


def test_receiver_failing_twice_gets_the_message_once_later(setup, receiver):
    srv, ids, runs = setup
    out = runs["retried"]
    assert out["type"] == "FAILED"

    def delivered():
        notes = srv.notifications(out["id"])
        return notes if notes and notes[0]["status"] == "delivered" else None

    notes = wait_for("the retried delivery", delivered)
    assert len(notes) == 1 and notes[0]["attempts"] == 2
    assert "answered 500" in notes[0]["last_error"]
    messages, hits = receiver.got("/services/retry")
    assert hits == 3 and len(messages) == 1
    # The default template, as 2.7.12 words it.
    text = messages[0]["attachments"][0]["text"]
    assert text.startswith("\nFlow run notified-flow/") and "entered state `Failed` at " in text
    assert f"Flow run ID: {out['id']}" in text and f"/flow-runs/flow-run/{out['id']}" in text
    time.sleep(0.6)
    assert receiver.got("/services/retry")[1] == 3


def test_killed_before_delivery_delivers_once_after_restart(tmp_path, receiver):
    # The delivery loop runs once at start-up, then not for an hour: the
    # failed run's notification stays queued until the server is killed.
    srv = Server(tmp_path, interval="1h")
    try:
        out = srv.python(CLIENT % {"policies": [("crash", receiver.url("/services/crash"), "crash", "{flow_run_id} failed")],
                                   "runs": [("crashed", "crash", True)]}, tmp_path)["runs"]["crashed"]
        notes = srv.notifications(out["id"])
        assert [n["status"] for n in notes] == ["pending"]
        srv.kill()
        assert receiver.got("/services/crash") == ([], 0)
        srv.start("0.2s")  # same database
        wait_for("delivery after the restart", lambda: receiver.got("/services/crash")[0])
        wait_for("the delivered status", lambda: srv.notifications(out["id"])[0]["status"] == "delivered")
        time.sleep(0.6)
        messages, hits = receiver.got("/services/crash")
        assert hits == 1 and [m["attachments"][0]["text"] for m in messages] == [f"{out['id']} failed"]
    finally:
        srv.stop()
