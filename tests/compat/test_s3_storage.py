"""Flow code and results in S3 with the stock 2.7.12 client: an S3-compatible
server on loopback (gofakes3, tests/compat/fakes3), the stock `S3` and
`RemoteFileSystem` blocks (fsspec + s3fs), `prefect deployment build -sb`,
`prefect deployment run` and the stock agent.

Pointing 2.7.12 at a non-AWS endpoint: the `S3` block has no endpoint field
and s3fs 2023.1.0 has no top-level `endpoint_url` (FSSPEC_S3_ENDPOINT_URL
reaches aiobotocore's session and fails), so the `S3` block gets it from an
fsspec config file ({"s3": {"client_kwargs": {"endpoint_url": ...}}} in
$FSSPEC_CONFIG_DIR); a `RemoteFileSystem` block carries it in its settings.
"""
import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from helpers import flow_run, flow_states, start_agent, stop_agent, task_runs, terminal, wait_for

REPO = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
KEY, SECRET = "orrery-test", "orrery-test-secret"  # gofakes3 checks no signatures

FLOW_SOURCE = '''
from prefect import flow, task, get_run_logger

@task(persist_result=True)
def double(x):
    return x * 2

@flow(name="compat-s3", persist_result=True, result_storage="{slug}", result_serializer="json")
def s3flow(x: int = 1):
    get_run_logger().info("running code pulled from {slug}")
    return {{"answer": double(x)}}
'''


@pytest.fixture(scope="module")
def fake_s3(tmp_path_factory):
    """Builds and starts tests/compat/fakes3 (or $FAKES3_BIN) on a free port."""
    tmp = tmp_path_factory.mktemp("fakes3")
    binary = os.environ.get("FAKES3_BIN")
    if not binary:
        binary = str(tmp / "fakes3")
        build = subprocess.run(["go", "build", "-o", binary, "./tests/compat/fakes3"], cwd=REPO,
                               capture_output=True, text=True, timeout=600)
        assert build.returncode == 0, build.stderr
    log = open(tmp / "fakes3.log", "w+")
    proc = subprocess.Popen([binary, "-port", "0"], stdout=subprocess.PIPE, stderr=log, text=True)
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"fakes3 printed {url!r}"
    yield url
    proc.terminate()
    proc.wait(timeout=15)


def s3_keys(url, bucket, prefix=""):
    r = httpx.get(f"{url}/{bucket}", params={"list-type": "2", "prefix": prefix})
    assert r.status_code == 200, r.text
    ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    return [k.text for k in ET.fromstring(r.content).findall("s3:Contents/s3:Key", ns)]


def s3_get(url, bucket, key):
    r = httpx.get(f"{url}/{bucket}/{key}")
    assert r.status_code == 200, f"s3://{bucket}/{key}: {r.status_code} {r.text}"
    return r.content


@pytest.mark.parametrize("kind", ["s3", "remote-file-system"])
def test_deployment_code_and_results_in_s3(kind, fake_s3, client_env, run_flow, api, tmp_path):
    bucket, block = f"orrery-{kind}", f"compat-{kind}"
    slug = f"{kind}/{block}"
    assert httpx.put(f"{fake_s3}/{bucket}").status_code == 200
    if kind == "s3":
        # The S3 block takes the endpoint from fsspec's config, in every process.
        conf = tmp_path / "fsspec"
        conf.mkdir()
        (conf / "s3.json").write_text(json.dumps({"s3": {"client_kwargs": {"endpoint_url": fake_s3}}}))
        client_env["FSSPEC_CONFIG_DIR"] = str(conf)
        save = f'''
            from prefect.filesystems import S3
            b = S3(bucket_path="{bucket}/code", aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")
        '''
    else:
        # RemoteFileSystem carries the endpoint itself: no environment needed.
        save = f'''
            from prefect.filesystems import RemoteFileSystem
            b = RemoteFileSystem(basepath="s3://{bucket}/code", settings={{
                "key": "{KEY}", "secret": "{SECRET}", "client_kwargs": {{"endpoint_url": "{fake_s3}"}}}})
        '''
    _, out = run_flow(save + '''
            import json
            print(json.dumps({"id": str(b.save("%s", overwrite=True))}))
    ''' % block)
    block_id = out["id"]
    assert api.get(f"/block_documents/{block_id}").json()["name"] == block

    # Build and apply with the stock CLI from a directory holding only the
    # flow: the CLI uploads that directory to the block.
    project = tmp_path / "project"
    project.mkdir()
    (project / "s3_flow.py").write_text(textwrap.dedent(FLOW_SOURCE.format(slug=slug)))
    queue, name = f"compat-{kind}-q", f"s3dep-{kind}"
    build = subprocess.run([str(VENV_BIN / "prefect"), "deployment", "build", "s3_flow.py:s3flow",
                            "-n", name, "-sb", slug, "-q", queue, "-a"],
                           env=client_env, cwd=project, capture_output=True, text=True, timeout=180)
    assert build.returncode == 0, build.stdout + build.stderr
    dep = api.get(f"/deployments/name/compat-s3/{name}").json()
    assert dep["storage_document_id"] == block_id and dep["work_queue_name"] == queue
    assert "code/s3_flow.py" in s3_keys(fake_s3, bucket, "code/")
    assert b"def s3flow" in s3_get(fake_s3, bucket, "code/s3_flow.py")
    (project / "s3_flow.py").unlink()  # the agent can only get the code from S3

    run = subprocess.run([str(VENV_BIN / "prefect"), "deployment", "run", f"compat-s3/{name}", "--param", "x=21"],
                         env=client_env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    (fr,) = api.post("/flow_runs/filter", json={"deployments": {"id": {"any_": [dep["id"]]}}}).json()
    agent_dir = tmp_path / "agent"
    agent_dir.mkdir()
    agent, log = start_agent("stock", queue, client_env, agent_dir)
    try:
        done = wait_for(lambda: terminal(api, fr["id"]), 120, "the S3-stored deployment's run")
    finally:
        output = stop_agent(agent, log)
    assert done["state_type"] == "COMPLETED", output
    assert [s["name"] for s in flow_states(api, done["id"])][-1] == "Completed"
    logs = api.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [done["id"]]}}}).json()
    assert any(l["message"] == f"running code pulled from {slug}" for l in logs), output

    # The flow's and the task's results were persisted to the block: the
    # states hold references, the bytes are in the fake bucket.
    from prefect.results import PersistedResultBlob
    from prefect.serializers import JSONSerializer

    def persisted(state):
        ref = state["data"]
        assert ref["type"] == "reference" and ref["storage_block_id"] == block_id, ref
        blob = PersistedResultBlob.parse_raw(s3_get(fake_s3, bucket, "code/" + ref["storage_key"]))
        assert isinstance(blob.serializer, JSONSerializer)
        return blob.serializer.loads(blob.data)

    assert persisted(done["state"]) == {"answer": 42}
    (tr,) = task_runs(api, done["id"])
    assert tr["state_type"] == "COMPLETED" and persisted(tr["state"]) == 42

    # The stock client reads the result back through the API and the block.
    _, out = run_flow(f'''
        import asyncio, json
        from prefect.client import get_client

        async def main():
            async with get_client() as client:
                run = await client.read_flow_run("{done['id']}")
                return await run.state.result(fetch=True)

        print(json.dumps({{"result": asyncio.run(main())}}))
    ''')
    assert out == {"result": {"answer": 42}}
