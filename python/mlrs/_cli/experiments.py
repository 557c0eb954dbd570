"""`mlrs experiments ls`: the experiments of a store as a table."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mlrs._cli._common import (
    add_store_option,
    add_view_option,
    open_store,
    print_table,
    view_type,
    when,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    experiments = subparsers.add_parser(
        "experiments",
        help="list experiments",
        description="List the experiments of a tracking store.",
    )
    commands = experiments.add_subparsers(title="commands", metavar="COMMAND")
    experiments.set_defaults(handler=lambda args: _usage(experiments))
    ls = commands.add_parser(
        "ls",
        help="list experiments as a table",
        description=(
            "List experiments, newest change first. --filter takes MLflow's "
            "search_experiments grammar, e.g. \"name LIKE 'sweep%'\" or \"tags.team = 'a'\"."
        ),
    )
    add_store_option(ls)
    ls.add_argument("--filter", default="", help="a filter in search_experiments' grammar")
    ls.add_argument(
        "--order-by",
        action="append",
        default=[],
        metavar="CLAUSE",
        help="repeatable (default: last_update_time DESC)",
    )
    add_view_option(ls)
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(handler=run_ls)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_ls(args: argparse.Namespace) -> int:
    from mlrs.exceptions import MlflowException

    store = open_store(args)
    order_by = args.order_by or ["last_update_time DESC"]
    try:
        rows = store.search_experiments(view_type(args.view), args.filter, order_by, 50_000, 0)
    except MlflowException as e:
        print(f"mlrs: {e.message}", file=sys.stderr)
        return 1
    experiments: list[dict[str, Any]] = [
        {
            "experiment_id": r.experiment_id,
            "name": r.name,
            "artifact_location": r.artifact_location,
            "lifecycle_stage": r.lifecycle_stage,
            "creation_time": r.creation_time,
            "last_update_time": r.last_update_time,
            "tags": dict(r.tags),
        }
        for r in rows
    ]
    if args.json:
        print(json.dumps({"experiments": experiments}, indent=2))
        return 0
    print_table(
        ["ID", "NAME", "STAGE", "CREATED", "UPDATED", "ARTIFACTS"],
        [
            [
                e["experiment_id"],
                e["name"],
                e["lifecycle_stage"],
                when(e["creation_time"]),
                when(e["last_update_time"]),
                e["artifact_location"] or "",
            ]
            for e in experiments
        ],
    )
    return 0
