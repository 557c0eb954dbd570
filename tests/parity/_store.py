"""Direct looks into a tracking database with sqlite3: schema snapshots and storage invariants."""

from __future__ import annotations

import contextlib
import math
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

ALEMBIC_HEAD = "f4a9b2c7d1e6"
MAX_FLOAT = 1.7976931348623157e308


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection that is always closed (sqlite3's context manager doesn't)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield connection
    finally:
        connection.close()


def schema(path: Path) -> set[tuple[str, str, str, str | None]]:
    """``sqlite_master`` as a set of (type, name, tbl_name, canonical sql).

    The SQL text has its whitespace collapsed, and a table's constraints are sorted (columns
    keep their order): mlflow's own ``runs`` DDL lists its CHECK constraints in an order that
    changes with PYTHONHASHSEED (alembic's batch migrations iterate over a set).
    """
    with connect(path) as db:
        rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return {(kind, name, table, canonical_sql(sql)) for kind, name, table, sql in rows}


TABLE_CONSTRAINT = re.compile(r"(CONSTRAINT|PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY)\b", re.I)


def canonical_sql(sql: str | None) -> str | None:
    if sql is None:
        return None
    sql = re.sub(r"\s+", " ", sql).strip()
    head, paren, body = sql.partition("(")
    if not head.upper().startswith("CREATE TABLE") or not body.endswith(")"):
        return sql
    items, depth, start = [], 0, 0
    inner = body[:-1]
    for index, char in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(inner[start:index].strip())
            start = index + 1
    items.append(inner[start:].strip())
    columns = [item for item in items if not TABLE_CONSTRAINT.match(item)]
    constraints = sorted(item for item in items if TABLE_CONSTRAINT.match(item))
    return f"{head}{paren} {', '.join(columns + constraints)} )"


def rows(path: Path, query: str) -> list[tuple]:
    with connect(path) as db:
        return db.execute(query).fetchall()


def storage_problems(path: Path) -> list[str]:
    """Ways in which the stored rows differ from what MLflow itself writes (empty when fine)."""
    problems = []
    with connect(path) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            problems.append(f"integrity_check: {integrity}")
        foreign = db.execute("PRAGMA foreign_key_check").fetchall()
        if foreign:
            problems.append(f"foreign_key_check: {foreign}")
        version = db.execute("SELECT version_num FROM alembic_version").fetchall()
        if version != [(ALEMBIC_HEAD,)]:
            problems.append(f"alembic_version: {version}")
        odd_runs = db.execute(
            "SELECT run_uuid, source_type, source_name, entry_point_name, source_version"
            " FROM runs WHERE source_type != 'UNKNOWN' OR source_name != ''"
            " OR entry_point_name != '' OR source_version != ''"
        ).fetchall()
        if odd_runs:
            problems.append(f"runs source columns differ from mlflow's: {odd_runs}")
        deleted = db.execute(
            "SELECT run_uuid, lifecycle_stage, deleted_time FROM runs"
            " WHERE (lifecycle_stage = 'deleted') != (deleted_time IS NOT NULL)"
        ).fetchall()
        if deleted:
            problems.append(f"deleted_time does not follow lifecycle_stage: {deleted}")
        types = db.execute(
            "SELECT DISTINCT typeof(step), typeof(timestamp), typeof(value), typeof(is_nan)"
            " FROM metrics"
        ).fetchall()
        if set(types) - {("integer", "integer", "real", "integer")}:
            problems.append(f"metric column types: {types}")
        nan_rows = db.execute(
            "SELECT key, value FROM metrics WHERE is_nan = 1 AND value != 0"
        ).fetchall()
        if nan_rows:
            problems.append(f"NaN metrics not stored as 0.0 with is_nan=1: {nan_rows}")
        too_big = db.execute(
            "SELECT key, value FROM metrics WHERE abs(value) > ?", (MAX_FLOAT,)
        ).fetchall()
        if too_big:
            problems.append(f"infinite metric values not clamped to max float: {too_big}")
        problems.extend(_latest_metric_problems(db))
        workspaces = db.execute("SELECT DISTINCT workspace FROM experiments").fetchall()
        if workspaces != [("default",)]:
            problems.append(f"experiment workspaces: {workspaces}")
    return problems


def _latest_metric_problems(db: sqlite3.Connection) -> list[str]:
    """latest_metrics must hold, per (run, key), the point with the largest (step, ts, value)."""
    expected: dict[tuple[str, str], tuple[int, int, float]] = {}
    for run, key, step, timestamp, value in db.execute(
        "SELECT run_uuid, key, step, timestamp, value FROM metrics"
    ):
        point = (step, timestamp, value)
        if (run, key) not in expected or point > expected[(run, key)]:
            expected[(run, key)] = point
    actual = {
        (run, key): (step, timestamp, value)
        for run, key, step, timestamp, value in db.execute(
            "SELECT run_uuid, key, step, timestamp, value FROM latest_metrics"
        )
    }
    if actual == expected:
        return []
    wrong = sorted(
        f"{key}@{run[:8]}: latest={actual.get((run, key))} expected={expected.get((run, key))}"
        for run, key in set(actual) | set(expected)
        if not _same(actual.get((run, key)), expected.get((run, key)))
    )
    return [f"latest_metrics out of sync: {wrong[:10]}"] if wrong else []


def _same(a: tuple | None, b: tuple | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(
        x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
        for x, y in zip(a, b, strict=True)
    )
