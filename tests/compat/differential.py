"""The machinery of the differential test (test_differential.py): start the
reference Prefect 2.7.12 server and Orrery side by side, record one request
sequence against each, and compare the two recordings.

What is compared, per request (matched by its label):
  - the status code and whether the body is JSON;
  - the set of keys of every object, recursively, and the JSON type of every
    value (int, float, str, bool, null, list, dict) — never normalized;
  - the values, after normalization: ids a step registered become their
    name ("<flow>"), other UUIDs "<uuid>", timestamps "<datetime>", and a few
    keys whose values are clock readings (durations, delays) "<duration>".
Differences are Diff records; test_differential.py lists the expected ones."""
import atexit
import fnmatch
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENV_BIN = Path(sys.executable).parent

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# ISO 8601 date-times as both servers write them (with or without fraction and zone).
DATETIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
# Keys whose values are readings of the clock at request time, not data: the
# two servers read their clocks at different instants.
CLOCK_KEYS = {"total_run_time", "estimated_run_time", "estimated_start_time_delta",
              "delay_seconds", "lateness", "duration", "sum_estimated_run_time",
              "sum_estimated_lateness"}


# ---------------------------------------------------------------- servers

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass  # the whole group has exited already


class Server:
    """One server process in a session of its own (uvicorn runs as a child
    of `prefect orion start` and must stop with it)."""

    def __init__(self, kind, cmd, env, tmp, port):
        self.kind = kind
        self.url = f"http://127.0.0.1:{port}/api"
        self.log_path = tmp / f"{kind}.log"
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.own_tmp = None  # a temp dir to remove on stop

    def wait_healthy(self, timeout=90):
        deadline = time.time() + timeout
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{self.kind} server did not become healthy:\n{self.log()}")
            time.sleep(0.1)

    def log(self):
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def stop(self):
        """Stops the whole process group. The reference server is killed
        outright: its uvicorn child ignores SIGTERM until its (slow) startup
        ends, and its throwaway database needs no clean shutdown. Orrery
        gets SIGTERM first, so a shutdown panic shows in its log."""
        if self._log.closed:
            return  # stopped already
        if self.kind == "orrery":
            _signal_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(self.proc, signal.SIGKILL)
        self.proc.wait()
        deadline = time.time() + 10  # (killed children are reaped by init)
        while _group_alive(self.proc) and time.time() < deadline:
            time.sleep(0.05)
        self._log.close()
        if self.own_tmp is not None:
            shutil.rmtree(self.own_tmp, ignore_errors=True)


def _group_alive(proc):
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    return True


def start_reference(tmp):
    """`prefect orion start` from the compat venv with a fresh home and
    database. The scheduler and late-runs services are off so nothing but
    the request sequence changes the database while it runs."""
    port = _free_port()
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(tmp / "prefect-home"),
        PREFECT_ORION_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp}/prefect.db",
        PREFECT_ORION_ANALYTICS_ENABLED="false",
        PREFECT_ORION_SERVICES_SCHEDULER_ENABLED="false",
        PREFECT_ORION_SERVICES_LATE_RUNS_ENABLED="false",
        PREFECT_ORION_UI_ENABLED="false",
        PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
    )
    env.pop("PREFECT_API_URL", None)
    cmd = [str(VENV_BIN / "prefect"), "orion", "start", "--host", "127.0.0.1", "--port", str(port)]
    return Server("prefect", cmd, env, tmp, port)


_early = None  # the reference server prestart() began booting


def prestart():
    """Begins booting the reference server while other tests run (conftest
    calls it when the differential test is selected): it takes 15-60 s."""
    global _early
    if _early is not None or os.environ.get("ORRERY_COMPAT_API_URL"):
        return
    srv = start_reference(Path(tempfile.mkdtemp(prefix="orrery-diff-ref-")))
    srv.own_tmp = srv.log_path.parent
    _early = srv
    atexit.register(_discard_early)


def take_reference(tmp):
    """The prestarted reference server (the caller stops it), or a new one."""
    global _early
    srv, _early = _early, None
    return srv if srv is not None else start_reference(tmp)


def _discard_early():
    if _early is not None:
        _early.stop()


def start_orrery(tmp, binary):
    """`orrery server start` with a fresh SQLite database, or the backend
    ORRERY_COMPAT_DATABASE_URL names (as conftest does)."""
    port = _free_port()
    db_url = os.environ.get("ORRERY_COMPAT_DATABASE_URL", f"sqlite:///{tmp}/orrery.db")
    db_url = db_url.replace("{unique}", f"orrery-diff-{os.getpid()}-{port}")
    env = dict(os.environ)
    env.update(
        ORRERY_DATABASE_URL=db_url,
        ORRERY_HOME=str(tmp / "orrery-home"),
        ORRERY_RESULTS_URL=f"file://{tmp}/results",
    )
    cmd = [binary, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    return Server("orrery", cmd, env, tmp, port)


# ---------------------------------------------------------------- recording

@dataclass
class Record:
    label: str
    method: str
    path: str
    status: int
    is_json: bool
    body: object
    compare_values: bool


class ScenarioError(Exception):
    """A step could not go on (e.g. a create failed, so there is no id)."""


class Recorder:
    """Sends the scenario's requests to one server and keeps the responses.
    Ids a step registers (`name=`) are replaced by that name in every later
    comparison, so references between objects are compared, not just shapes."""

    def __init__(self, client):
        self.client = client
        self.records = []
        self.names = {}  # id (or generated name) -> "<name>"
        self.labels = set()
        self._last_status = 0

    def call(self, label, method, path, json_body=None, params=None, name=None,
             values=True, raw=None, generated_name=False, order_by=None):
        """One request. `name` registers the response's "id" under that name;
        `generated_name` registers the response's server-made "name" too;
        `values=False` compares keys and types only (the values legitimately
        differ, e.g. lists holding built-in objects); `raw` sends bytes;
        `order_by` sorts a list answer by that key of its items (for routes
        whose order 2.7.12 leaves undefined)."""
        if label in self.labels:
            raise ValueError(f"duplicate label {label}")
        self.labels.add(label)
        kwargs = {"params": params}
        if raw is not None:
            kwargs["content"] = raw
            kwargs["headers"] = {"Content-Type": "application/json"}
        elif json_body is not None:
            kwargs["json"] = json_body
        try:
            r = self.client.request(method, path, **kwargs)
        except (httpx.WriteError, httpx.ReadError, httpx.RemoteProtocolError):
            # 2.7.12 drops a kept-alive connection after a 500; the next
            # request on it was never read, so it is sent once more on a new
            # one. (Only then: any other failure is the server's.)
            if self._last_status < 500:
                raise
            r = self.client.request(method, path, **kwargs)
        self._last_status = r.status_code
        is_json = r.headers.get("content-type", "").startswith("application/json")
        body = r.json() if is_json and r.content else (r.text or None)
        if order_by and isinstance(body, list):
            body = sorted(body, key=lambda item: str(item.get(order_by)) if isinstance(item, dict) else "")
        self.records.append(Record(label, method, path, r.status_code, is_json, body, values))
        if name is not None:
            if not (isinstance(body, dict) and isinstance(body.get("id"), str)):
                raise ScenarioError(f"{label}: {r.status_code} {r.text[:300]}")
            self.names[body["id"].lower()] = f"<{name}>"
            if generated_name:
                self.names[body["name"]] = f"<{name}.name>"
        return body

    def note(self, label, value):
        """Records a value the scenario derived from earlier answers (e.g.
        whether `updated` moved), compared like a response body."""
        if label in self.labels:
            raise ValueError(f"duplicate label {label}")
        self.labels.add(label)
        self.records.append(Record(label, "NOTE", "-", 0, True, value, True))

    def settle(self, path, ready, timeout=10):
        """Waits, unrecorded, until GET path answers something ready(body)
        accepts: 2.7.12 does some writes in a background task after it has
        answered (e.g. a work queue's last_polled)."""
        deadline = time.time() + timeout
        while True:
            r = self.client.get(path)
            if r.status_code == 200 and ready(r.json()):
                return
            if time.time() > deadline:
                raise ScenarioError(f"{path} did not settle: {r.status_code} {r.text[:300]}")
            time.sleep(0.05)

    def get(self, label, path, **kw):
        return self.call(label, "GET", path, **kw)

    def post(self, label, path, body=None, **kw):
        return self.call(label, "POST", path, json_body=body, **kw)

    def patch(self, label, path, body=None, **kw):
        return self.call(label, "PATCH", path, json_body=body, **kw)

    def put(self, label, path, body=None, **kw):
        return self.call(label, "PUT", path, json_body=body, **kw)

    def delete(self, label, path, **kw):
        return self.call(label, "DELETE", path, **kw)


def run_scenario(scenario, url, headers):
    """Runs scenario(recorder) against url; returns (recorder, error text or None)."""
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
        rec = Recorder(client)
        try:
            scenario(rec)
        except Exception as e:  # noqa: BLE001 - reported as a difference
            return rec, f"{type(e).__name__}: {e}"
        return rec, None


# ---------------------------------------------------------------- comparing

@dataclass(frozen=True)
class Diff:
    label: str
    path: str  # "$", "$.state.type", "$[].tags" (list items share "[]")
    kind: str  # status | json | missing-in-orrery | only-in-orrery | type | value | length | step
    reference: str
    orrery: str

    def __str__(self):
        return f"{self.label} {self.path} {self.kind}: 2.7.12={self.reference} orrery={self.orrery}"


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list):
        return "list"
    return "dict"


def normalize(value, names, key=None):
    """A leaf value as compared: ids by name, timestamps and clock readings
    masked. Strings are searched for UUIDs (generated names embed them)."""
    if key in CLOCK_KEYS and isinstance(value, (int, float)):
        return "<duration>"
    if isinstance(value, str):
        if DATETIME_RE.match(value):
            return "<datetime>"
        if value in names:
            return names[value]
        return UUID_RE.sub(lambda m: names.get(m.group(0).lower(), "<uuid>"), value)
    return value


def diff_values(label, ref, orr, ref_names, orr_names, values, path="$", out=None):
    """Appends the differences between two JSON values to out."""
    if out is None:
        out = []
    tr, to = json_type(ref), json_type(orr)
    if tr != to:
        out.append(Diff(label, path, "type", tr, to))
        return out
    if tr == "dict":
        for k in sorted(set(ref) | set(orr)):
            p = f"{path}.{k}"
            if k not in orr:
                out.append(Diff(label, p, "missing-in-orrery", _short(ref[k]), "-"))
            elif k not in ref:
                out.append(Diff(label, p, "only-in-orrery", "-", _short(orr[k])))
            else:
                diff_values(label, ref[k], orr[k], ref_names, orr_names, values, p, out)
    elif tr == "list" and not values:
        # Without values the lists may hold different objects (e.g. each
        # server's built-in block types): compare what all items have in
        # common, the keys and the non-null types at each path.
        a, b = _item_shapes(ref, path + "[]"), _item_shapes(orr, path + "[]")
        for p in sorted(set(a) | set(b)):
            if p not in b:
                out.append(Diff(label, p, "missing-in-orrery", "/".join(sorted(a[p])), "-"))
            elif p not in a:
                out.append(Diff(label, p, "only-in-orrery", "-", "/".join(sorted(b[p]))))
            else:
                ta, tb = a[p] - {"null"}, b[p] - {"null"}
                if ta and tb and ta != tb:
                    out.append(Diff(label, p, "type", "/".join(sorted(ta)), "/".join(sorted(tb))))
    elif tr == "list":
        if path.endswith(".tags") and all(isinstance(t, str) for t in ref + orr):
            # Tags are a set: 2.7.12 builds some (a deployment's run's) from
            # a Python set, in no fixed order.
            ref, orr = sorted(ref), sorted(orr)
        if values and len(ref) != len(orr):
            out.append(Diff(label, path, "length", str(len(ref)), str(len(orr))))
        for a, b in zip(ref, orr):
            diff_values(label, a, b, ref_names, orr_names, values, path + "[]", out)
    elif values:
        key = path.rsplit(".", 1)[-1]
        a, b = normalize(ref, ref_names, key), normalize(orr, orr_names, key)
        if a != b:
            out.append(Diff(label, path, "value", _short(a), _short(b)))
    return out


def _item_shapes(items, path, out=None):
    """{path: set of JSON types} over all items and everything inside them."""
    if out is None:
        out = {}
    for v in items:
        t = json_type(v)
        out.setdefault(path, set()).add(t)
        if t == "dict":
            for k, x in v.items():
                _item_shapes([x], f"{path}.{k}", out)
        elif t == "list":
            _item_shapes(v, path + "[]", out)
    return out


def _short(v, limit=120):
    s = json.dumps(v, sort_keys=True) if not isinstance(v, str) else v
    return s if len(s) <= limit else s[:limit] + "..."


def compare(ref, orr, ref_error, orr_error):
    """All differences between the two recordings, deduplicated."""
    diffs = []
    by_label = {r.label: r for r in orr.records}
    for a in ref.records:
        b = by_label.get(a.label)
        if b is None:
            continue  # reported below through the step errors
        if a.status != b.status:
            diffs.append(Diff(a.label, "$", "status", str(a.status), str(b.status)))
        if a.is_json != b.is_json:
            diffs.append(Diff(a.label, "$", "json", str(a.is_json), str(b.is_json)))
            continue
        if not a.is_json:
            continue
        diffs.extend(diff_values(a.label, a.body, b.body, ref.names, orr.names,
                                 a.compare_values and b.compare_values))
    if ref_error or orr_error or len(ref.records) != len(orr.records):
        diffs.append(Diff("<scenario>", "$", "step", ref_error or f"{len(ref.records)} steps",
                          orr_error or f"{len(orr.records)} steps"))
    seen, unique = set(), []
    for d in diffs:
        if d not in seen:
            seen.add(d)
            unique.append(d)
    return unique


@dataclass
class Expected:
    """A difference we know of. label, path and kind are fnmatch patterns
    (a "[]" in path is literal); reason says why it is allowed. A reason starting "pending: <who>"
    marks a difference someone is fixing: the entry goes when the fix lands.
    An entry that matches nothing fails the test (the list must not rot)
    unless it is pending."""
    label: str
    path: str
    kind: str
    reason: str
    hits: list = field(default_factory=list, compare=False, repr=False)

    def matches(self, d):
        # "[]" in a path is literal (list items), not an fnmatch class.
        path = self.path.replace("[", "[[]")
        return (fnmatch.fnmatchcase(d.kind, self.kind) and fnmatch.fnmatchcase(d.label, self.label)
                and fnmatch.fnmatchcase(d.path, path))

    @property
    def pending(self):
        return self.reason.startswith("pending:")

    @property
    def may_be_absent(self):
        return self.pending


def triage(diffs, expected):
    """Splits diffs into (unexpected, stale expected entries)."""
    for e in expected:
        e.hits.clear()
    unexpected = []
    for d in diffs:
        matched = [e for e in expected if e.matches(d)]
        for e in matched:
            e.hits.append(d)
        if not matched:
            unexpected.append(d)
    stale = [e for e in expected if not e.hits]
    return unexpected, stale
