"""The benchmark workloads. Each one runs in a fresh process of its own, started by `run.py`:

    python bench/workloads.py WORKLOAD LIBRARY WORKDIR PARAMS_JSON

LIBRARY is `mlrs` or `mlflow` (or `sqlite` for the floor); the library is imported inside the
workload, so nothing but the standard library is loaded before the clock starts. The tracking
database is `WORKDIR/mlflow.db`, created by the workload. The result (seconds, counts, ids) is
written as JSON to `WORKDIR/result.json`; `run.py` then counts the rows in the database itself.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

clock = time.perf_counter

# Below the mlrs queue's capacity (32,768 ops), so this many calls measure the enqueue alone,
# before back-pressure from the writer can slow the caller down.
UNLOADED_CALLS = 10_000


def open_store(lib_name: str, workdir: Path) -> Any:
    lib = importlib.import_module(lib_name)
    lib.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    return lib


def count_rows(db: Path, sql: str) -> int:
    """Counts rows from another process. Not through this process's `sqlite3`: that module links
    a second copy of SQLite, and two copies in one process that open the same WAL database do
    not see each other's locks (a connection closing in one can drop the WAL under the other)."""
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=60); "
        "print(c.execute(sys.argv[2]).fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, f"file:{db}?mode=ro", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def empty_call_cost(n: int) -> float:
    """Seconds per call of an empty Python function, called the way `log_metric` is."""

    def empty(key: str, value: float, step: int | None = None) -> None:
        return None

    start = clock()
    for i in range(n):
        empty("loss", i * 0.5, step=i)
    return (clock() - start) / n


# ---- 1. log_metric in a loop -----------------------------------------------------------------


def log_metric_loop(lib_name: str, workdir: Path, n: int) -> dict[str, Any]:
    """`n` calls of the fluent `log_metric` into one run, then a flush: the cost per call while
    the queue has room, the average over the whole loop, and the time until all is committed."""
    lib = open_store(lib_name, workdir)
    run = lib.start_run()
    log = lib.log_metric
    first = min(UNLOADED_CALLS, n)

    t0 = clock()
    for i in range(first):
        log("loss", i * 0.5, step=i)
    t1 = clock()
    for i in range(first, n):
        log("loss", i * 0.5, step=i)
    t2 = clock()
    lib.flush_async_logging()
    t3 = clock()

    committed = count_rows(workdir / "mlflow.db", "SELECT count(*) FROM metrics")
    lib.end_run()
    return {
        "run_id": run.info.run_id,
        "n": n,
        "first_calls": first,
        "first_per_call": (t1 - t0) / first,
        "loop_per_call": (t2 - t0) / n,
        "until_committed": t3 - t0,
        "committed_when_timed": committed,
        "empty_call": empty_call_cost(1_000_000),
    }


# ---- 2. log_metrics, 10 keys per step ----------------------------------------------------------


def log_metrics_steps(lib_name: str, workdir: Path, n: int) -> dict[str, Any]:
    lib = open_store(lib_name, workdir)
    run = lib.start_run()
    keys = [f"metric_{j}" for j in range(10)]

    t0 = clock()
    for i in range(n):
        lib.log_metrics({k: i * 0.5 + j for j, k in enumerate(keys)}, step=i)
    t1 = clock()
    lib.flush_async_logging()
    t2 = clock()

    committed = count_rows(workdir / "mlflow.db", "SELECT count(*) FROM metrics")
    lib.end_run()
    return {
        "run_id": run.info.run_id,
        "n": n,
        "loop_per_call": (t1 - t0) / n,
        "until_committed": t2 - t0,
        "committed_when_timed": committed,
    }


# ---- 3. a hyperparameter sweep -----------------------------------------------------------------


def sweep(lib_name: str, workdir: Path, n: int) -> dict[str, Any]:
    """`n` runs as a search logs them: 10 params, 3 tags, then 100 steps of 5 metrics."""
    lib = open_store(lib_name, workdir)
    lib.set_experiment("sweep")

    t0 = clock()
    for trial in range(n):
        with lib.start_run(run_name=f"trial-{trial}"):
            lib.log_params({f"param_{j}": trial * 10 + j for j in range(10)})
            lib.set_tags({"search": "grid", "trial": str(trial), "stage": "tuning"})
            for step in range(100):
                lib.log_metrics({f"metric_{j}": step * 0.01 + j for j in range(5)}, step=step)
    t1 = clock()
    lib.flush_async_logging()
    t2 = clock()
    return {"n": n, "loop": t1 - t0, "until_committed": t2 - t0}


# ---- 5b. autolog overhead ----------------------------------------------------------------------


def autolog_train(
    lib_name: str, workdir: Path, rounds: int, short: int, repeats: int
) -> dict[str, Any]:
    """LightGBM training on small data with two validation metrics, `repeats` times each at
    `rounds` and at `short` iterations, without autolog and then with it (models and datasets
    off: params, per-iteration metrics and the feature-importance artifacts), then a flush.
    Best time of each, so load noise cancels out. The difference between the two lengths is
    the cost per iteration; what is left is the cost per training (mostly the two importance
    plots, drawn with matplotlib by mlflow and mlrs alike)."""
    import lightgbm as lgb
    import numpy as np

    lib = open_store(lib_name, workdir)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 5))
    y = (x[:, 0] + rng.normal(size=500) > 0).astype(int)
    params = {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1}
    params["num_threads"] = 1

    def train(n: int) -> float:
        data = lgb.Dataset(x[:400], label=y[:400])
        valid = lgb.Dataset(x[400:], label=y[400:])
        start = clock()
        lgb.train(params, data, num_boost_round=n, valid_sets=[valid])
        return clock() - start

    def best(n: int) -> float:
        return min(train(n) for _ in range(repeats))

    train(short)  # warm-up: first-use imports (matplotlib with autolog) are not timed
    plain, plain_short = best(rounds), best(short)
    lib.lightgbm.autolog(log_models=False, log_datasets=False, silent=True)
    train(short)
    logged, logged_short = best(rounds), best(short)
    t0 = clock()
    lib.flush_async_logging()
    flush = clock() - t0
    lib.lightgbm.autolog(disable=True)
    per_iteration = {
        "plain": (plain - plain_short) / (rounds - short),
        "autolog": (logged - logged_short) / (rounds - short),
    }
    return {
        "rounds": rounds,
        "short": short,
        "plain": plain,
        "autolog": logged,
        "plain_short": plain_short,
        "autolog_short": logged_short,
        "per_iteration": per_iteration,
        "flush": flush,
    }


# ---- 6. reads ----------------------------------------------------------------------------------


def reads_setup(lib_name: str, workdir: Path) -> dict[str, Any]:
    """Creates the database and two empty runs; `fill` then adds the data with plain SQL."""
    lib = open_store(lib_name, workdir)
    with lib.start_run() as long_run:
        pass
    with lib.start_run() as wide_run:
        pass
    return {"long_run": long_run.info.run_id, "wide_run": wide_run.info.run_id}


def fill(
    lib_name: str, workdir: Path, db: str, long_run: str, wide_run: str, n: int, keys: int
) -> dict[str, Any]:
    """Gives `long_run` `n` points of metric `m` and `wide_run` `keys` metrics, params and tags,
    with plain SQL (logging them through mlflow would take hours)."""
    conn = sqlite3.connect(db, timeout=60)
    with conn:
        conn.execute(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "SELECT 'm', i * 0.5, 1700000000000 + i, ?, i, 0 FROM s",
            (n - 1, long_run),
        )
        conn.execute(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)"
            " VALUES ('m', ?, ?, ?, 0, ?)",
            ((n - 1) * 0.5, 1700000000000 + n - 1, n - 1, long_run),
        )
        for table in ("metrics", "latest_metrics"):
            conn.executemany(
                f"INSERT INTO {table} (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, 1700000000000, ?, 0, 0)",
                [(f"metric_{i}", i * 0.5, wide_run) for i in range(keys)],
            )
        for table in ("params", "tags"):
            conn.executemany(
                f"INSERT INTO {table} (key, value, run_uuid) VALUES (?, ?, ?)",
                [(f"{table}_{i}", str(i), wide_run) for i in range(keys)],
            )
    conn.close()
    return {}


def reads(
    lib_name: str, workdir: Path, long_run: str, wide_run: str, n: int, keys: int, repeats: int
) -> dict[str, Any]:
    """In a fresh process on the filled database: `get_metric_history` of the `n` points of
    `long_run`, and `get_run` of `wide_run` (`keys` metrics, params and tags)."""
    lib = open_store(lib_name, workdir)
    client = lib.MlflowClient()

    history_times = []
    for _ in range(repeats):
        t0 = clock()
        history = client.get_metric_history(long_run, "m")
        history_times.append(clock() - t0)
        assert len(history) == n, len(history)
        assert history[-1].step == n - 1, history[-1]
        del history

    arrays_times = []
    if lib_name == "mlrs":  # the columnar extension; mlflow has no equivalent
        for _ in range(repeats):
            t0 = clock()
            arrays = client.get_metric_history_arrays(long_run, "m")
            arrays_times.append(clock() - t0)
            assert len(arrays.steps) == n, len(arrays.steps)
            assert arrays.steps[-1] == n - 1, arrays.steps[-1]
            del arrays

    run_times = []
    for _ in range(10):
        t0 = clock()
        run = client.get_run(wide_run)
        run_times.append(clock() - t0)
        assert len(run.data.metrics) == keys, len(run.data.metrics)
        assert len(run.data.params) == keys, len(run.data.params)
    return {
        "history": sorted(history_times)[len(history_times) // 2],
        "history_all": history_times,
        "get_run": sorted(run_times)[len(run_times) // 2],
        "arrays": sorted(arrays_times)[len(arrays_times) // 2] if arrays_times else None,
    }


# ---- 7. search_runs ----------------------------------------------------------------------------

SEARCH_FILTER = "metrics.acc > 0.5 and params.optimizer = 'adam'"
SEARCH_ORDER = ["metrics.acc DESC"]


def search_setup(lib_name: str, workdir: Path) -> dict[str, Any]:
    """Creates the database and one experiment; `fill_runs` then adds the runs with plain SQL."""
    lib = open_store(lib_name, workdir)
    experiment_id = lib.create_experiment("search")
    return {"experiment_id": experiment_id}


def fill_runs(lib_name: str, workdir: Path, db: str, experiment_id: str, n: int) -> dict[str, Any]:
    """`n` finished runs, each with metrics `acc` and `loss` (latest values only, which is what
    search reads), params `lr` and `optimizer` and a tag, shaped as mlflow stores them."""
    import uuid

    rows = []
    for i in range(n):
        run_id = uuid.uuid4().hex
        rows.append((run_id, i, (i * 7919 % 1000) / 1000.0, str(0.001 * (1 + i % 10))))
    conn = sqlite3.connect(db, timeout=60)
    with conn:
        conn.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id,"
            " status, start_time, end_time, source_version, lifecycle_stage, artifact_uri,"
            " experiment_id, deleted_time) VALUES (?, ?, 'UNKNOWN', '', '', 'bench', 'FINISHED',"
            " ?, ?, '', 'active', ?, ?, NULL)",
            [
                (r, f"run-{i}", 1700000000000 + i, 1700000000500 + i, f"/a/{r}", experiment_id)
                for r, i, _, _ in rows
            ],
        )
        for key, value in (("acc", lambda a: a), ("loss", lambda a: 1.0 - a)):
            conn.executemany(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)"
                " VALUES (?, ?, 1700000000000, 0, 0, ?)",
                [(key, value(acc), r) for r, _, acc, _ in rows],
            )
            conn.executemany(
                "INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid)"
                " VALUES (?, ?, 1700000000000, 0, 0, ?)",
                [(key, value(acc), r) for r, _, acc, _ in rows],
            )
        conn.executemany(
            "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
            [
                (k, v, r)
                for r, i, _, lr in rows
                for k, v in (("lr", lr), ("optimizer", ("adam", "sgd")[i % 2]))
            ],
        )
        conn.executemany(
            "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
            [
                (k, v, r)
                for r, i, _, _ in rows
                for k, v in (("team", "a"), ("mlflow.runName", f"run-{i}"))
            ],
        )
    conn.close()
    matching = sum(1 for _, i, acc, _ in rows if acc > 0.5 and i % 2 == 0)
    return {"matching": matching}


def search(
    lib_name: str, workdir: Path, experiment_id: str, matching: int, repeats: int
) -> dict[str, Any]:
    """In a fresh process on the filled database: `MlflowClient.search_runs` with a metric and a
    param filter and a metric order_by (its default page of 1,000 runs), and the fluent
    `search_runs` returning every match as a pandas DataFrame."""
    lib = open_store(lib_name, workdir)
    client = lib.MlflowClient()
    page_times, frame_times = [], []
    for _ in range(repeats):
        t0 = clock()
        page = client.search_runs([experiment_id], SEARCH_FILTER, order_by=SEARCH_ORDER)
        page_times.append(clock() - t0)
        assert len(page) == min(1000, matching), len(page)
        accs = [r.data.metrics["acc"] for r in page]
        assert accs == sorted(accs, reverse=True)
        t0 = clock()
        frame = lib.search_runs([experiment_id], SEARCH_FILTER, order_by=SEARCH_ORDER)
        frame_times.append(clock() - t0)
        assert len(frame) == matching, len(frame)
    return {
        "page": sorted(page_times)[len(page_times) // 2],
        "frame": sorted(frame_times)[len(frame_times) // 2],
    }


# ---- 8. many processes into one file -----------------------------------------------------------


def one_of_many(lib_name: str, workdir: Path, db: str, n: int, go: str) -> dict[str, Any]:
    """One of several processes that log into the same file at once: the library is imported
    first, then the process says it is ready and waits for the file `go`; only then does it open
    (and maybe create) the store."""
    lib = importlib.import_module(lib_name)
    (workdir / "ready").touch()
    while not Path(go).exists():
        time.sleep(0.001)
    started = time.time()
    try:
        lib.set_tracking_uri(f"sqlite:///{db}")
        with lib.start_run() as run:
            for i in range(n):
                lib.log_metric("loss", i * 0.5, step=i)
        lib.flush_async_logging()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:500], "started": started}
    return {"run_id": run.info.run_id, "started": started, "ended": time.time(), "n": n}


def create_store(lib_name: str, workdir: Path, db: str) -> dict[str, Any]:
    """Creates the database (and the default experiment) ahead of the other processes."""
    lib = importlib.import_module(lib_name)
    lib.set_tracking_uri(f"sqlite:///{db}")
    lib.search_experiments()
    return {}


# ---- the SQLite floor --------------------------------------------------------------------------


def sqlite_floor(lib_name: str, workdir: Path, n: int, schema: str) -> dict[str, Any]:
    """What SQLite alone needs to store `n` points in MLflow's `metrics` table (its primary key
    and two indexes): one transaction, `INSERT ... SELECT` from a recursive CTE, WAL,
    synchronous=NORMAL and foreign keys on, as mlrs's writer connection has them."""
    db = workdir / "floor.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(Path(schema).read_text())
    conn.execute(
        "INSERT INTO experiments (experiment_id, name, lifecycle_stage) "
        "VALUES (0, 'Default', 'active')"
    )
    run_id = "0" * 32
    conn.execute(
        "INSERT INTO runs (run_uuid, status, lifecycle_stage, experiment_id) "
        "VALUES (?, 'RUNNING', 'active', 0)",
        (run_id,),
    )

    t0 = clock()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
        "SELECT 'loss', i * 0.5, 1700000000000 + i / 300, ?, i, 0 FROM s",
        (n - 1, run_id),
    )
    conn.execute("COMMIT")
    elapsed = clock() - t0
    conn.close()
    rows = count_rows(db, "SELECT count(*) FROM metrics")
    return {"n": n, "until_committed": elapsed, "committed_when_timed": rows}


WORKLOADS = {
    "log_metric": log_metric_loop,
    "log_metrics": log_metrics_steps,
    "sweep": sweep,
    "autolog": autolog_train,
    "reads_setup": reads_setup,
    "fill": fill,
    "reads": reads,
    "search_setup": search_setup,
    "fill_runs": fill_runs,
    "search": search,
    "one_of_many": one_of_many,
    "create_store": create_store,
    "floor": sqlite_floor,
}


def main() -> None:
    name, lib_name, workdir, params = sys.argv[1:5]
    result = WORKLOADS[name](lib_name, Path(workdir), **json.loads(params))
    Path(workdir, "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
