"""The stock prefect CLI and raw API behaviour the client depends on."""
import uuid

from helpers import task_runs, ts


def test_tag_concurrency_limit_makes_second_task_wait(run_flow, api, cli):
    proc = cli("concurrency-limit", "create", "compat-db", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = cli("concurrency-limit", "inspect", "compat-db")
    assert proc.returncode == 0 and "compat-db" in proc.stdout
    _, out = run_flow("""
        import json, time
        from prefect import flow, task

        @task(tags=["compat-db"])
        def hold(i):
            time.sleep(1.5)
            return i

        @flow
        def limited():
            a = hold.submit(1)
            b = hold.submit(2)
            return [a.result(), b.result()]

        state = limited(return_state=True)
        print(json.dumps({"id": str(state.state_details.flow_run_id), "result": state.result()}))
    """, timeout=240)
    assert sorted(out["result"]) == [1, 2]
    first, second = sorted(task_runs(api, out["id"]), key=lambda t: t["start_time"])
    assert first["state_type"] == second["state_type"] == "COMPLETED"
    # The RUNNING intervals do not overlap: the second waited for the slot.
    assert ts(second["start_time"]) >= ts(first["end_time"])
    limit = api.get("/concurrency_limits/tag/compat-db").json()
    assert limit["active_slots"] == []
    assert api.delete("/concurrency_limits/tag/compat-db").status_code == 200


def test_flow_run_ls_and_inspect(run_flow, cli):
    _, out = run_flow("""
        import json
        from prefect import flow

        @flow(name="listed-flow")
        def listed():
            return 1

        state = listed(return_state=True)
        print(json.dumps({"id": str(state.state_details.flow_run_id)}))
    """)
    proc = cli("flow-run", "ls", "--flow-name", "listed-flow")
    assert proc.returncode == 0, proc.stderr
    assert out["id"][:8] in proc.stdout
    proc = cli("flow-run", "inspect", out["id"])
    assert proc.returncode == 0, proc.stderr
    assert out["id"] in proc.stdout and "COMPLETED" in proc.stdout


def test_raw_api_contract(api):
    assert api.get("/health").json() is True
    first = api.post("/flows/", json={"name": "compat-raw"})
    again = api.post("/flows/", json={"name": "compat-raw"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    missing = api.get(f"/flow_runs/{uuid.uuid4()}")
    assert missing.status_code == 404 and "detail" in missing.json()
    for bad in (api.post("/flows/", content=b'{"name": '), api.post("/flow_runs/", json={"flow_id": "not-a-uuid"})):
        assert bad.status_code == 422
        assert {"exception_message", "exception_detail", "request_body"} <= set(bad.json())
    bad_version = api.post("/flows/filter", json={}, headers={"X-PREFECT-API-VERSION": "banana"})
    assert bad_version.status_code == 400 and "detail" in bad_version.json()
    old_version = api.post("/flows/filter", json={}, headers={"X-PREFECT-API-VERSION": "0.7.0"})
    assert old_version.status_code == 400
    # The health check answers whatever the header says.
    assert api.get("/health", headers={"X-PREFECT-API-VERSION": "banana"}).status_code == 200
    run = api.post("/flow_runs/", json={"flow_id": first.json()["id"], "state": {"type": "COMPLETED"}}).json()
    res = api.post(f"/flow_runs/{run['id']}/set_state", json={"state": {"type": "RUNNING"}, "force": False})
    assert res.status_code == 200 and res.json()["status"] == "ABORT"


def test_block_registration_by_client(run_flow, api, cli):
    _, out = run_flow("""
        import json
        from prefect.blocks.system import Secret, JSON
        Secret(value="s3cr3t-value").save("compat-secret", overwrite=True)
        JSON(value={"a": 1}).save("compat-json", overwrite=True)
        print(json.dumps({"secret": Secret.load("compat-secret").get(), "json": JSON.load("compat-json").value}))
    """)
    assert out == {"secret": "s3cr3t-value", "json": {"a": 1}}
    doc = api.get("/block_types/slug/secret/block_documents/name/compat-secret").json()
    assert doc["data"]["value"] == "********"
    proc = cli("block", "ls")
    assert proc.returncode == 0 and "compat-secret" in proc.stdout


def test_block_register_module_and_builtin_types(cli, api):
    proc = cli("block", "register", "-m", "prefect.blocks.notifications")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    slugs = {t["slug"] for t in api.post("/block_types/filter", json={}).json()}
    builtin = {"local-file-system", "remote-file-system", "s3", "process", "secret", "json", "string"}
    assert builtin | {"slack-webhook"} <= slugs, slugs
    proc = cli("block", "type", "ls")
    assert proc.returncode == 0 and "slack-webhook" in proc.stdout
