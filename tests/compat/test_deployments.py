"""Deployments, schedules, work queues and agents with the stock CLI, the
stock agent and Orrery's native agent."""
import os
import textwrap
import time

import pytest

from helpers import flow_run, flow_states, start_agent, stop_agent, terminal, wait_for

TARGET = os.environ.get("COMPAT_TARGET", "orrery")

FLOW_SOURCE = '''
import time
from prefect import flow, get_run_logger

@flow(name="compat-deployed")
def deployed(name: str = "world", sleep: float = 0):
    get_run_logger().info("hello %s", name)
    time.sleep(sleep)
    return name
'''


@pytest.fixture
def deployment(cli, client_env, tmp_path, api):
    """A deployment of a small flow with an interval schedule, applied with
    the stock `prefect deployment build ... -a`."""
    def make(name, queue, interval=None):
        (tmp_path / "deployed_flow.py").write_text(textwrap.dedent(FLOW_SOURCE))
        args = ["deployment", "build", "deployed_flow.py:deployed", "-n", name, "-q", queue, "-a"]
        if interval:
            args += ["--interval", str(interval)]
        proc = cli(*args, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        dep = api.get(f"/deployments/name/compat-deployed/{name}").json()
        assert dep["work_queue_name"] == queue
        return dep
    return make


def test_scheduler_creates_runs_and_stock_agent_executes(deployment, cli, api, client_env, tmp_path):
    dep = deployment("scheduled", "compat-q1", interval=3600)
    runs = wait_for(lambda: api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [dep["id"]]}}}).json(), 15, "scheduled runs")
    assert all(r["auto_scheduled"] and r["state_type"] == "SCHEDULED" for r in runs)
    assert all("auto-scheduled" in r["tags"] for r in runs)
    assert len({r["idempotency_key"] for r in runs}) == len(runs)
    # Re-applying the deployment replaces (never duplicates) its future runs.
    deployment("scheduled", "compat-q1", interval=3600)
    time.sleep(2)
    again = api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [dep["id"]]}}}).json()
    assert len({r["expected_start_time"] for r in again}) == len(again)

    proc = cli("deployment", "run", "compat-deployed/scheduled", "--param", "name=adhoc")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    adhoc = [r for r in api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [dep["id"]]}}}).json() if not r["auto_scheduled"]]
    assert len(adhoc) == 1 and adhoc[0]["parameters"] == {"name": "adhoc"}
    agent, log = start_agent("stock", "compat-q1", client_env, tmp_path)
    try:
        done = wait_for(lambda: terminal(api, adhoc[0]["id"]), 90, "the ad hoc run to finish")
    finally:
        output = stop_agent(agent, log)
    assert done["state_type"] == "COMPLETED", output
    assert done["infrastructure_pid"]
    names = [s["name"] for s in flow_states(api, done["id"])]
    # A slow agent may find the run already marked Late (as on 2.7).
    assert [n for n in names if n != "Late"][:2] == ["Scheduled", "Pending"] and names[-1] == "Completed", names
    logs = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [done["id"]]}}}).json()
    assert any(l["message"] == "hello adhoc" for l in logs)
    status = api.get(f"/work_queues/{api.get('/work_queues/name/compat-q1').json()['id']}/status").json()
    assert status["last_polled"] is not None


@pytest.mark.parametrize("kind", ["stock", "native"])
def test_cancel_running_flow(kind, deployment, cli, api, client_env, tmp_path):
    queue = f"compat-cancel-{kind}"
    deployment(f"cancel-{kind}", queue)
    proc = cli("deployment", "run", f"compat-deployed/cancel-{kind}", "--param", "sleep=120")
    assert proc.returncode == 0, proc.stderr
    dep = api.get(f"/deployments/name/compat-deployed/cancel-{kind}").json()
    (run,) = api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [dep["id"]]}}}).json()
    agent, log = start_agent(kind, queue, client_env, tmp_path)
    try:
        wait_for(lambda: flow_run(api, run["id"])["state_type"] == "RUNNING", 90, "the run to start")
        proc = cli("flow-run", "cancel", run["id"])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        done = wait_for(lambda: terminal(api, run["id"]), 60, "the run to be cancelled")
    finally:
        output = stop_agent(agent, log)
    assert done["state_type"] == "CANCELLED", output


def test_native_agent_runs_deployment_with_parameters(deployment, api, client_env, tmp_path):
    dep = deployment("native", "compat-native")
    created = api.post(f"/deployments/{dep['id']}/create_flow_run", json={"parameters": {"name": "go-agent"}, "state": {"type": "SCHEDULED"}})
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    agent, log = start_agent("native", "compat-native", client_env, tmp_path)
    try:
        done = wait_for(lambda: terminal(api, run_id), 90, "the native agent's run")
    finally:
        output = stop_agent(agent, log)
    assert done["state_type"] == "COMPLETED", output
    assert done["parameters"] == {"name": "go-agent"}
    logs = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}}).json()
    assert any(l["message"] == "hello go-agent" for l in logs)


def test_work_queue_cli(cli, api):
    assert cli("work-queue", "create", "compat-wq", "--limit", "2").returncode == 0
    proc = cli("work-queue", "inspect", "compat-wq")
    assert proc.returncode == 0 and "compat-wq" in proc.stdout
    assert cli("work-queue", "pause", "compat-wq").returncode == 0
    assert api.get("/work_queues/name/compat-wq").json()["is_paused"] is True
    assert cli("work-queue", "resume", "compat-wq").returncode == 0
    q = api.get("/work_queues/name/compat-wq").json()
    assert q["is_paused"] is False and q["concurrency_limit"] == 2
    assert cli("work-queue", "preview", "compat-wq").returncode == 0
    proc = cli("work-queue", "ls")
    assert proc.returncode == 0 and "compat-wq" in proc.stdout
