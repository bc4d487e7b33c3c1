#!/usr/bin/env python3
"""e2e-deploy-check.py DEPLOYED.json ENDPOINT: runs the function code that
`cdk deploy` put in moto, with the environment moto holds for each function
(plus the emulator endpoint), under the Lambda Runtime Interface Emulator,
and checks the deployed shape: the api function starts (the secret key read
from SSM, the table found), /api/health answers without a key, a write route
answers 401 without a key and works with a key created in the deployed
table, and one scheduler tick succeeds. Prints each function's INIT time.

Needs .cache/bin/aws-lambda-rie (tests/lambda/install-rie.sh) and bin/orrery.
Standard library only.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"e2e-deploy-check: nothing listening on {port}")


def with_endpoint(url, endpoint):
    return url + ("&" if "?" in url else "?") + "endpoint=" + endpoint


def main():
    deployed, endpoint = sys.argv[1], sys.argv[2]
    d = json.load(open(deployed))
    aws = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1")}
    logs = tempfile.mkdtemp(prefix="orrery-e2e-check.")
    procs, urls = [], {}
    failures = []
    try:
        for name in ("api", "scheduler"):
            f = d["functions"][name]
            env = {"PATH": os.environ["PATH"], **f["environment"], **aws,
                   "AWS_LAMBDA_FUNCTION_NAME": f["name"],
                   "AWS_LAMBDA_FUNCTION_TIMEOUT": str(f["timeoutSeconds"]),
                   "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(f["memoryMB"])}
            # The deployed URLs name no endpoint (AWS); the stores' emulator settings need it.
            env["ORRERY_DATABASE_URL"] = with_endpoint(env["ORRERY_DATABASE_URL"], endpoint)
            env["ORRERY_RESULTS_URL"] = with_endpoint(env["ORRERY_RESULTS_URL"], endpoint)
            port, rport = free_port(), free_port()
            log = open(os.path.join(logs, name + ".log"), "w")
            procs.append(subprocess.Popen(
                [os.path.join(ROOT, ".cache/bin/aws-lambda-rie"),
                 "--runtime-interface-emulator-address", f"127.0.0.1:{port}",
                 "--runtime-api-address", f"127.0.0.1:{rport}",
                 os.path.join(f["codeDir"], "bootstrap")],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            wait_port(port)
            urls[name] = f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"

        def invoke(name, event):
            req = urllib.request.Request(urls[name], data=json.dumps(event).encode(), method="POST")
            return json.loads(urllib.request.urlopen(req, timeout=60).read() or b"null")

        def call(method, path, body=None, key=None):
            headers = {"content-type": "application/json"}
            if key:
                headers["authorization"] = "Bearer " + key
            event = {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
                     "headers": headers, "isBase64Encoded": False,
                     "body": None if body is None else json.dumps(body),
                     "requestContext": {"stage": "$default", "requestId": "e2e",
                                        "http": {"method": method, "path": path, "sourceIp": "127.0.0.1",
                                                 "protocol": "HTTP/1.1"}}}
            out = invoke("api", event)
            return out.get("statusCode"), out.get("body") or ""

        def expect(what, got, want):
            ok = got == want
            print(f"e2e-deploy-check: {'ok  ' if ok else 'FAIL'} {what}: {got}" + ("" if ok else f" (want {want})"))
            if not ok:
                failures.append(what)

        expect("GET /api/health without a key", call("GET", "/api/health")[0], 200)
        expect("POST /api/flows/filter without a key", call("POST", "/api/flows/filter", {})[0], 401)
        table_url = with_endpoint(f"dynamodb://{d['outputs']['TableName']}?region={aws['AWS_REGION']}", endpoint)
        out = subprocess.run([os.path.join(ROOT, "bin/orrery"), "api-key", "create", "--name", "e2e-deploy",
                              "--scope", "write", "--output", "json"],
                             env={**os.environ, **aws, "ORRERY_DATABASE_URL": table_url},
                             capture_output=True, text=True)
        if out.returncode != 0:
            failures.append("api-key create")
            print("e2e-deploy-check: FAIL api-key create:", out.stderr.strip()[-300:])
        else:
            key = json.loads(out.stdout)["key"]
            expect("POST /api/flows/ with a write key", call("POST", "/api/flows/", {"name": "e2e-deploy"}, key)[0], 201)
            status, body = call("POST", "/api/flows/filter", {}, key)
            expect("POST /api/flows/filter with a write key", status, 200)
            expect("the flow is listed", "e2e-deploy" in body, True)
        tick = invoke("scheduler", {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
        expect("scheduler tick", tick, None)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
    for name in ("api", "scheduler"):
        text = open(os.path.join(logs, name + ".log")).read()
        m = re.search(r"INIT REPORT\(durationMs: ([0-9.]+)\)", text)
        print(f"e2e-deploy-check: {name} INIT {m.group(1) if m else '?'} ms")
    if failures:
        raise SystemExit(f"e2e-deploy-check: {len(failures)} check(s) failed: {', '.join(failures)}; logs in {logs}")
    shutil.rmtree(logs)


if __name__ == "__main__":
    main()
