"""Runs bad-input cases (a JSON list) through `mlflow` or `mlrs` and prints one outcome per case:
`ok`, `MlflowException <error code>`, or the name of another exception type.

Usage: python _bad_input_cases.py (mlflow|mlrs) cases.json
"""

from __future__ import annotations

import json
import sys
from typing import Any


def main() -> None:
    impl, path = sys.argv[1], sys.argv[2]
    tracking: Any = __import__(impl)
    with open(path) as f:
        cases = json.load(f)
    client = tracking.MlflowClient()
    experiment_id = client.create_experiment("bad-input")
    run_id = client.create_run(experiment_id).info.run_id
    runs = {"run": run_id, "none": None, "int": 5, "unknown": "f" * 32}
    outcomes = []
    for name, args in cases:
        outcomes.append(_outcome(tracking, client, experiment_id, runs, name, args))
    print(json.dumps(outcomes))


def _arg(value: Any) -> Any:
    """JSON's stand-ins for what it cannot carry: {"bytes": text}, {"float": "inf"}."""
    if isinstance(value, dict) and "bytes" in value:
        return value["bytes"].encode()
    if isinstance(value, dict) and "float" in value:
        return float(value["float"])
    return value


def _outcome(
    tracking: Any, client: Any, experiment_id: str, runs: dict[str, Any], name: str, args: Any
) -> str:
    rid = runs.get(args.pop("run", "run"), runs["run"])
    calls = {
        "log_metric": lambda a: client.log_metric(
            rid, a["key"], a["value"], timestamp=a["timestamp"], step=a["step"]
        ),
        "log_param": lambda a: client.log_param(rid, a["key"], a["value"]),
        "set_tag": lambda a: client.set_tag(rid, a["key"], a["value"]),
        "create_experiment": lambda a: client.create_experiment(a["name"]),
        "get_experiment_by_name": lambda a: client.get_experiment_by_name(a["name"]),
        "search_runs": lambda a: client.search_runs(
            [experiment_id],
            a["filter"],
            run_view_type=a["view"],
            order_by=a["order_by"],
        ),
        "get_metric_history": lambda a: client.get_metric_history(rid, a["key"]),
        "list_artifacts": lambda a: client.list_artifacts(rid, a["path"]),
        "search_runs_page": lambda a: client.search_runs(
            [_arg(x) for x in a["experiment_ids"]] or [experiment_id],
            max_results=_arg(a["max_results"]),
        ),
        "log_artifact": lambda a: client.log_artifact(rid, __file__, _arg(a["artifact_path"])),
    }
    if name == "search_runs_page":  # enough runs for a page size to show
        while len(client.search_runs([experiment_id], max_results=10)) < 4:
            client.create_run(experiment_id)
    try:
        result = calls[name](args)
        if name == "search_runs_page":
            return f"ok {len(result)} {result.token is not None}"
        if name in ("log_metric", "log_param", "set_tag"):
            getattr(tracking, "flush", lambda: None)()
    except tracking.exceptions.MlflowException as e:
        return f"MlflowException {e.error_code}"
    except Exception as e:  # the outcome is what is compared
        return type(e).__name__
    return "ok"


if __name__ == "__main__":
    main()
