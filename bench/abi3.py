"""abi3 or one wheel per Python version (`make bench-abi3`, also run by `make bench`).

Takes two wheels of the same commit built by `make wheel` (one with pyo3's `abi3-py310`, one
for this interpreter only), unpacks each with pip into a directory of its own, and measures what
crosses the Python/Rust boundary most often, in fresh processes whose PYTHONPATH puts that
wheel's `mlrs` first:

- `log_metric`'s enqueue: rounds of 10,000 calls (below the queue's capacity, so the writer
  never pushes back), flushed between rounds;
- `get_metric_history` of 1,000,000 points (one `Metric` per point) and its numpy path,
  `get_metric_history_arrays`, on one database filled once with plain SQL.

Each process reports the best of its rounds, as wall time and as the calling thread's CPU time
(`time.thread_time`: time spent descheduled by other jobs on the machine does not count). The
two builds alternate `--repeats` times so that load falls on both alike; the table gives the
median of the per-process results, their range, and the median of the paired ratios.

    python bench/abi3.py --per-version DIR --abi3 DIR [--repeats 15] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "bench" / "workloads.py"
ENQUEUE_CALLS = 10_000
ENQUEUE_ROUNDS = 10
HISTORY_POINTS = 1_000_000
HISTORY_ROUNDS = 3
# measure -> (worker, key, unit scale, unit)
MEASURES = {
    f"log_metric enqueue, per call (best of {ENQUEUE_ROUNDS} x {ENQUEUE_CALLS:,})": (
        "log",
        "enqueue",
        1e-6,
        "µs",
    ),
    f"get_metric_history, {HISTORY_POINTS:,} points": ("history", "history", 1e-3, "ms"),
    f"get_metric_history_arrays (numpy), {HISTORY_POINTS:,} points": (
        "history",
        "arrays",
        1e-3,
        "ms",
    ),
}
CLOCKS = {"wall": time.perf_counter, "thread CPU": time.thread_time}


# ---- inside a measured process -----------------------------------------------------------------


def best(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {clock: min(r[clock] for r in rounds) for clock in CLOCKS}


def timed(action: Any, per: int = 1) -> dict[str, float]:
    start = {clock: read() for clock, read in CLOCKS.items()}
    action()
    return {clock: (read() - start[clock]) / per for clock, read in CLOCKS.items()}


def worker_log(workdir: Path) -> dict[str, Any]:
    import mlrs

    mlrs.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    mlrs.start_run()
    log = mlrs.log_metric
    rounds = []
    for r in range(ENQUEUE_ROUNDS):
        first = r * ENQUEUE_CALLS

        def calls(first: int = first) -> None:
            for i in range(first, first + ENQUEUE_CALLS):
                log("loss", i * 0.5, step=i)

        rounds.append(timed(calls, ENQUEUE_CALLS))
        mlrs.flush()
    mlrs.end_run()
    return {"enqueue": best(rounds), "core": mlrs._core.__file__}


def worker_history(workdir: Path, run_id: str) -> dict[str, Any]:
    import mlrs

    mlrs.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    client = mlrs.MlflowClient()
    history, arrays = [], []
    for _ in range(HISTORY_ROUNDS):
        history.append(timed(lambda: client.get_metric_history(run_id, "m")))
        arrays.append(timed(lambda: client.get_metric_history_arrays(run_id, "m")))
    assert len(client.get_metric_history_arrays(run_id, "m").steps) == HISTORY_POINTS
    return {"history": best(history), "arrays": best(arrays), "core": mlrs._core.__file__}


# ---- the driver --------------------------------------------------------------------------------


def unpack(wheel_dir: Path, into: Path) -> Path:
    wheels = sorted(wheel_dir.glob("mlrs-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one mlrs wheel in {wheel_dir}, found {wheels}")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"),
            *("--no-deps", "--no-index", "--target", str(into), str(wheels[0])),
        ],
        check=True,
    )
    return wheels[0]


def environment(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["PYTHONPATH"] = str(site)
    return env


def run_worker(site: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", *args],
        env=environment(site),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    if not result.pop("core").startswith(str(site)):
        raise SystemExit(f"{site}: mlrs._core did not come from the wheel")
    return result


def run_workload(site: Path, name: str, workdir: Path, params: dict[str, Any]) -> dict[str, Any]:
    """A setup step of workloads.py (the database for the history)."""
    subprocess.run(
        [sys.executable, str(WORKLOADS), name, "mlrs", str(workdir), json.dumps(params)],
        cwd=workdir,
        env=environment(site),
        check=True,
    )
    result: dict[str, Any] = json.loads((workdir / "result.json").read_text())
    return result


def table(samples: dict[str, dict[str, dict[str, list[float]]]], repeats: int) -> str:
    per, abi3 = samples["per-version"], samples["abi3"]
    lines = [
        f"| measure ({repeats} processes each: median (min to max)) | clock | per-version "
        "| abi3 | abi3 / per-version (median of pairs) |",
        "|---|---|--:|--:|--:|",
    ]
    for measure, (_, _, scale, unit) in MEASURES.items():
        for clock in CLOCKS:
            cells = []
            for build in (per, abi3):
                values = [v / scale for v in build[measure][clock]]
                cells.append(
                    f"{statistics.median(values):,.2f} {unit} "
                    f"({min(values):,.2f} to {max(values):,.2f})"
                )
            ratios = [a / p for a, p in zip(abi3[measure][clock], per[measure][clock], strict=True)]
            ratio = statistics.median(ratios)
            lines.append(f"| {measure} | {clock} | {cells[0]} | {cells[1]} | {ratio:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-version", type=Path, help="directory holding that wheel")
    parser.add_argument("--abi3", type=Path, help="directory holding the abi3 wheel")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, workdir, *rest = args.worker
        worker = {"log": worker_log, "history": worker_history}[kind]
        print(json.dumps(worker(Path(workdir), *rest)))
        return
    if not (args.per_version and args.abi3):
        parser.error("--per-version and --abi3 are required")

    base = Path(tempfile.mkdtemp(prefix="mlrs-bench-abi3-"))
    try:
        builds = {}
        for label, wheel_dir in (("per-version", args.per_version), ("abi3", args.abi3)):
            site = base / label
            print(f"{label}: {unpack(wheel_dir, site).name}", flush=True)
            builds[label] = site

        reads = base / "reads"
        reads.mkdir()
        ids = run_workload(builds["abi3"], "reads_setup", reads, {})
        fill = {"db": str(reads / "mlflow.db"), "n": HISTORY_POINTS, "keys": 10, **ids}
        run_workload(builds["abi3"], "fill", reads, fill)

        samples = {b: {m: {c: [] for c in CLOCKS} for m in MEASURES} for b in builds}
        for repeat in range(args.repeats):
            for label, site in builds.items():
                log_dir = Path(tempfile.mkdtemp(prefix=f"log-{label}-", dir=base))
                results = {
                    "log": run_worker(site, "log", str(log_dir)),
                    "history": run_worker(site, "history", str(reads), ids["long_run"]),
                }
                shutil.rmtree(log_dir)
                for measure, (worker, key, _, _) in MEASURES.items():
                    for clock in CLOCKS:
                        samples[label][measure][clock].append(results[worker][key][clock])
            print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    print()
    print(table(samples, args.repeats))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(samples, indent=1))


if __name__ == "__main__":
    main()
