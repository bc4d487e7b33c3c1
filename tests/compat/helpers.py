"""API read helpers and agent/polling helpers shared by the compat tests."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pendulum

REPO = Path(__file__).resolve().parent.parent.parent


def flow_run(api, run_id):
    r = api.get(f"/flow_runs/{run_id}")
    assert r.status_code == 200, r.text
    return r.json()


def task_runs(api, run_id):
    r = api.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}, "sort": "EXPECTED_START_TIME_ASC"})
    assert r.status_code == 200, r.text
    return r.json()


def flow_states(api, run_id):
    r = api.get("/flow_run_states/", params={"flow_run_id": run_id})
    assert r.status_code == 200, r.text
    return r.json()


def task_states(api, task_run_id):
    r = api.get("/task_run_states/", params={"task_run_id": task_run_id})
    assert r.status_code == 200, r.text
    return r.json()


def ts(value):
    return pendulum.parse(value)


def assert_timing(run):
    """A finished run has start <= end and a non-negative run time."""
    assert run["start_time"] and run["end_time"], run
    assert ts(run["start_time"]) <= ts(run["end_time"])
    assert run["total_run_time"] >= 0
    assert run["expected_start_time"]


def wait_for(fn, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_agent(kind, queue, client_env, tmp_path):
    log = open(tmp_path / f"{kind}-agent.log", "w+")
    env = dict(client_env, PREFECT_AGENT_QUERY_INTERVAL="2")
    if kind == "stock":
        cmd = [str(Path(sys.executable).parent / "prefect"), "agent", "start", "-q", queue]
    else:
        binary = os.environ.get("ORRERY_BIN", str(REPO / "bin" / "orrery"))
        cmd = [binary, "agent", "start", "-q", queue, "--python", sys.executable, "--interval", "2s"]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def stop_agent(proc, log):
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.seek(0)
    return log.read()


def terminal(api, run_id):
    run = flow_run(api, run_id)
    return run if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None
