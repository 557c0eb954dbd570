"""The hot paths of issue 14, each beside mlflow 3.18 (`make bench` runs it after run.py).

Every measure runs in a fresh process and a fresh directory, `REPEATS` times, and is reported as
best / median / worst, because the machine may be shared: the spread says how much to trust a
line. mlflow runs smaller counts (it commits every call); the comparison is per operation.

    python bench/hot_paths.py [--repeats N] [--only log_metric,log_metrics,log_batch,sweep,arrays]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

# One measurement, as the child prints it: seconds per unit (call, batch, run).
CHILD = r"""
import json, os, sys, time
lib, what, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
mlflow = __import__(lib)
from importlib import import_module
Metric = import_module(lib + ".entities").Metric
if what == "log_metric":
    with mlflow.start_run():
        log = mlflow.log_metric
        start = time.perf_counter()
        for i in range(n):
            log("loss", 0.5, step=i)
        took = time.perf_counter() - start
elif what == "log_metrics":
    values = {f"k{j}": 0.1 * j for j in range(10)}
    with mlflow.start_run():
        log = mlflow.log_metrics
        start = time.perf_counter()
        for i in range(n):
            log(values, step=i)
        took = time.perf_counter() - start
elif what == "log_batch":
    client = mlflow.MlflowClient()
    run_id = client.create_run("0").info.run_id
    batches = [[Metric(f"m{j % 20}", 0.5, 1700000000000 + b, b * 1000 + j) for j in range(1000)]
               for b in range(n)]
    start = time.perf_counter()
    for batch in batches:
        client.log_batch(run_id, metrics=batch)
    took = time.perf_counter() - start
elif what == "sweep":
    def one(k):
        with mlflow.start_run(run_name=f"r{k}"):
            mlflow.log_params({f"p{j}": j for j in range(10)})
            mlflow.set_tags({f"t{j}": j for j in range(3)})
            for s in range(100):
                mlflow.log_metrics({f"m{j}": s * 0.1 for j in range(5)}, step=s)
    one(-1)
    start = time.perf_counter()
    for k in range(n):
        one(k)
    took = time.perf_counter() - start
flush = getattr(mlflow, "flush", None)
if flush is not None:
    flush()
print(json.dumps(took / n))
"""

# (unit, counts for mlrs and mlflow, budget in seconds per unit)
MEASURES = {
    "log_metric": ("fluent `log_metric`, first 10,000 calls, per call", 10_000, 200, 0.5e-6),
    "log_metrics": ("`log_metrics` of 10 keys, per call", 10_000, 100, 3e-6),
    "log_batch": ("`MlflowClient.log_batch` of 1,000 metrics, per call", 20, 3, 150e-6),
    "sweep": ("one sweep run (start, 10 params, 3 tags, 5 metrics x 100 steps, end)", 200, 3, 1e-3),
}


def measure(lib: str, what: str, n: int) -> float:
    with tempfile.TemporaryDirectory(prefix=f"hot-{lib}-") as cwd:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLRS_"))}
        env.update(MLFLOW_DISABLE_TELEMETRY="true", MLRS_CAPTURE_ENV="0")
        done = subprocess.run(
            [sys.executable, "-c", CHILD, lib, what, str(n)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(json.loads(done.stdout.strip().splitlines()[-1]))


# The read of issue 14: `get_metric_history_arrays` of one metric of POINTS points, against the
# floor of SQLite stepping the same rows, in the same order, in C (an aggregate over the query
# mlrs runs, through the stdlib's sqlite3 in a process of its own, so no two SQLite copies ever
# share a process). mlflow has no such call; its list read is in run.py's table.
POINTS = 1_000_000
ARRAYS_BUDGET = 1.2  # x the floor

FILL = r"""
import sys, mlrs
from mlrs.entities import Metric
n = int(sys.argv[1])
client = mlrs.MlflowClient()
run_id = client.create_run("0").info.run_id
for start in range(0, n, 1000):
    batch = [Metric("loss", 0.5 + i % 7, 1700000000000 + i, i) for i in range(start, start + 1000)]
    client.log_batch(run_id, metrics=batch)
mlrs.flush()
print(run_id)
"""

READ = r"""
import statistics, sys, time
lib, run_id, n, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
times = []
if lib == "floor":
    import sqlite3
    conn = sqlite3.connect("mlflow.db")
    sql = ("SELECT count(*), total(timestamp), total(step), total(value), total(is_nan) FROM "
           "(SELECT timestamp, step, value, is_nan FROM metrics WHERE run_uuid = ? AND key = ? "
           "ORDER BY timestamp, step)")
    for _ in range(repeats):
        start = time.perf_counter()
        count = conn.execute(sql, (run_id, "loss")).fetchone()[0]
        times.append(time.perf_counter() - start)
else:
    import mlrs
    client = mlrs.MlflowClient()
    for _ in range(repeats):
        start = time.perf_counter()
        count = len(client.get_metric_history_arrays(run_id, "loss")[0])
        times.append(time.perf_counter() - start)
assert count == n, (count, n)
print(statistics.median(times))
"""


def measure_arrays(repeats: int) -> None:
    """The numpy read of a 1M-point history beside the SQLite floor, medians of `repeats` reads
    in one process each (the first read of a process included)."""
    with tempfile.TemporaryDirectory(prefix="hot-arrays-") as cwd:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLRS_"))}
        env.update(MLFLOW_DISABLE_TELEMETRY="true", MLRS_CAPTURE_ENV="0")

        def child(code: str, *args: object) -> str:
            argv = [sys.executable, "-c", code, *map(str, args)]
            done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(done.stderr)
            return done.stdout.strip().splitlines()[-1]

        run_id = child(FILL, POINTS)
        mine = float(child(READ, "mlrs", run_id, POINTS, repeats))
        floor = float(child(READ, "floor", run_id, POINTS, repeats))
    ratio = mine / floor
    verdict = "met" if ratio <= ARRAYS_BUDGET else "**missed**"
    print(
        f"| `get_metric_history_arrays`, {POINTS:,} points, median of {repeats} | {show(mine)} "
        f"| SQLite floor {show(floor)} | {ratio:.2f}x the floor "
        f"| {ARRAYS_BUDGET}x the floor ({verdict}) |"
    )


def show(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.2f} µs"
    return f"{seconds * 1e3:,.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default=",".join([*MEASURES, "arrays"]))
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    print("| measure | mlrs best / median / worst | mlflow median | mlflow / mlrs | budget |")
    print("|---|--:|--:|--:|--:|")
    for what in args.only.split(","):
        if what == "arrays":
            measure_arrays(args.repeats)
            continue
        label, n_mlrs, n_mlflow, budget = MEASURES[what]
        mine = sorted(measure("mlrs", what, n_mlrs) for _ in range(args.repeats))
        theirs = statistics.median(measure("mlflow", what, n_mlflow) for _ in range(1))
        median = statistics.median(mine)
        verdict = "met" if median <= budget else "**missed**"
        spread = f"{show(mine[0])} / {show(median)} / {show(mine[-1])}"
        ratio = f"{theirs / median:,.0f}x"
        print(f"| {label} | {spread} | {show(theirs)} | {ratio} | {show(budget)} ({verdict}) |")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
