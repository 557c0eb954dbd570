"""The mlrs benchmark suite (`make bench`).

Runs every workload under mlrs and under the real mlflow 3.18 (its SQLite store with its
defaults, and with `MLFLOW_ENABLE_ASYNC_LOGGING=true` where logging is involved), each in a fresh
process and a fresh directory, then counts the rows in each database with sqlite3 so that a
number is only reported for data that is really committed. Prints one Markdown table with mlrs's
time, mlflow's time, the ratio and the budget from DESIGN §5.

mlflow costs ~10 ms per log call, so it runs smaller counts (printed with the table) and the
comparison is per operation; totals for mlflow at mlrs's counts are extrapolated and marked `*`.

    python bench/run.py [--only log_metric,sweep,...] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "bench" / "workloads.py"
SCHEMA = ROOT / "sql" / "mlflow_3_18_schema.sql"
MICRO, MILLI = 1e-6, 1e-3

# Counts per workload: mlrs runs the sizes the issue asks for; mlflow runs what it finishes in
# about a minute.
COUNTS = {
    "mlrs": {
        "log_metric": 1_000_000,
        "log_metrics": 100_000,
        "sweep": 1_000,
        "history": 1_000_000,
        "keys": 1_000,
        "runs": 10_000,
        "many": 100_000,
        "repeats": 5,
        "pytest_tests": 50,
        "remote_points": 100_000,
    },
    "mlflow": {
        "log_metric": 5_000,
        "log_metrics": 5_000,
        "sweep": 30,
        "history": 1_000_000,
        "keys": 1_000,
        "runs": 10_000,
        "many": 100,
        "repeats": 3,
        "pytest_tests": 10,
        "remote_points": 100_000,
    },
}
PROCESSES = 8


class BenchError(Exception):
    pass


# ---- running one process -----------------------------------------------------------------------


def environment(async_logging: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    if async_logging:
        env["MLFLOW_ENABLE_ASYNC_LOGGING"] = "true"
    return env


class Runner:
    def __init__(self, base: Path) -> None:
        self.base = base

    def workdir(self, label: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"{label}-", dir=self.base))

    def workload(
        self,
        name: str,
        lib: str,
        params: dict[str, Any],
        *,
        async_logging: bool = False,
        workdir: Path | None = None,
    ) -> dict[str, Any]:
        """Runs one workload of workloads.py in a fresh process (and directory, unless given)."""
        workdir = workdir or self.workdir(f"{name}-{lib}{'-async' if async_logging else ''}")
        command = [sys.executable, str(WORKLOADS), name, lib, str(workdir), json.dumps(params)]
        log = workdir / "output.txt"
        with log.open("w") as out:
            proc = subprocess.run(
                command,
                cwd=workdir,
                env=environment(async_logging),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=900,
                check=False,
            )
        if proc.returncode != 0:
            raise BenchError(f"{name} under {lib} failed:\n{tail(log)}")
        result: dict[str, Any] = json.loads((workdir / "result.json").read_text())
        result["db"] = str(workdir / "mlflow.db")
        return result

    def script(self, code: str, label: str) -> tuple[float, str, Path]:
        """Runs `python -c code` in a fresh directory: wall time, stdout, the directory."""
        workdir = self.workdir(label)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code],
            cwd=workdir,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise BenchError(f"{label} failed:\n{proc.stderr[-2000:]}")
        return wall, proc.stdout, workdir


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def count(db: str | Path, sql: str, *args: object) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


def check(db: str | Path, expected: dict[str, int], **where: str) -> str:
    """Counts rows per table (restricted to one run with `run_uuid=`) and compares. Returns
    'ok' or what is missing."""
    problems = []
    for table, want in expected.items():
        sql = f"SELECT count(*) FROM {table.split(':')[0]}"
        args: list[object] = []
        clauses = [f"{column} = ?" for column in where]
        args += where.values()
        if table.endswith(":user"):
            # Not the system tags: mlflow's, and mlrs's environment record (`mlrs.env.*`).
            clauses.append("key NOT LIKE 'mlflow.%' AND key NOT LIKE 'mlrs.%'")
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        got = count(db, sql, *args)
        if got != want:
            problems.append(f"{table} {got:,} of {want:,}")
    return "ok" if not problems else "MISSING " + ", ".join(problems)


# ---- the table ---------------------------------------------------------------------------------


@dataclass
class Row:
    workload: str
    measure: str
    mlrs: float | None
    mlflow: float | None = None
    mlflow_async: float | None = None
    budget: float | None = None
    budget_text: str = ""
    extrapolated: bool = False
    verified: str = ""
    unit: float = 1.0

    def verdict(self) -> str:
        if self.budget is None or self.mlrs is None:
            return ""
        return "met" if self.mlrs <= self.budget else "**missed**"


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(
            f"  {row.measure}: mlrs {fmt(row.mlrs, row.unit)}, mlflow {fmt(row.mlflow, row.unit)}"
            f", async {fmt(row.mlflow_async, row.unit)}  [{row.verified}]",
            flush=True,
        )


def fmt(value: float | None, unit: float, star: bool = False) -> str:
    if value is None:
        return "—"
    names = {MICRO: "µs", MILLI: "ms", 1.0: "s"}
    scaled = value / unit
    text = f"{scaled:,.2f}" if scaled < 100 else f"{scaled:,.0f}"
    if unit == 1.0 and scaled >= 3600:
        text = f"{value / 3600:,.1f} h"
    elif unit == 1.0 and scaled >= 600:
        text = f"{value / 60:,.0f} min"
    else:
        text += f" {names[unit]}"
    return text + ("\\*" if star else "")


def ratio(slow: float | None, fast: float | None) -> str:
    if slow is None or fast is None or fast <= 0:
        return "—"
    value = slow / fast
    return f"{value:,.0f}x" if value >= 10 else f"{value:,.1f}x"


def markdown(rows: list[Row]) -> str:
    head = (
        "| # | measure | mlrs | mlflow | mlflow async | mlflow / mlrs | budget (§5) | budget"
        " | rows verified |"
    )
    lines = [head, "|---|---|--:|--:|--:|--:|---|---|---|"]
    for r in rows:
        best = min((v for v in (r.mlflow, r.mlflow_async) if v is not None), default=None)
        lines.append(
            f"| {r.workload} | {r.measure} | {fmt(r.mlrs, r.unit)} "
            f"| {fmt(r.mlflow, r.unit, r.extrapolated)} "
            f"| {fmt(r.mlflow_async, r.unit, r.extrapolated)} | {ratio(best, r.mlrs)} "
            f"| {r.budget_text} | {r.verdict()} | {r.verified} |"
        )
    return "\n".join(lines)


# ---- the workloads -----------------------------------------------------------------------------


def bench_floor_and_log_metric(run: Runner, report: Report) -> None:
    n = COUNTS["mlrs"]["log_metric"]
    m = COUNTS["mlflow"]["log_metric"]
    floor = run.workload("floor", "sqlite", {"n": n, "schema": str(SCHEMA)})
    floor_ok = "ok" if floor["committed_when_timed"] == n else "MISSING"
    mine = run.workload("log_metric", "mlrs", {"n": n})
    theirs = run.workload("log_metric", "mlflow", {"n": m})
    theirs_async = run.workload("log_metric", "mlflow", {"n": m}, async_logging=True)
    report.raw["log_metric"] = {
        "floor": floor,
        "mlrs": mine,
        "mlflow": theirs,
        "mlflow_async": theirs_async,
    }

    verified = {}
    for label, result in (("mlrs", mine), ("mlflow", theirs), ("async", theirs_async)):
        k = result["n"]
        status = check(result["db"], {"metrics": k}, run_uuid=result["run_id"])
        status += check_latest(result["db"], result["run_id"], "loss", k - 1)
        if result["committed_when_timed"] != k:
            status = f"only {result['committed_when_timed']:,} committed when the clock stopped"
        verified[label] = status
    summary = ", ".join(f"{k} {v}" for k, v in verified.items())

    w = "1"
    report.add(Row(w, "empty Python function call", mine["empty_call"], unit=MICRO, verified=""))
    report.add(
        Row(
            w,
            f"`log_metric` per call, first {mine['first_calls']:,} calls (queue not full)",
            mine["first_per_call"],
            theirs["first_per_call"],
            theirs_async["first_per_call"],
            budget=1 * MICRO,
            budget_text="<= 1 µs (enqueue)",
            unit=MICRO,
            verified=summary,
        )
    )
    report.add(
        Row(
            w,
            f"`log_metric` per call, average of the loop (mlrs {n:,}, mlflow {m:,} calls)",
            mine["loop_per_call"],
            theirs["loop_per_call"],
            theirs_async["loop_per_call"],
            unit=MICRO,
            verified=summary,
        )
    )
    report.add(
        Row(
            w,
            "per point, until committed",
            mine["until_committed"] / n,
            theirs["until_committed"] / m,
            theirs_async["until_committed"] / m,
            unit=MICRO,
            verified=summary,
        )
    )
    budget = 1.5 * floor["until_committed"]
    report.add(
        Row(
            w,
            f"{n:,} points until committed",
            mine["until_committed"],
            theirs["until_committed"] / m * n,
            theirs_async["until_committed"] / m * n,
            budget=budget,
            budget_text=f"<= 1.5x floor = {budget:.2f} s",
            extrapolated=True,
            verified=summary,
        )
    )
    report.add(
        Row(
            w,
            f"SQLite floor: {n:,} rows, one `INSERT ... SELECT` "
            f"(mlrs / floor = {mine['until_committed'] / floor['until_committed']:.2f}x)",
            floor["until_committed"],
            verified=floor_ok,
        )
    )


def check_latest(db: str, run_id: str, key: str, step: int) -> str:
    got = count(
        db,
        "SELECT count(*) FROM latest_metrics WHERE run_uuid = ? AND key = ? AND step = ?",
        run_id,
        key,
        step,
    )
    return "" if got == 1 else f"; latest_metrics({key}) not at step {step:,}"


def bench_log_metrics(run: Runner, report: Report) -> None:
    n = COUNTS["mlrs"]["log_metrics"]
    m = COUNTS["mlflow"]["log_metrics"]
    mine = run.workload("log_metrics", "mlrs", {"n": n})
    theirs = run.workload("log_metrics", "mlflow", {"n": m})
    theirs_async = run.workload("log_metrics", "mlflow", {"n": m}, async_logging=True)
    report.raw["log_metrics"] = {"mlrs": mine, "mlflow": theirs, "mlflow_async": theirs_async}
    parts = []
    for label, result in (("mlrs", mine), ("mlflow", theirs), ("async", theirs_async)):
        k = result["n"]
        status = check(
            result["db"], {"metrics": 10 * k, "latest_metrics": 10}, run_uuid=result["run_id"]
        )
        if result["committed_when_timed"] != 10 * k:
            status = f"only {result['committed_when_timed']:,} committed when the clock stopped"
        parts.append(f"{label} {status}")
    verified = ", ".join(parts)
    w = "2"
    report.add(
        Row(
            w,
            f"`log_metrics` (10 keys) per call (mlrs {n:,}, mlflow {m:,} steps)",
            mine["loop_per_call"],
            theirs["loop_per_call"],
            theirs_async["loop_per_call"],
            unit=MICRO,
            verified=verified,
        )
    )
    report.add(
        Row(
            w,
            "per step, until committed",
            mine["until_committed"] / n,
            theirs["until_committed"] / m,
            theirs_async["until_committed"] / m,
            unit=MICRO,
            verified=verified,
        )
    )
    report.add(
        Row(
            w,
            f"{n:,} steps ({10 * n:,} points) until committed",
            mine["until_committed"],
            theirs["until_committed"] / m * n,
            theirs_async["until_committed"] / m * n,
            extrapolated=True,
            verified=verified,
        )
    )


def bench_sweep(run: Runner, report: Report) -> None:
    n = COUNTS["mlrs"]["sweep"]
    m = COUNTS["mlflow"]["sweep"]
    mine = run.workload("sweep", "mlrs", {"n": n})
    theirs = run.workload("sweep", "mlflow", {"n": m})
    theirs_async = run.workload("sweep", "mlflow", {"n": m}, async_logging=True)
    report.raw["sweep"] = {"mlrs": mine, "mlflow": theirs, "mlflow_async": theirs_async}
    parts = []
    for label, result in (("mlrs", mine), ("mlflow", theirs), ("async", theirs_async)):
        k = result["n"]
        expected = {
            "runs": k,
            "params": 10 * k,
            "metrics": 500 * k,
            "latest_metrics": 5 * k,
            "tags:user": 3 * k,
        }
        parts.append(f"{label} {check(result['db'], expected)}")
    verified = ", ".join(parts)
    report.add(
        Row(
            "3",
            f"one sweep run, until committed (mlrs {n:,} runs, mlflow {m} runs)",
            mine["until_committed"] / n,
            theirs["until_committed"] / m,
            theirs_async["until_committed"] / m,
            budget=5 * MILLI,
            budget_text="<= 5 ms",
            unit=MILLI,
            verified=verified,
        )
    )
    report.add(
        Row(
            "3",
            f"{n:,} sweep runs until committed",
            mine["until_committed"],
            theirs["until_committed"] / m * n,
            theirs_async["until_committed"] / m * n,
            extrapolated=True,
            verified=verified,
        )
    )


def bench_autolog(run: Runner, report: Report) -> None:
    rounds, short, repeats = 300, 30, 3
    params = {"rounds": rounds, "short": short, "repeats": repeats}
    mine = run.workload("autolog", "mlrs", params)
    theirs = run.workload("autolog", "mlflow", params)
    report.raw["autolog"] = {"mlrs": mine, "mlflow": theirs}
    # Two warm-up trainings and 2 x repeats timed ones under autolog, 2 metrics per iteration.
    points = 2 * (short + repeats * (rounds + short))
    verified = check(mine["db"], {"metrics": points})
    for label, lib in (("without autolog", "plain"), ("with autolog", "autolog")):
        report.add(
            Row(
                "5b",
                f"lightgbm, {rounds} iterations x 2 metrics, {label}",
                mine[lib],
                theirs[lib],
                verified=verified if lib == "autolog" else "",
            )
        )
    for label, lib in (("without autolog", "plain"), ("with autolog", "autolog")):
        report.add(
            Row(
                "5b",
                f"the same per iteration ({rounds} minus {short} iterations), {label}",
                mine["per_iteration"][lib],
                theirs["per_iteration"][lib],
                unit=MICRO,
                verified=verified if lib == "autolog" else "",
            )
        )


FRESH_STORE = """\
import {lib} as mlflow
with mlflow.start_run():
    mlflow.log_param("lr", 0.1)
    mlflow.log_metric("loss", 0.5)
"""

IMPORT = "import time; t = time.perf_counter(); import {lib}; print(time.perf_counter() - t)"


def bench_fresh_store(run: Runner, report: Report) -> None:
    baseline = statistics.median(run.script("pass", "python")[0] for _ in range(5))
    times: dict[str, float] = {}
    statuses = []
    for lib in ("mlrs", "mlflow"):
        walls = []
        for _ in range(COUNTS[lib]["repeats"]):
            wall, _, workdir = run.script(FRESH_STORE.format(lib=lib), f"fresh-{lib}")
            walls.append(wall)
            status = check(workdir / "mlflow.db", {"runs": 1, "params": 1, "metrics": 1})
            if status != "ok":
                statuses.append(f"{lib} {status}")
        times[lib] = statistics.median(walls)
        report.raw.setdefault("fresh_store", {})[lib] = walls
    report.raw["fresh_store"]["python_alone"] = baseline
    runs = f"median of {COUNTS['mlrs']['repeats']} / {COUNTS['mlflow']['repeats']} processes"
    report.add(
        Row(
            "4",
            f"new process: import, new database, one run, exit ({runs})",
            times["mlrs"],
            times["mlflow"],
            budget=100 * MILLI,
            budget_text="<= 100 ms",
            unit=MILLI,
            verified=", ".join(statuses) or "ok (1 run, 1 param, 1 metric each)",
        )
    )
    report.add(Row("4", "for reference: `python -c pass`", baseline, unit=MILLI))


def bench_import(run: Runner, report: Report) -> None:
    times = {}
    for lib in ("mlrs", "mlflow"):
        samples = [
            float(run.script(IMPORT.format(lib=lib), f"import-{lib}")[1])
            for _ in range(COUNTS[lib]["repeats"])
        ]
        times[lib] = statistics.median(samples)
        report.raw.setdefault("import", {})[lib] = samples
    report.add(
        Row(
            "5",
            f"`import` (median of {COUNTS['mlrs']['repeats']} / {COUNTS['mlflow']['repeats']}"
            " processes)",
            times["mlrs"],
            times["mlflow"],
            budget=50 * MILLI,
            budget_text="<= 50 ms",
            unit=MILLI,
            verified="n/a",
        )
    )


def bench_reads(run: Runner, report: Report) -> None:
    results = {}
    for lib, repeats in (("mlrs", 3), ("mlflow", 1)):
        n, keys = COUNTS[lib]["history"], COUNTS[lib]["keys"]
        ids = run.workload("reads_setup", lib, {})
        params = {"long_run": ids["long_run"], "wide_run": ids["wide_run"], "n": n, "keys": keys}
        run.workload("fill", "sqlite", {"db": ids["db"], **params})
        workdir = Path(ids["db"]).parent
        result = run.workload("reads", lib, {**params, "repeats": repeats}, workdir=workdir)
        results[lib] = {**ids, **params, **result}
    report.raw["reads"] = results
    parts = []
    for lib, r in results.items():
        k, keys = r["n"], r["keys"]
        a = check(r["db"], {"metrics": k}, run_uuid=r["long_run"])
        b = check(r["db"], {"latest_metrics": keys, "params": keys}, run_uuid=r["wide_run"])
        parts.append(f"{lib} {a if a != 'ok' else b}")
    verified = ", ".join(parts) + " (and lengths checked in-process)"
    mine, theirs = results["mlrs"], results["mlflow"]
    report.add(
        Row(
            "6",
            f"`get_metric_history` of {mine['n']:,} points (mlflow {theirs['n']:,}; list of "
            "Metric)",
            mine["history"],
            theirs["history"] / theirs["n"] * mine["n"],
            budget=1.0,
            budget_text="<= 1 s",
            extrapolated=theirs["n"] != mine["n"],
            verified=verified,
        )
    )
    report.add(
        Row(
            "6",
            f"`get_metric_history_arrays` of {mine['n']:,} points (mlrs extension, numpy; mlflow:"
            " its list of Metric)",
            mine["arrays"],
            theirs["history"] / theirs["n"] * mine["n"],
            budget=0.1,
            budget_text="well under 1 s (0.1 s)",
            extrapolated=theirs["n"] != mine["n"],
            verified=verified,
        )
    )
    report.add(
        Row(
            "6",
            f"`get_run` of a run with {mine['keys']:,} metrics, {mine['keys']:,} params, "
            f"{mine['keys']:,} tags (median of 10)",
            mine["get_run"],
            theirs["get_run"],
            unit=MILLI,
            verified=verified,
        )
    )


def bench_search(run: Runner, report: Report) -> None:
    results = {}
    for lib in ("mlrs", "mlflow"):
        n = COUNTS[lib]["runs"]
        ids = run.workload("search_setup", lib, {})
        filled = run.workload(
            "fill_runs", "sqlite", {"db": ids["db"], "experiment_id": ids["experiment_id"], "n": n}
        )
        workdir = Path(ids["db"]).parent
        params = {"experiment_id": ids["experiment_id"], "matching": filled["matching"]}
        result = run.workload("search", lib, {**params, "repeats": 5}, workdir=workdir)
        results[lib] = {**ids, **params, **result, "n": n}
    report.raw["search"] = results
    mine, theirs = results["mlrs"], results["mlflow"]
    verified = ", ".join(
        f"{lib} {check(r['db'], {'runs': r['n']}, experiment_id=r['experiment_id'])}"
        for lib, r in results.items()
    )
    verified += f" ({mine['matching']:,} matches, order checked in-process)"
    report.add(
        Row(
            "7",
            f"`MlflowClient.search_runs` over {mine['n']:,} runs: metric + param filter, metric "
            "order_by, first page of 1,000 (median of 5)",
            mine["page"],
            theirs["page"],
            budget=0.1,
            budget_text="<= 100 ms",
            unit=MILLI,
            verified=verified,
        )
    )
    report.add(
        Row(
            "7",
            f"fluent `search_runs` over {mine['n']:,} runs, every match as a DataFrame"
            " (median of 5)",
            mine["frame"],
            theirs["frame"],
            unit=MILLI,
            verified=verified,
        )
    )


def bench_many_processes(run: Runner, report: Report) -> None:
    mine = many_processes(run, "mlrs", COUNTS["mlrs"]["many"], precreate=False)
    theirs = many_processes(run, "mlflow", COUNTS["mlflow"]["many"], precreate=False)
    theirs_existing = many_processes(run, "mlflow", COUNTS["mlflow"]["many"], precreate=True)
    report.raw["many_processes"] = {
        "mlrs": mine,
        "mlflow_fresh_file": theirs,
        "mlflow_existing_file": theirs_existing,
    }
    n, m = COUNTS["mlrs"]["many"], COUNTS["mlflow"]["many"]

    def status(result: dict[str, Any]) -> str:
        failed = [first_line(c["error"]) for c in result["children"] if "error" in c]
        text = f"{PROCESSES - len(failed)}/{PROCESSES} processes ok, {result['verified']}"
        if failed:
            counts = {line: failed.count(line) for line in sorted(set(failed))}
            text += "; failed: " + " / ".join(f"{k} x {line}" for line, k in counts.items())
        return text

    report.add(
        Row(
            "8",
            f"{PROCESSES} processes, each logging to a new run in one fresh file at once, until "
            f"all exited (mlrs {PROCESSES} x {n:,} points, mlflow {PROCESSES} x {m:,})",
            mine["wall"],
            theirs["wall"],
            unit=1.0,
            verified=f"mlrs {status(mine)}; mlflow {status(theirs)}",
        )
    )
    report.add(
        Row(
            "8",
            "the same per point, all processes together (mlflow: file created beforehand)",
            mine["wall"] / (PROCESSES * n),
            None if theirs_existing["wall"] is None else theirs_existing["wall"] / (PROCESSES * m),
            unit=MICRO,
            verified=f"mlflow {status(theirs_existing)}",
        )
    )


def first_line(text: str) -> str:
    """The first line of an error, with alembic revision ids blanked so that the same failure
    in several processes reads as one."""
    line = re.sub(r"'[0-9a-f]{12}'", "'…'", text.splitlines()[0])
    return line[:160].replace("|", "/")


def many_processes(run: Runner, lib: str, n: int, precreate: bool) -> dict[str, Any]:
    """Starts PROCESSES processes that import `lib`, wait until all are ready, then log `n` points
    each into the same database at once. The clock runs from the go signal to the last exit."""
    shared = run.workdir(f"many-{lib}{'-existing' if precreate else ''}")
    db = shared / "mlflow.db"
    if precreate:
        run.workload("create_store", lib, {"db": str(db)})
    go = shared / "go"
    children = []
    for i in range(PROCESSES):
        workdir = shared / f"p{i}"
        workdir.mkdir()
        params = {"db": str(db), "n": n, "go": str(go)}
        command = [sys.executable, str(WORKLOADS), "one_of_many", lib, str(workdir)]
        out = (workdir / "output.txt").open("w")
        proc = subprocess.Popen(
            [*command, json.dumps(params)],
            cwd=workdir,
            env=environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        children.append((proc, workdir, out))
    deadline = time.time() + 300
    while not all((w / "ready").exists() for _, w, _ in children):
        if time.time() > deadline or any(p.poll() not in (None, 0) for p, _, _ in children):
            raise BenchError(
                f"{lib} processes did not start: {tail(children[0][1] / 'output.txt')}"
            )
        time.sleep(0.01)
    start = time.time()
    go.touch()
    results = []
    for proc, workdir, out in children:
        proc.wait(timeout=900)
        out.close()
        if proc.returncode != 0:
            results.append({"error": f"exit {proc.returncode}: {tail(workdir / 'output.txt', 3)}"})
        else:
            results.append(json.loads((workdir / "result.json").read_text()))
    ok = [r for r in results if "error" not in r]
    wall = max(r["ended"] for r in ok) - start if len(ok) == PROCESSES else None
    verified = "ok" if db.exists() else "no database"
    if db.exists():
        problems = [check(db, {"metrics": n}, run_uuid=r["run_id"]) for r in ok]
        problems = [p for p in problems if p != "ok"]
        total = count(db, "SELECT count(*) FROM metrics")
        verified = f"{total:,} rows" + (f" ({'; '.join(problems)})" if problems else "")
    return {"children": results, "wall": wall, "verified": verified}


# ---- a pytest suite: a fresh store per test ----------------------------------------------------

# The test body both suites share: one run with 5 params, 3 metrics x 10 steps and 2 tags, then
# a read back through get_run.
SUITE_BODY = """
def _train(mlflow, i):
    with mlflow.start_run() as run:
        mlflow.log_params({{f"p{{k}}": k * i for k in range(5)}})
        for step in range(10):
            mlflow.log_metrics({{"loss": 1 / (step + 1), "acc": step / 10, "lr": 0.1}}, step=step)
        mlflow.set_tags({{"suite": "bench", "i": i}})
    return run.info.run_id

{tests}
"""
MLRS_SUITE = (
    "import mlrs\n"
    + SUITE_BODY
    + """
def check(mlrs_tracking, i):
    run_id = _train(mlrs, i)
    mlrs_tracking.assert_run(run_id, params={{"p1": i}}, metrics={{"acc": 0.9}}, status="FINISHED")
"""
)
# What a user writes by hand for mlflow 3.18: a store per test, no state leaking between tests.
MLFLOW_SUITE = (
    "import os\nimport mlflow\nimport pytest\n"
    + SUITE_BODY
    + """
@pytest.fixture
def tracking(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("MLFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # artifacts go to ./mlruns
    mlflow.set_tracking_uri(f"sqlite:///{{tmp_path}}/mlflow.db")
    yield
    while mlflow.active_run():
        mlflow.end_run("FAILED")
    mlflow.set_tracking_uri(None)

def check(tracking, i):
    run = mlflow.get_run(_train(mlflow, i))
    assert run.data.params["p1"] == str(i)
    assert run.data.metrics["acc"] == 0.9
    assert run.info.status == "FINISHED"
"""
)
PYTEST_TIME = re.compile(r" in ([0-9.]+)s")


def bench_pytest_suite(run: Runner, report: Report) -> None:
    """The design card's pytest suite: N tests, a fresh store each, under mlrs with the
    plugin's fixture and under mlflow with the fixture a user writes."""
    times: dict[str, tuple[float, float]] = {}
    statuses = []
    for lib, fixture, plugins in (
        ("mlrs", "mlrs_tracking", []),
        ("mlflow", "tracking", ["-p", "no:mlrs"]),
    ):
        n = COUNTS[lib]["pytest_tests"]
        tests = "\n".join(
            f"def test_{i}({fixture}):\n    check({fixture}, {i})\n" for i in range(n)
        )
        suite = (MLRS_SUITE if lib == "mlrs" else MLFLOW_SUITE).format(tests=tests)
        workdir = run.workdir(f"pytest-{lib}")
        (workdir / "test_suite.py").write_text(suite)
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *plugins,
                "--basetemp",
                str(workdir / "tmp"),
                "test_suite.py",
            ],
            cwd=workdir,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        wall = time.perf_counter() - start
        found = PYTEST_TIME.findall(proc.stdout)
        if proc.returncode != 0 or not found:
            raise BenchError(f"the {lib} suite failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
        times[lib] = (float(found[-1]) / n, wall / n)
        dbs = [p for p in (workdir / "tmp").glob("*0/**/mlflow.db")]
        problems = [check(db, {"runs": 1, "params": 5, "metrics": 30}) for db in dbs]
        problems = [p for p in problems if p != "ok"]
        if len(dbs) != n or problems:
            statuses.append(f"{lib}: {len(dbs)} of {n} databases {'; '.join(problems)}")
        report.raw.setdefault("pytest_suite", {})[lib] = {
            "tests": n,
            "pytest_s": float(found[-1]),
            "wall_s": wall,
        }
    n = COUNTS["mlrs"]["pytest_tests"]
    verified = ", ".join(statuses) or "ok (each test's database: 1 run, 5 params, 30 metrics)"
    report.add(
        Row(
            "12",
            f"pytest suite of {n} tests, a fresh store each: pytest's time "
            f"(mlflow: {COUNTS['mlflow']['pytest_tests']} tests, extrapolated)",
            times["mlrs"][0] * n,
            times["mlflow"][0] * n,
            budget=2.0,
            budget_text="<= 2 s",
            extrapolated=True,
            verified=verified,
        )
    )
    report.add(
        Row(
            "12",
            "the same, per test",
            times["mlrs"][0],
            times["mlflow"][0],
            unit=MILLI,
            verified=verified,
        )
    )
    report.add(
        Row(
            "12",
            f"the same, whole `python -m pytest` process, {n} tests (imports included)",
            times["mlrs"][1] * n,
            times["mlflow"][1] * n,
            extrapolated=True,
        )
    )


# ---- 8. mlrs ui against mlflow server ----------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(url: str, body: dict[str, Any] | None = None) -> tuple[float, Any]:
    """One request on loopback: its wall time and the decoded JSON answer."""
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"} if data else {}
    )
    t0 = time.perf_counter()
    with urllib.request.urlopen(request, timeout=900) as response:
        raw = response.read()
    return time.perf_counter() - t0, json.loads(raw)


def timed(url: str, repeats: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The first (cold) request and the median of `repeats` more; the last answer."""
    cold, answer = http(url, body)
    warm = []
    for _ in range(repeats):
        elapsed, answer = http(url, body)
        warm.append(elapsed)
    return {"cold": cold, "warm": statistics.median(warm), "all": warm, "answer": answer}


def bench_ui(run: Runner, report: Report) -> None:
    import urllib.parse
    import urllib.request

    n, runs = COUNTS["mlrs"]["history"], COUNTS["mlrs"]["runs"]
    ids = run.workload("reads_setup", "mlrs", {})
    db = ids["db"]
    params = {"db": db, "long_run": ids["long_run"], "wide_run": ids["wide_run"]}
    run.workload("fill", "sqlite", {**params, "n": n, "keys": 10})
    run.workload("fill_runs", "sqlite", {"db": db, "experiment_id": "0", "n": runs})
    uri = f"sqlite:///{db}"
    top = (n - 1) * 0.5
    results: dict[str, Any] = {}

    mine = subprocess.Popen(
        [sys.executable, "-m", "mlrs", "ui", "--backend-store-uri", uri, "--port", "0"],
        cwd=Path(db).parent,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert mine.stdout is not None
        base = mine.stdout.readline().rsplit(" at ", 1)[1].strip().rstrip("/")
        series = timed(f"{base}/api/series?run_ids={ids['long_run']}&keys=m&points=1000", repeats=5)
        query = urllib.parse.urlencode(
            {"experiment_ids": "0", "order_by": "metrics.acc DESC", "max_results": 100,
             "metrics": "acc,loss", "params": "*"}
        )  # fmt: skip
        table = timed(f"{base}/api/runs?{query}", repeats=5)
    finally:
        mine.terminate()
        mine.wait(timeout=60)
    print(f"  mlrs ui: series {series['cold']:.3f} s cold, {series['warm'] * 1000:.1f} ms warm;"
          f" runs {table['cold'] * 1000:.1f} ms first, {table['warm'] * 1000:.1f} ms warm",
          flush=True)  # fmt: skip
    one = series.pop("answer")["series"][0]
    results["mlrs"] = {"series": series, "runs": {k: v for k, v in table.items() if k != "answer"}}
    series_ok = one["total_points"] == n and max(one["value"]) == top
    mine_runs = table["answer"]["runs"]
    runs_ok = len(mine_runs) == 100 and table["answer"]["total"] == runs + 2

    port = free_port()
    theirs = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri,
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=Path(db).parent,
        # Without the job runner (GenAI jobs), which takes both cores for ~30 s after start.
        env={**environment(), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        started = time.perf_counter()
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=30):
                    break
            except OSError:
                if theirs.poll() is not None or time.perf_counter() - started > 600:
                    raise BenchError("mlflow server did not start") from None
                time.sleep(0.5)
        results["mlflow_start"] = time.perf_counter() - started
        print(f"  mlflow server answered after {results['mlflow_start']:.0f} s", flush=True)
        bulk = timed(
            f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
            f"?run_ids={ids['long_run']}&metric_key=m&max_results=1000",
            repeats=2,
        )
        search = timed(
            f"http://127.0.0.1:{port}/api/2.0/mlflow/runs/search",
            repeats=3,
            body={"experiment_ids": ["0"], "order_by": ["metrics.acc DESC"], "max_results": 100},
        )
    finally:
        theirs.terminate()
        theirs.wait(timeout=60)
    points = bulk.pop("answer").get("metrics", [])
    their_runs = search.pop("answer").get("runs", [])
    results["mlflow"] = {"series": bulk, "runs": search, "points": len(points)}
    report.raw["ui"] = results
    their_top = max((p["value"] for p in points), default=None)
    verified = (
        f"mlrs M4 {len(one['x'])} points, max {'ok' if series_ok else 'WRONG'}; mlflow "
        f"{len(points)} sampled points, max {their_top} ({'kept' if their_top == top else 'lost'})"
    )
    for label, key in (
        ("cold (first request after start)", "cold"),
        ("warm (median of 5)", "warm"),
    ):
        report.add(
            Row(
                "9",
                f"`mlrs ui` `/api/series` vs mlflow `get-history-bulk-interval`: one {n:,}-point "
                f"series, 1,000 columns, {label}",
                results["mlrs"]["series"][key],
                results["mlflow"]["series"][key],
                budget=1.0 if key == "cold" else 0.05,
                budget_text="<= 1 s" if key == "cold" else "<= 50 ms",
                unit=MILLI,
                verified=verified,
            )
        )
    same_first = (
        bool(their_runs)
        and bool(mine_runs)
        and (their_runs[0]["info"]["run_id"] == mine_runs[0]["run_id"])
    )
    for label, key in (("first request", "cold"), ("median of the next requests", "warm")):
        report.add(
            Row(
                "9",
                f"`mlrs ui` `/api/runs` vs mlflow `runs/search`: first page (100) of {runs:,} runs "
                f"sorted by a metric, {label}",
                results["mlrs"]["runs"][key],
                results["mlflow"]["runs"][key],
                unit=MILLI,
                verified=f"mlrs {'ok' if runs_ok else 'WRONG'}, same first run: {same_first}",
            )
        )


def bench_remote(run: Runner, report: Report) -> None:
    """bench/remote.py in a fresh process: mlrs and mlflow's REST client (sync and async)
    against one local `mlflow server`, and the floor of that server."""
    n = COUNTS["mlrs"]["remote_points"]
    workdir = run.workdir("remote")
    out = workdir / "remote.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "remote.py"), "--points", str(n), "--json", str(out)],
        cwd=workdir,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"bench/remote.py failed:\n{proc.stderr[-3000:]}")
    r = json.loads(out.read_text())
    report.raw["remote"] = r
    floor = r["floor_s"]
    report.add(
        Row(
            "R",
            "remote: `log_metric` per call (enqueue; mlflow sync: one request per call)",
            r["mlrs_log_metric_us"] * MICRO,
            r["mlflow_sync_log_metric_us"] * MICRO,
            r["mlflow_async_log_metric_us"] * MICRO,
            budget=2 * MICRO,
            budget_text="<= 2 µs",
            unit=MICRO,
            verified="server history complete",
        )
    )
    report.add(
        Row(
            "R",
            f"remote: {n:,} points until the server has them (floor: {floor:.2f} s of "
            "1000-point log-batch requests back to back)",
            r["mlrs_points_s"],
            n * r["mlflow_sync_log_metric_us"] * MICRO,
            n / r["mlflow_async_points_per_s"],
            budget=1.3 * floor,
            budget_text=f"<= 1.3x floor ({1.3 * floor:.2f} s)",
            extrapolated=True,
            verified=f"{r['mlrs_points_s'] / floor:.2f}x the floor; {n:,} points read back",
        )
    )
    report.add(
        Row(
            "R",
            "remote: sweep of 100 runs (10 params, 500 points, 3 tags each)",
            r["mlrs_sweep_100_s"],
            r["mlflow_sweep_per_run_s"] * 100,
            extrapolated=True,
            verified="mlflow: 3 runs",
        )
    )
    report.add(
        Row(
            "R",
            "remote: `search_runs`, 100 runs, metric filter",
            r["mlrs_search_runs_s"],
            r["mlflow_search_runs_s"],
            unit=MILLI,
            verified="100 runs each",
        )
    )
    report.add(
        Row(
            "R",
            f"remote: `get_metric_history` of {n:,} points (numpy: "
            f"{r['mlrs_history_numpy_s']:.2f} s)",
            r["mlrs_history_s"],
            r["mlflow_history_s"],
            verified=f"{n:,} points each",
        )
    )


# ---- main --------------------------------------------------------------------------------------

BENCHES: dict[str, Callable[[Runner, Report], None]] = {
    "log_metric": bench_floor_and_log_metric,
    "log_metrics": bench_log_metrics,
    "sweep": bench_sweep,
    "autolog": bench_autolog,
    "fresh_store": bench_fresh_store,
    "import": bench_import,
    "reads": bench_reads,
    "search": bench_search,
    "many_processes": bench_many_processes,
    "pytest_suite": bench_pytest_suite,
    "ui": bench_ui,
    "remote": bench_remote,
}


def machine() -> dict[str, str]:
    model = "unknown"
    with Path("/proc/cpuinfo").open() as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.metadata as m; print(m.version('mlrs'), m.version('mlflow'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "os": f"{platform.system()} {platform.release()}",
        "mlrs": versions[0],
        "mlflow": versions[1],
        "commit": commit,
        "load average at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def extension_stamp() -> str:
    """Path and mtime of the mlrs extension module, to notice a rebuild during the run."""
    code = "import os, mlrs._core as c; print(c.__file__, os.stat(c.__file__).st_mtime)"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated: " + ",".join(BENCHES))
    parser.add_argument("--quick", action="store_true", help="counts / 100, for a smoke test")
    parser.add_argument("--json", type=Path, help="also write every raw result here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHES)
    if args.quick:
        for counts in COUNTS.values():
            for key in counts:
                if key != "repeats":
                    counts[key] = max(10, counts[key] // 100)

    info = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    print("counts: " + "; ".join(f"{lib} {c}" for lib, c in COUNTS.items()), flush=True)
    stamp = extension_stamp()
    base = Path(tempfile.mkdtemp(prefix="mlrs-bench-"))
    report = Report()
    started = time.perf_counter()
    try:
        for name in names:
            print(f"[{name}]", flush=True)
            BENCHES[name](Runner(base), report)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    elapsed = time.perf_counter() - started

    print()
    print(markdown(report.rows))
    print()
    print("\\* mlflow at mlrs's count, extrapolated from its per-operation time at its own count.")
    print(f"counts: mlrs {COUNTS['mlrs']}; mlflow {COUNTS['mlflow']}")
    print(f"suite took {elapsed / 60:.1f} min")
    if extension_stamp() != stamp:
        print("WARNING: the mlrs extension was rebuilt during the run; the numbers may mix builds")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"machine": info, "counts": COUNTS, "elapsed": elapsed, "raw": report.raw}
        payload["table"] = markdown(report.rows)
        args.json.write_text(json.dumps(payload, indent=1, default=str))


if __name__ == "__main__":
    main()
