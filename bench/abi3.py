"""abi3 or one wheel per Python version (`make bench-abi3`, also run by `make bench`).

Takes two wheels of the same commit built by `make wheel` (one with pyo3's `abi3-py310`, one
for this interpreter only), unpacks each with pip into a directory of its own and runs the
workloads that cross the Python/Rust boundary most often, each in a fresh process whose
PYTHONPATH puts that wheel's `mlrs` first: `log_metric`'s enqueue (the first 10,000 calls, before
the queue can push back) and its whole loop, `get_metric_history` of 1,000,000 points (a Python
`Metric` per point) and its numpy path (`get_metric_history_arrays`). The two builds alternate
`--repeats` times so that load from other jobs on the machine falls on both alike; it prints
median and range per build.

    python bench/abi3.py --per-version DIR --abi3 DIR [--repeats 5] [--json PATH]
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "bench" / "workloads.py"
LOG_METRIC_CALLS = 200_000
HISTORY_POINTS = 1_000_000
MEASURES = {
    "log_metric enqueue, per call (first 10,000 calls)": ("log", "first_per_call", 1e-6, "µs"),
    f"log_metric loop of {LOG_METRIC_CALLS:,}, per call": ("log", "loop_per_call", 1e-6, "µs"),
    f"get_metric_history, {HISTORY_POINTS:,} points": ("reads", "history", 1e-3, "ms"),
    f"get_metric_history_arrays (numpy), {HISTORY_POINTS:,} points": (
        "reads",
        "arrays",
        1e-3,
        "ms",
    ),
}


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


def workload(
    site: Path, name: str, workdir: Path, params: dict[str, Any], lib: str = "mlrs"
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["PYTHONPATH"] = str(site)
    subprocess.run(
        [sys.executable, str(WORKLOADS), name, lib, str(workdir), json.dumps(params)],
        cwd=workdir,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads((workdir / "result.json").read_text())
    return result


def core_path(site: Path) -> str:
    """Which extension a process with this PYTHONPATH loads: the wheel's, or the run is void."""
    code = "import mlrs._core as c; print(c.__file__)"
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    path = out.stdout.strip()
    if not path.startswith(str(site)):
        raise SystemExit(f"{site}: mlrs._core came from {path}, not from the wheel")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-version", type=Path, required=True, help="dir with that wheel")
    parser.add_argument("--abi3", type=Path, required=True, help="dir with the abi3 wheel")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="mlrs-bench-abi3-"))
    try:
        builds = {}
        for label, wheel_dir in (("per-version", args.per_version), ("abi3", args.abi3)):
            site = base / label
            wheel = unpack(wheel_dir, site)
            print(f"{label}: {wheel.name} ({core_path(site)})", flush=True)
            builds[label] = site

        # One database with the history, filled once with plain SQL and only read afterwards.
        reads_dir = base / "reads"
        reads_dir.mkdir()
        ids = workload(builds["abi3"], "reads_setup", reads_dir, {})
        fill = {"db": str(reads_dir / "mlflow.db"), "n": HISTORY_POINTS, "keys": 10, **ids}
        workload(builds["abi3"], "fill", reads_dir, fill)

        samples: dict[str, dict[str, list[float]]] = {b: {m: [] for m in MEASURES} for b in builds}
        for repeat in range(args.repeats):
            for label, site in builds.items():
                log_dir = Path(tempfile.mkdtemp(prefix=f"log-{label}-", dir=base))
                log = workload(site, "log_metric", log_dir, {"n": LOG_METRIC_CALLS})
                params = {"n": HISTORY_POINTS, "keys": 10, "repeats": 3, **ids}
                reads = workload(site, "reads", reads_dir, params)
                shutil.rmtree(log_dir)
                results = {"log": log, "reads": reads}
                for measure, (source, key, _, _) in MEASURES.items():
                    samples[label][measure].append(results[source][key])
            print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    print()
    head = f"measure ({args.repeats} repeats: median (min to max))"
    print(f"| {head} | per-version | abi3 | abi3 / per-version |")
    print("|---|--:|--:|--:|")
    for measure, (_, _, scale, unit) in MEASURES.items():
        cells = []
        medians = []
        for label in builds:
            values = [v / scale for v in samples[label][measure]]
            median = statistics.median(values)
            medians.append(median)
            cells.append(f"{median:,.2f} {unit} ({min(values):,.2f} to {max(values):,.2f})")
        print(f"| {measure} | {cells[0]} | {cells[1]} | {medians[1] / medians[0]:.2f}x |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(samples, indent=1))


if __name__ == "__main__":
    main()
