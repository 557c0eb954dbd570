"""The remote section of `make bench`: mlrs against mlflow 3.18's REST client (sync and async),
both logging to the same local `mlflow server` (SQLite backend) in the same run.

    python bench/remote.py [--points 100000] [--json PATH]

Rows: `log_metric` per call (the enqueue); N points until the server has them all, as a ratio
to the floor (the same server fed maximum-size `runs/log-batch` requests back to back over one
keep-alive connection by the simplest client, `http.client`); a sweep of runs; `search_runs`;
`get_metric_history` of N points. mlflow's synchronous client costs a request per call, so it
logs fewer points and its totals are per point.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from _remote import mlflow_server  # noqa: E402


def _floor(url: str, run_id: str, points: int) -> float:
    """Seconds for `points` metric points sent as 1000-point log-batch requests back to back."""
    host = url.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=120)
    started = time.perf_counter()
    for first in range(0, points, 1000):
        body = json.dumps(
            {
                "run_id": run_id,
                "metrics": [
                    {"key": "floor", "value": float(i), "timestamp": 1, "step": i}
                    for i in range(first, min(first + 1000, points))
                ],
            }
        )
        connection.request(
            "POST", "/api/2.0/mlflow/runs/log-batch", body, {"Content-Type": "application/json"}
        )
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200, answer.status
    connection.close()
    return time.perf_counter() - started


def _sweep(m: Any, runs: int) -> float:
    started = time.perf_counter()
    for r in range(runs):
        with m.start_run(run_name=f"sweep-{r}"):
            m.log_params({f"p{i}": i for i in range(10)})
            for step in range(100):
                for k in range(5):
                    m.log_metric(f"m{k}", step * 0.1 + k, step=step)
            m.set_tags({"a": "1", "b": "2", "c": "3"})
    if hasattr(m, "flush"):
        m.flush()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--json")
    args = parser.parse_args()
    n = args.points
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLRS_SPOOL_DIR"] = str(Path(tmp) / "spool")
        os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
        with mlflow_server(Path(tmp)) as url:
            import mlflow

            import mlrs

            mlrs.set_tracking_uri(url)
            mlflow.set_tracking_uri(url)
            mlrs.set_experiment("bench-mlrs")
            results["points"] = n
            with mlrs.start_run() as run:
                mlrs.log_metric("warm", 0.0)
                started = time.perf_counter()
                for i in range(n):
                    mlrs.log_metric("m", float(i), step=i)
                enqueued = time.perf_counter() - started
                mlrs.flush()
                shipped = time.perf_counter() - started
            client = mlrs.MlflowClient()
            assert len(client.get_metric_history(run.info.run_id, "m")) == n
            results["mlrs_log_metric_us"] = enqueued / n * 1e6
            results["mlrs_points_s"] = shipped
            floor_run = client.create_run(run.info.experiment_id)
            results["floor_s"] = _floor(url, floor_run.info.run_id, n)

            mlflow.set_experiment("bench-mlflow")
            sync_n = max(n // 200, 50)
            with mlflow.start_run():
                started = time.perf_counter()
                for i in range(sync_n):
                    mlflow.log_metric("m", float(i), step=i)
                results["mlflow_sync_log_metric_us"] = (
                    (time.perf_counter() - started) / sync_n * 1e6
                )
            # mlflow's async queue ships ~100 points a second here: a sample, timed per point.
            async_n = min(max(n // 50, 500), 2000)
            with mlflow.start_run():
                started = time.perf_counter()
                for i in range(async_n):
                    mlflow.log_metric("m", float(i), step=i, synchronous=False)
                results["mlflow_async_log_metric_us"] = (
                    (time.perf_counter() - started) / async_n * 1e6
                )
                mlflow.flush_async_logging()
                results["mlflow_async_points_per_s"] = async_n / (time.perf_counter() - started)

            mlrs.set_experiment("bench-sweep-mlrs")
            results["mlrs_sweep_100_s"] = _sweep(mlrs, 100)
            mlflow.set_experiment("bench-sweep-mlflow")
            results["mlflow_sweep_per_run_s"] = _sweep(mlflow, 3) / 3

            experiment = mlrs.get_experiment_by_name("bench-sweep-mlrs")
            assert experiment is not None
            started = time.perf_counter()
            found = mlrs.search_runs([experiment.experiment_id], "metrics.m0 > 1")
            results["mlrs_search_runs_s"] = time.perf_counter() - started
            started = time.perf_counter()
            found_mlflow = mlflow.search_runs([experiment.experiment_id], "metrics.m0 > 1")
            results["mlflow_search_runs_s"] = time.perf_counter() - started
            assert len(found) == len(found_mlflow) == 100

            started = time.perf_counter()
            history = mlrs.MlflowClient().get_metric_history(run.info.run_id, "m")
            results["mlrs_history_s"] = time.perf_counter() - started
            started = time.perf_counter()
            arrays = mlrs.MlflowClient().get_metric_history_arrays(run.info.run_id, "m")
            results["mlrs_history_numpy_s"] = time.perf_counter() - started
            started = time.perf_counter()
            history_mlflow = mlflow.MlflowClient().get_metric_history(run.info.run_id, "m")
            results["mlflow_history_s"] = time.perf_counter() - started
            assert len(history) == len(history_mlflow) == len(arrays[0]) == n
            # Close before the server and the spool's directory go away.
            from mlrs import _runtime

            _runtime.get_store(url).close()

    r = results
    mlflow_call = (
        f"sync {r['mlflow_sync_log_metric_us']:.0f} µs / "
        f"async {r['mlflow_async_log_metric_us']:.0f} µs"
    )
    mlrs_points = (
        f"{r['mlrs_points_s']:.2f} s ({r['mlrs_points_s'] / r['floor_s']:.2f}x the floor, "
        f"{r['floor_s']:.2f} s)"
    )
    async_rate = r["mlflow_async_points_per_s"]
    mlflow_points = f"async: {n / async_rate:.1f} s at {async_rate:.0f} points/s"
    mlflow_sweep = f"{r['mlflow_sweep_per_run_s'] * 100:.0f} s (extrapolated from 3 runs)"
    mlrs_history = f"{r['mlrs_history_s']:.2f} s (numpy {r['mlrs_history_numpy_s']:.2f} s)"
    rows = [
        ("log_metric per call", f"{r['mlrs_log_metric_us']:.2f} µs", mlflow_call, "<= 2 µs"),
        (f"{n:,} points until the server has them", mlrs_points, mlflow_points, "<= 1.3x floor"),
        ("sweep of 100 runs", f"{r['mlrs_sweep_100_s']:.2f} s", mlflow_sweep, ""),
        (
            "search_runs, 100 runs, metric filter",
            f"{r['mlrs_search_runs_s'] * 1e3:.0f} ms",
            f"{r['mlflow_search_runs_s'] * 1e3:.0f} ms",
            "",
        ),
        (
            f"get_metric_history of {n:,} points",
            mlrs_history,
            f"{r['mlflow_history_s']:.2f} s",
            "",
        ),
    ]
    print("| remote workload | mlrs | mlflow 3.18 REST client | budget |")
    print("|---|--:|--:|--|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
