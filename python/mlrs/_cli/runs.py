"""`mlrs runs ls|show|diff`: runs in the terminal, with metric last/min/max from every point."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mlrs._cli._common import (
    add_store_option,
    add_view_option,
    duration,
    number,
    open_store,
    print_table,
    view_type,
    when,
)

# How many metrics `runs ls` shows when --metrics does not say.
_DEFAULT_METRIC_COLUMNS = 3


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    runs = subparsers.add_parser(
        "runs",
        help="list, show and compare runs",
        description="List, show and compare runs of a tracking store.",
    )
    commands = runs.add_subparsers(title="commands", metavar="COMMAND")
    runs.set_defaults(handler=lambda args: _usage(runs))

    ls = commands.add_parser(
        "ls",
        help="list runs as a table",
        description=(
            "List runs with their metrics (last, min and max over every point), params and "
            "tags. --filter and --order-by take MLflow's search_runs grammar, e.g. "
            "\"metrics.loss < 0.1 AND params.lr = '0.01'\" and 'metrics.loss DESC'; "
            "--order-by also takes min(metrics.loss), max(...) and first(...)."
        ),
    )
    add_store_option(ls)
    ls.add_argument(
        "--experiment-id",
        "-e",
        action="append",
        dest="experiment_ids",
        metavar="ID",
        help="an experiment to list (repeatable; default: every active experiment)",
    )
    ls.add_argument("--experiment-name", "-n", help="an experiment to list, by name")
    ls.add_argument("--filter", default="", help="a filter in MLflow's search_runs grammar")
    ls.add_argument("--order-by", action="append", default=[], metavar="CLAUSE", help="repeatable")
    ls.add_argument(
        "--metrics",
        help="comma-separated metric keys to show, or '*' (default: the first "
        f"{_DEFAULT_METRIC_COLUMNS} keys)",
    )
    ls.add_argument("--params", default="", help="comma-separated param keys to show, or '*'")
    ls.add_argument("--tags", default="", help="comma-separated tag keys to show, or '*'")
    ls.add_argument("--max-results", type=int, default=100, help="default: 100")
    add_view_option(ls)
    ls.add_argument("--json", action="store_true", help="print the JSON of mlrs ui's API")
    ls.set_defaults(handler=run_ls)

    show = commands.add_parser(
        "show",
        help="show one run",
        description="Show one run: its info, params, metrics (last, min, max, first) and tags.",
    )
    add_store_option(show)
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    diff = commands.add_parser(
        "diff",
        help="compare runs side by side",
        description=(
            "Compare runs side by side: status, params, metrics (last value) and tags; by "
            "default only the rows that differ."
        ),
    )
    add_store_option(diff)
    diff.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    diff.add_argument("--all", action="store_true", help="also show the rows that are equal")
    diff.add_argument("--json", action="store_true", help="print JSON")
    diff.set_defaults(handler=run_diff)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _keys(text: str | None) -> list[str]:
    return [k.strip() for k in (text or "").split(",") if k.strip()]


def _fail(error: Exception) -> int:
    message = getattr(error, "message", str(error))
    print(f"mlrs: {message}", file=sys.stderr)
    return 1


def run_ls(args: argparse.Namespace) -> int:
    from mlrs.exceptions import MlflowException

    store = open_store(args)
    try:
        ids = list(args.experiment_ids or [])
        if args.experiment_name:
            found = store.get_experiment_by_name(args.experiment_name)
            if found is None:
                return _fail(ValueError(f"no experiment named {args.experiment_name!r}"))
            ids.append(found.experiment_id)
        if not ids:
            ids = [e.experiment_id for e in store.search_experiments(1, "", [], 50_000, 0)]
        metrics = _keys(args.metrics) if args.metrics is not None else ["*"]
        page = json.loads(
            store.runs_table_json(
                ids,
                view_type(args.view),
                args.filter,
                args.order_by,
                args.max_results,
                0,
                metrics,
                _keys(args.params),
                _keys(args.tags),
            )
        )
    except MlflowException as e:
        return _fail(e)
    if args.json:
        print(json.dumps(page, indent=2))
        return 0
    runs: list[dict[str, Any]] = page["runs"]
    if args.metrics is None:
        every = sorted({k for r in runs for k in r["metrics"]})
        shown = every[:_DEFAULT_METRIC_COLUMNS]
        if len(every) > len(shown):
            print(
                f"mlrs: showing {len(shown)} of {len(every)} metrics; choose with --metrics",
                file=sys.stderr,
            )
    elif metrics == ["*"]:
        shown = sorted({k for r in runs for k in r["metrics"]})
    else:
        shown = metrics
    params = sorted({k for r in runs for k in r["params"]})
    tags = sorted({k for r in runs for k in r["tags"]})
    header = ["RUN ID", "NAME", "STATUS", "START", "DURATION"]
    for key in shown:
        header += [f"{key} last", f"{key} min", f"{key} max"]
    header += [f"params.{k}" for k in params] + [f"tags.{k}" for k in tags]
    rows = []
    for r in runs:
        row = [
            r["run_id"],
            r["run_name"] or "",
            r["status"],
            when(r["start_time"]),
            duration(r["start_time"], r["end_time"]),
        ]
        for key in shown:
            m = r["metrics"].get(key)
            row += [number(m[f]) if m else "" for f in ("last", "min", "max")]
        row += [r["params"].get(k, "") for k in params] + [r["tags"].get(k, "") for k in tags]
        rows.append(row)
    print_table(header, rows)
    more = page["total"] - len(runs)
    if more > 0:
        print(f"({more} more; raise --max-results)", file=sys.stderr)
    return 0


def _rows(store: Any, run_ids: list[str]) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = json.loads(store.run_rows_json(run_ids))
    missing = set(run_ids) - {r["run_id"] for r in found}
    if missing:
        print(f"mlrs: no run with id {', '.join(sorted(missing))}", file=sys.stderr)
        return None
    return found


def run_show(args: argparse.Namespace) -> int:
    store = open_store(args)
    rows = _rows(store, [args.run_id])
    if rows is None:
        return 1
    run = rows[0]
    run["artifact_uri"] = store.get_run(args.run_id).artifact_uri
    if args.json:
        print(json.dumps(run, indent=2))
        return 0
    fields = [
        ("run_id", run["run_id"]),
        ("name", run["run_name"] or ""),
        ("experiment_id", run["experiment_id"]),
        ("status", run["status"]),
        ("lifecycle", run["lifecycle_stage"]),
        ("user", run["user_id"] or ""),
        ("start", when(run["start_time"])),
        ("end", when(run["end_time"])),
        ("duration", duration(run["start_time"], run["end_time"])),
        ("parent", run["parent_run_id"] or ""),
        ("artifacts", run["artifact_uri"] or ""),
    ]
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        print(f"{key.ljust(width)}  {value}")
    if run["params"]:
        print("\nParams")
        print_table(["KEY", "VALUE"], sorted(run["params"].items()), indent="  ")
    if run["metrics"]:
        print("\nMetrics")
        print_table(
            ["KEY", "LAST", "MIN", "MAX", "FIRST", "STEP"],
            [
                [key, *(number(m[f]) for f in ("last", "min", "max", "first")), str(m["step"])]
                for key, m in sorted(run["metrics"].items())
            ],
            indent="  ",
        )
    if run["tags"]:
        print("\nTags")
        print_table(["KEY", "VALUE"], sorted(run["tags"].items()), indent="  ")
    return 0


def run_diff(args: argparse.Namespace) -> int:
    store = open_store(args)
    runs = _rows(store, args.run_ids)
    if runs is None:
        return 1
    by_id = {r["run_id"]: r for r in runs}
    runs = [by_id[i] for i in args.run_ids]
    lines: list[tuple[str, list[str]]] = [
        ("run_name", [r["run_name"] or "" for r in runs]),
        ("experiment_id", [r["experiment_id"] for r in runs]),
        ("status", [r["status"] for r in runs]),
        ("duration", [duration(r["start_time"], r["end_time"]) for r in runs]),
    ]
    for kind in ("params", "metrics", "tags"):
        keys = sorted({k for r in runs for k in r[kind]})
        for key in keys:
            if kind == "metrics":
                values = [number(r[kind][key]["last"]) if key in r[kind] else "" for r in runs]
            else:
                values = [r[kind].get(key, "") for r in runs]
            lines.append((f"{kind}.{key}", values))
    shown = [(key, values) for key, values in lines if args.all or len(set(values)) > 1]
    if args.json:
        print(
            json.dumps(
                {
                    "run_ids": args.run_ids,
                    "rows": [{"key": k, "values": v, "same": len(set(v)) == 1} for k, v in shown],
                },
                indent=2,
            )
        )
        return 0
    if not shown:
        print("The runs do not differ.")
        return 0
    print_table(["KEY", *(r["run_id"][:8] for r in runs)], [[k, *v] for k, v in shown])
    return 0
