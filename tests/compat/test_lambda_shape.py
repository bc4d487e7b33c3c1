"""The deployed (serverless) shape, checked where it differs from one binary:
API keys, the scheduler function's ticks, payloads offloaded to S3, and the
gateway's body limit. Runs only through tests/lambda/run.sh (`make
compat-lambda`): stock client -> tests/lambdagw (API Gateway stand-in) ->
functions/api under the Lambda RIE -> moto DynamoDB + S3."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from conftest import API_KEY, auth_headers
from helpers import flow_run, wait_for

pytestmark = pytest.mark.skipif(os.environ.get("ORRERY_COMPAT_LAMBDA") != "1",
                                reason="the Lambda shape only: run through tests/lambda/run.sh (make compat-lambda)")

VENV_BIN = Path(sys.executable).parent
READ_KEY = os.environ.get("ORRERY_COMPAT_READ_API_KEY", "")
S3 = os.environ.get("ORRERY_COMPAT_LAMBDA_S3_ENDPOINT", "")
BUCKET = os.environ.get("ORRERY_COMPAT_LAMBDA_BUCKET", "")
VERSION = {"X-PREFECT-API-VERSION": "0.8.4"}

needs_keys = pytest.mark.skipif(not API_KEY, reason="`orrery api-key` not available: the runner made no keys")


def bare(server, key=None):
    """A client with the given key (none by default), not the suite's."""
    headers = dict(VERSION)
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=server, timeout=30, headers=headers)


@needs_keys
@pytest.mark.parametrize("authorization", [
    None, "Bearer", "Basic Y29tcGF0OnB3", "Bearer orr_0000000000_" + "x" * 43, "Bearer not-a-key", "Bearer " + API_KEY + "x",
], ids=["missing", "no-token", "basic", "unknown", "malformed", "tampered"])
def test_without_a_valid_key_401(server, authorization):
    headers = dict(VERSION)
    if authorization:
        headers["Authorization"] = authorization
    with httpx.Client(base_url=server, timeout=30, headers=headers) as c:
        for method, path, body in [("POST", "/flows/filter", {}), ("GET", "/flows/" + str(uuid.uuid4()), None),
                                   ("POST", "/flows/", {"name": "no-key"})]:
            r = c.request(method, path, json=body)
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert "detail" in r.json(), r.text
            assert r.headers.get("www-authenticate", "").lower().startswith("bearer"), r.headers
        # The health check stays open (load balancers, `prefect` itself).
        assert c.get("/health").status_code == 200


@needs_keys
def test_stock_cli_without_key_is_refused(client_env, tmp_path):
    env = dict(client_env)
    env.pop("PREFECT_API_KEY")
    proc = subprocess.run([str(VENV_BIN / "prefect"), "flow-run", "ls"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0, proc.stdout
    assert "401" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


@needs_keys
def test_read_key_reads_but_cannot_write(server, api):
    assert READ_KEY, "the runner passes a read-scope key in ORRERY_COMPAT_READ_API_KEY"
    flow = api.post("/flows/", json={"name": "lambda-scoped"}).json()
    with bare(server, READ_KEY) as c:
        assert c.get(f"/flows/{flow['id']}").status_code == 200
        assert c.post("/flows/filter", json={}).status_code == 200
        assert c.post("/flow_runs/count", json={}).status_code == 200
        for method, path, body in [("POST", "/flows/", {"name": "read-only"}),
                                   ("POST", "/flow_runs/", {"flow_id": flow["id"]}),
                                   ("DELETE", f"/flows/{flow['id']}", None)]:
            r = c.request(method, path, json=body)
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert "detail" in r.json(), r.text
    assert api.get(f"/flows/{flow['id']}").status_code == 200, "the refused delete must not have happened"


def test_scheduler_function_creates_scheduled_runs(api):
    """No server loop exists in this shape: runs of a deployment with a
    schedule appear only because the gateway's ticker invokes the scheduler
    function (every 2 s here, every minute in the stack)."""
    flow = api.post("/flows/", json={"name": "lambda-ticked"}).json()
    dep = api.post("/deployments/", json={"name": "every-ten-minutes", "flow_id": flow["id"],
                                          "schedule": {"interval": 600}, "is_schedule_active": True})
    assert dep.status_code in (200, 201), dep.text
    dep_id = dep.json()["id"]
    query = {"deployments": {"id": {"any_": [dep_id]}}}
    runs = wait_for(lambda: api.post("/flow_runs/filter", json=query).json(), 30, "runs scheduled by a tick")
    assert all(r["auto_scheduled"] and r["state_type"] == "SCHEDULED" for r in runs), runs
    assert len({r["expected_start_time"] for r in runs}) == len(runs)
    # Later ticks never duplicate a run (deterministic identity per slot).
    count = len(runs)
    time.sleep(5)  # two or more further ticks at 2 s
    again = api.post("/flow_runs/filter", json=query).json()
    assert len({r["expected_start_time"] for r in again}) == len(again) >= count


def s3_client():
    """moto's S3, with the credentials the functions use (botocore ships with
    the compat venv's s3fs; moto refuses unsigned object reads)."""
    import botocore.session
    return botocore.session.get_session().create_client(
        "s3", endpoint_url=S3, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


def s3_keys(s3):
    return {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET) for o in page.get("Contents", [])}


def test_large_parameters_from_the_stock_client_land_in_s3(run_flow, api):
    """DynamoDB items stop at 400 KB; the store moves items past 300 KiB to
    ORRERY_RESULTS_URL (the stack's bucket) and reads them back."""
    assert S3 and BUCKET
    s3 = s3_client()
    before = s3_keys(s3)
    _, out = run_flow("""
        import json
        from prefect import flow

        @flow(name="lambda-big-params")
        def big(blob: str, n: int = 1):
            return len(blob) * n

        state = big("p" * 600_000, 2, return_state=True)
        print(json.dumps({"id": str(state.state_details.flow_run_id), "result": state.result()}))
    """)
    assert out["result"] == 1_200_000
    run = flow_run(api, out["id"])
    assert run["state_type"] == "COMPLETED"
    assert run["parameters"] == {"blob": "p" * 600_000, "n": 2}
    new = s3_keys(s3) - before
    assert new, f"no new object in s3://{BUCKET} (had {sorted(before)[:5]})"
    # The offloaded bytes are the run's: the parameters appear in an object.
    assert all(k.startswith("results/payloads/flow_run/" + out["id"]) for k in new), new
    bodies = [s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in sorted(new)]
    assert any(b"p" * 600_000 in b for b in bodies), [len(b) for b in bodies]


def test_body_limit_is_the_gateways(server):
    with bare(server, API_KEY or None) as c:
        r = c.post("/flows/", content=b"{" + b" " * (10 * 1024 * 1024) + b"}",
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 413, r.text[:200]
        assert r.json() == {"message": "Request Entity Too Large"}
        assert r.headers.get("apigw-requestid"), r.headers
        # A 1 MB body still reaches the function, which answers it.
        r = c.post("/flows/", content=b'{"name": "lambda-padded"' + b" " * (1024 * 1024) + b"}",
                   headers={"Content-Type": "application/json"})
        assert r.status_code in (200, 201), r.text[:200]
        assert r.json()["name"] == "lambda-padded"
