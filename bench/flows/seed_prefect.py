"""Seed a Prefect 2.7.12 server's SQLite database with flow runs for the
scale benchmark, with the same mix as bench/cmd/orrery-seed: 70% Completed,
10% Failed, 5% Cancelled, 5% Crashed, 5% Running, 5% Scheduled (in the
future); 100 flows; tags; expected start times over the last 30 days.

    python bench/flows/seed_prefect.py DB_FILE N

Run it on a database the server has created (its migrations applied) while
the server is stopped. Rows are written in the server's own column formats
(naive UTC datetimes 'YYYY-MM-DD HH:MM:SS.ffffff', JSON text), each run with
its current state in flow_run_state, as the server itself writes them.
"""
import json
import random
import sqlite3
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

FMT = "%Y-%m-%d %H:%M:%S.%f"
TAGS = [["env:prod"], ["env:prod", "team:data"], ["env:dev"], []]
NAMES = {"COMPLETED": "Completed", "FAILED": "Failed", "CANCELLED": "Cancelled", "CRASHED": "Crashed",
         "RUNNING": "Running", "SCHEDULED": "Scheduled"}
POLICY = json.dumps({"max_retries": 0, "retry_delay_seconds": 0.0, "retries": 0, "retry_delay": 0,
                     "pause_keys": [], "resuming": False})


def details(run_id, scheduled=None):
    return json.dumps({"flow_run_id": run_id, "task_run_id": None, "child_flow_run_id": None,
                       "scheduled_time": scheduled, "cache_key": None, "cache_expiration": None,
                       "untrackable_result": False, "pause_timeout": None, "pause_reschedule": False,
                       "pause_key": None, "refresh_cache": None})


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(1)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-512000")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    flows = []
    for i in range(100):
        fid = str(uuid.uuid4())
        db.execute("INSERT INTO flow (id, created, updated, name, tags) VALUES (?, ?, ?, ?, '[]')",
                   (fid, now.strftime(FMT), now.strftime(FMT), "seed-flow-%03d" % i))
        flows.append(fid)
    span = timedelta(days=30)
    t0 = time.time()
    runs, states = [], []

    def flush():
        db.executemany("INSERT INTO flow_run_state (id, created, updated, type, timestamp, name, state_details, flow_run_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", states)
        db.executemany("INSERT INTO flow_run (id, created, updated, name, state_type, run_count, expected_start_time, "
                       "next_scheduled_start_time, start_time, end_time, total_run_time, flow_version, parameters, "
                       "context, empirical_policy, tags, auto_scheduled, flow_id, state_id, state_name, state_timestamp) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '1', '{}', '{}', ?, ?, 0, ?, ?, ?, ?)", runs)
        db.commit()
        runs.clear()
        states.clear()

    for i in range(n):
        at = now - span + span * ((i + rng.random()) / n)
        rid, sid = str(uuid.uuid4()), str(uuid.uuid4())
        p = rng.randrange(100)
        start = end = nxt = scheduled = None
        run_count, total = 0, "1970-01-01 00:00:00.000000"
        if p >= 95:
            typ = "SCHEDULED"
            sched = now + timedelta(days=30, seconds=rng.randrange(30 * 86400))
            nxt, scheduled, ts = sched.strftime(FMT), sched.isoformat() + "+00:00", at
            expected = sched
        else:
            expected = at
            start = at + timedelta(seconds=1)
            run_count = 1
            if p < 90:
                typ = "COMPLETED" if p < 70 else "FAILED" if p < 80 else "CANCELLED" if p < 85 else "CRASHED"
                dur = timedelta(seconds=rng.randrange(600))
                ts = end = start + dur
                total = (datetime(1970, 1, 1) + dur).strftime(FMT)
            else:
                typ, ts = "RUNNING", start
        states.append((sid, ts.strftime(FMT), ts.strftime(FMT), typ, ts.strftime(FMT), NAMES[typ], details(rid, scheduled), rid))
        runs.append((rid, at.strftime(FMT), ts.strftime(FMT), "seed-%08x" % rng.getrandbits(32), typ, run_count,
                     expected.strftime(FMT), nxt, start and start.strftime(FMT), end and end.strftime(FMT), total,
                     POLICY, json.dumps(TAGS[rng.randrange(4)]), flows[rng.randrange(100)], sid, NAMES[typ],
                     ts.strftime(FMT)))
        if len(runs) == 20000:
            flush()
    flush()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    el = time.time() - t0
    print("seeded %d Prefect flow runs in %.1f s (%.0f runs/s) into %s" % (n, el, n / el, path))


if __name__ == "__main__":
    main()
