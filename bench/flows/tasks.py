"""Stock-client flows for the benchmark: run by the real Prefect 2.7.12 client
against whichever server PREFECT_API_URL points at.

    python bench/flows/tasks.py TASKS RUNS [--json FILE]

runs a flow with TASKS small tasks (called one after another, as most flows
do) RUNS times in this process and prints one JSON line with the wall time of
each flow run, measured around the flow call (imports and client start-up are
outside it). TASKS=0 is the baseline: a flow run with no tasks, i.e. what the
server costs per flow run; per-task overhead is (T(N) - T(0)) / N.
"""
import json
import os
import sys
import time

from prefect import flow, task


@task
def work(i: int) -> int:
    return i + 1


@flow(name="bench-tasks", persist_result=False)
def tasks_flow(n: int) -> int:
    total = 0
    for i in range(n):
        total += work(i)
    return total


def main() -> None:
    n, runs = int(sys.argv[1]), int(sys.argv[2])
    out = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--json" else None
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        total = tasks_flow(n)
        walls.append(time.perf_counter() - t0)
        assert total == n * (n + 1) // 2, total
    rec = {"tasks": n, "runs": runs, "wall_s": walls, "total_s": sum(walls),
           "api": os.environ.get("PREFECT_API_URL", "")}
    line = json.dumps(rec)
    print(line)
    if out:
        with open(out, "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
