"""API read helpers shared by the compat tests."""
import pendulum


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
