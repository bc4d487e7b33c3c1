"""Real flows run by the stock Prefect 2.7.12 client, checked through the API."""
import time

import pendulum
import pytest

from helpers import assert_timing, flow_run, flow_states, task_runs, task_states, ts


def test_flow_with_tasks_passing_results(run_flow, api):
    _, out = run_flow("""
        import json
        from prefect import flow, task

        @task
        def add(x, y):
            return x + y

        @flow(name="adder")
        def adder():
            a = add.submit(1, 2)
            b = add.submit(a, 10)
            return add(b, 100)

        state = adder(return_state=True)
        print(json.dumps({"id": str(state.state_details.flow_run_id), "result": state.result()}))
    """)
    assert out["result"] == 113
    run = flow_run(api, out["id"])
    assert run["state_type"] == "COMPLETED" and run["state_name"] == "Completed"
    assert run["run_count"] == 1
    assert_timing(run)
    assert [s["name"] for s in flow_states(api, out["id"])] == ["Pending", "Running", "Completed"]
    tasks = task_runs(api, out["id"])
    assert len(tasks) == 3
    for t in tasks:
        assert t["state_type"] == "COMPLETED" and t["run_count"] == 1 and t["flow_run_run_count"] == 1
        assert_timing(t)
        assert ts(run["start_time"]) <= ts(t["start_time"]) <= ts(t["end_time"]) <= ts(run["end_time"])
    # The second call consumed the first call's result: the graph shows it.
    graph = api.get(f"/flow_runs/{out['id']}/graph").json()
    assert any(node["upstream_dependencies"] for node in graph)


def test_task_retries_with_delay(run_flow, api, tmp_path):
    counter = tmp_path / "count"
    _, out = run_flow(f"""
        import json, pathlib
        from prefect import flow, task

        @task(retries=2, retry_delay_seconds=2)
        def flaky():
            p = pathlib.Path({str(counter)!r})
            n = int(p.read_text()) if p.exists() else 0
            p.write_text(str(n + 1))
            if n < 2:
                raise RuntimeError(f"attempt {{n}} failed")
            return n

        @flow
        def retrier():
            return flaky()

        state = retrier(return_state=True)
        print(json.dumps({{"id": str(state.state_details.flow_run_id), "result": state.result()}}))
    """)
    assert out["result"] == 2
    (task,) = task_runs(api, out["id"])
    assert task["state_type"] == "COMPLETED"
    assert task["run_count"] == 3
    history = task_states(api, task["id"])
    names = [s["name"] for s in history]
    assert names.count("AwaitingRetry") == 2
    assert names.count("Retrying") == 2
    for s in history:
        if s["name"] == "AwaitingRetry":
            assert s["type"] == "SCHEDULED"
    runs = [s for s in history if s["type"] == "RUNNING"]
    # Each retry started at least the retry delay after the failure before it.
    retries = [s for s in history if s["name"] == "AwaitingRetry"]
    for retry, nxt in zip(retries, runs[1:]):
        assert ts(nxt["timestamp"]) >= ts(retry["state_details"]["scheduled_time"])
        assert (ts(nxt["timestamp"]) - ts(retry["timestamp"])).total_seconds() >= 1.9


def test_flow_retries(run_flow, api, tmp_path):
    counter = tmp_path / "fcount"
    _, out = run_flow(f"""
        import json, pathlib
        from prefect import flow

        @flow(retries=1, retry_delay_seconds=1)
        def sometimes():
            p = pathlib.Path({str(counter)!r})
            n = int(p.read_text()) if p.exists() else 0
            p.write_text(str(n + 1))
            if n == 0:
                raise ValueError("first attempt fails")
            return "ok"

        state = sometimes(return_state=True)
        print(json.dumps({{"id": str(state.state_details.flow_run_id), "result": state.result()}}))
    """)
    assert out["result"] == "ok"
    run = flow_run(api, out["id"])
    assert run["state_type"] == "COMPLETED"
    assert run["run_count"] == 2
    names = [s["name"] for s in flow_states(api, out["id"])]
    assert "AwaitingRetry" in names
    assert names[-1] == "Completed"


def test_cache_key_fn_and_expiry(run_flow, api, tmp_path):
    calls = tmp_path / "calls"
    source = f"""
        import json, pathlib, sys
        from datetime import timedelta
        from prefect import flow, task

        @task(cache_key_fn=lambda ctx, params: "compat-cache-" + str(params["x"]), cache_expiration=timedelta(seconds=20))
        def expensive(x):
            p = pathlib.Path({str(calls)!r})
            p.write_text(str(int(p.read_text()) + 1 if p.exists() else 1))
            return x * 2

        @flow
        def cacher():
            return expensive(21)

        state = cacher(return_state=True)
        print(json.dumps({{"id": str(state.state_details.flow_run_id), "result": state.result()}}))
    """
    _, first = run_flow(source)
    _, second = run_flow(source)
    assert first["result"] == second["result"] == 42
    assert calls.read_text() == "1", "second run must come from the cache"
    (t1,) = task_runs(api, first["id"])
    (t2,) = task_runs(api, second["id"])
    assert t1["state_name"] == "Completed"
    assert t2["state_type"] == "COMPLETED" and t2["state_name"] == "Cached"
    # Wait out the entry's own expiration (20 s leaves room for a slow
    # machine between the first two runs; the sleep is only what remains).
    done = [s for s in task_states(api, t1["id"]) if s["name"] == "Completed"][-1]
    expires = ts(done["state_details"]["cache_expiration"])
    assert (expires - ts(done["timestamp"])).total_seconds() == pytest.approx(20, abs=1)
    time.sleep(max(0.0, (expires - pendulum.now("UTC")).total_seconds()) + 0.5)
    _, third = run_flow(source)
    assert third["result"] == 42
    assert calls.read_text() == "2", "expired cache entry must not be used"
    (t3,) = task_runs(api, third["id"])
    assert t3["state_name"] == "Completed"


def test_subflow(run_flow, api):
    _, out = run_flow("""
        import json
        from prefect import flow

        @flow(name="inner")
        def inner(x):
            return x + 1

        @flow(name="outer")
        def outer():
            return inner(1)

        state = outer(return_state=True)
        print(json.dumps({"id": str(state.state_details.flow_run_id), "result": state.result()}))
    """)
    assert out["result"] == 2
    parent = flow_run(api, out["id"])
    assert parent["state_type"] == "COMPLETED"
    (parent_task,) = task_runs(api, out["id"])
    children = api.post("/flow_runs/filter", json={"flow_runs": {"parent_task_run_id": {"any_": [parent_task["id"]]}}}).json()
    assert len(children) == 1
    child = children[0]
    assert child["state_type"] == "COMPLETED"
    assert parent_task["state_type"] == "COMPLETED"
    assert parent_task["state"]["state_details"]["child_flow_run_id"] == child["id"]
    assert_timing(child)


def test_failing_task_fails_the_flow(run_flow, api):
    proc, out = run_flow("""
        import json
        from prefect import flow, task

        @task
        def broken():
            raise ZeroDivisionError("no dividing by zero here")

        @flow
        def doomed():
            return broken()

        state = doomed(return_state=True)
        print(json.dumps({"id": str(state.state_details.flow_run_id)}))
    """)
    run = flow_run(api, out["id"])
    assert run["state_type"] == "FAILED"
    assert "no dividing by zero here" in (run["state"]["message"] or "")
    (task,) = task_runs(api, out["id"])
    assert task["state_type"] == "FAILED"
    assert "no dividing by zero here" in task["state"]["message"]
    assert_timing(run)


def test_logs_from_run_logger(run_flow, api):
    _, out = run_flow("""
        import json
        from prefect import flow, task, get_run_logger

        @task
        def chatty():
            get_run_logger().info("hello from the task")

        @flow
        def logged():
            get_run_logger().warning("hello from the flow")
            chatty()

        state = logged(return_state=True)
        print(json.dumps({"id": str(state.state_details.flow_run_id)}))
    """)
    logs = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [out["id"]]}}}).json()
    flow_log = [l for l in logs if l["message"] == "hello from the flow"]
    task_log = [l for l in logs if l["message"] == "hello from the task"]
    assert flow_log and flow_log[0]["level"] == 30 and flow_log[0]["task_run_id"] is None
    (task,) = task_runs(api, out["id"])
    assert task_log and task_log[0]["level"] == 20 and task_log[0]["task_run_id"] == task["id"]
