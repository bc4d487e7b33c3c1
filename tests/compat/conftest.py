"""Starts the server under test (Orrery by default, the real Prefect 2.7.12
server with COMPAT_TARGET=prefect) on a free loopback port with a fresh
database, and gives tests helpers to run flows and the prefect CLI against it.

External mode: with ORRERY_COMPAT_API_URL set (e.g. the Lambda shape behind
tests/lambdagw, see tests/lambda/run.sh) no server is started; the suite runs
against that URL. ORRERY_COMPAT_API_KEY, when set, is sent by the stock client
and the native agent (PREFECT_API_KEY) and by the `api` fixture (Authorization:
Bearer)."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENV_BIN = Path(sys.executable).parent
TARGET = os.environ.get("COMPAT_TARGET", "orrery")
EXTERNAL_URL = os.environ.get("ORRERY_COMPAT_API_URL", "").rstrip("/")
API_KEY = os.environ.get("ORRERY_COMPAT_API_KEY", "")


def auth_headers(key=API_KEY):
    return {"Authorization": f"Bearer {key}"} if key else {}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass  # the whole group has exited already


def _wait_external(url):
    deadline = time.time() + 60
    while True:
        try:
            r = httpx.get(url + "/health", timeout=5)
            if r.status_code == 200:
                return
            last = f"{r.status_code} {r.text[:200]}"
        except httpx.HTTPError as e:
            last = repr(e)
        if time.time() > deadline:
            pytest.exit(f"external server {url} did not become healthy: {last}", returncode=2)
        time.sleep(0.2)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if EXTERNAL_URL:
        _wait_external(EXTERNAL_URL)
        yield EXTERNAL_URL
        return
    tmp = tmp_path_factory.mktemp("server")
    port = _free_port()
    env = dict(os.environ)
    if TARGET == "prefect":
        env.update(
            PREFECT_HOME=str(tmp / "prefect-home"),
            PREFECT_ORION_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp}/prefect.db",
            PREFECT_ORION_ANALYTICS_ENABLED="false",
            PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        )
        env.pop("PREFECT_API_URL", None)
        cmd = [str(VENV_BIN / "prefect"), "orion", "start", "--host", "127.0.0.1", "--port", str(port)]
    else:
        binary = os.environ.get("ORRERY_BIN", str(REPO / "bin" / "orrery"))
        if not Path(binary).exists():
            pytest.exit(f"Orrery binary {binary} is missing: run `make build` first", returncode=2)
        # ORRERY_COMPAT_DATABASE_URL runs the suite on another backend; a
        # {unique} in it becomes a fresh name (e.g. a DynamoDB table).
        db_url = os.environ.get("ORRERY_COMPAT_DATABASE_URL", f"sqlite:///{tmp}/orrery.db")
        db_url = db_url.replace("{unique}", f"orrery-compat-{os.getpid()}-{port}")
        env.update(
            ORRERY_DATABASE_URL=db_url,
            ORRERY_HOME=str(tmp / "orrery-home"),
            ORRERY_RESULTS_URL=f"file://{tmp}/results",
        )
        cmd = [binary, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    log = open(tmp / "server.log", "w+")
    # A session of its own: `prefect orion start` runs uvicorn as a child,
    # which must stop with it.
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            _signal_group(proc, signal.SIGKILL)
            log.seek(0)
            pytest.exit(f"server did not become healthy:\n{log.read()}", returncode=2)
        time.sleep(0.1)
    yield url
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
    log.seek(0)
    out = log.read()
    if "panic" in out:
        print(out)


@pytest.fixture(scope="session")
def api(server):
    headers = {"X-PREFECT-API-VERSION": "0.8.4", **auth_headers()}
    with httpx.Client(base_url=server, timeout=30, headers=headers) as c:
        yield c


@pytest.fixture
def client_env(server, tmp_path):
    env = dict(os.environ)
    env.update(
        PREFECT_API_URL=server,
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_LOGGING_ORION_BATCH_INTERVAL="0.5",
        PREFECT_LOCAL_STORAGE_PATH=str(tmp_path / "storage"),
        PYTHONUNBUFFERED="1",
        COLUMNS="250",
    )
    env.pop("PREFECT_API_KEY", None)
    if API_KEY:
        env["PREFECT_API_KEY"] = API_KEY
    return env


@pytest.fixture
def run_flow(client_env, tmp_path):
    """Runs a Python script (the flow code) in a subprocess with the client
    pointed at the server; the script prints a JSON line as its last output."""

    def run(source, timeout=180, expect_ok=True):
        script = tmp_path / "flow_script.py"
        script.write_text(textwrap.dedent(source))
        proc = subprocess.run([sys.executable, str(script)], env=client_env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=timeout)
        if expect_ok and proc.returncode != 0:
            raise AssertionError(f"flow script failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        last = [l for l in proc.stdout.splitlines() if l.startswith("{")]
        return proc, (json.loads(last[-1]) if last else None)

    return run


@pytest.fixture
def cli(client_env, tmp_path):
    def run(*args, timeout=60):
        proc = subprocess.run([str(VENV_BIN / "prefect"), *args], env=client_env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=timeout)
        return proc

    return run


def pytest_collection_finish(session):
    # The differential test's reference server takes 15-60 s to boot: begin
    # now, so it boots while the tests before it run.
    if any(item.nodeid.startswith("test_differential.py") for item in session.items):
        import differential
        differential.prestart()
