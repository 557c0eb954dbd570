"""`mlrs gc`: permanently delete what is in the `deleted` lifecycle stage, as `mlflow gc` does."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys

from mlrs._cli._common import add_store_option, open_store

_AGE = re.compile(
    r"^((?P<days>[\.\d]+?)d)?((?P<hours>[\.\d]+?)h)?((?P<minutes>[\.\d]+?)m)?"
    r"((?P<seconds>[\.\d]+?)s)?$"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gc",
        help="permanently delete deleted runs, experiments and logged models",
        description=(
            "Permanently delete runs, experiments and logged models in the `deleted` "
            "lifecycle stage, with their artifacts, as `mlflow gc` does. Without ids, "
            "everything deleted (and old enough, with --older-than) goes."
        ),
    )
    add_store_option(parser)
    parser.add_argument(
        "--older-than",
        metavar="AGE",
        help="only what was deleted at least this long ago, as #d#h#m#s (e.g. 1d2h, 1.5h)",
    )
    parser.add_argument(
        "--run-ids", help="comma-separated runs to delete (they must be in the deleted stage)"
    )
    parser.add_argument(
        "--experiment-ids",
        help="comma-separated experiments to delete with all their runs (they must be in the "
        "deleted stage)",
    )
    parser.add_argument(
        "--logged-model-ids",
        help="comma-separated logged models to delete (they must be in the deleted stage)",
    )
    parser.set_defaults(handler=run)


def _age_ms(text: str) -> int:
    from mlrs.exceptions import MlflowException
    from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    parts = _AGE.match(text)
    if parts is None:
        raise MlflowException(
            f"Could not parse any time information from '{text}'. "
            "Examples of valid strings: '8h', '2d8h5m20s', '2m4s'",
            INVALID_PARAMETER_VALUE,
        )
    scale = {"days": 86_400.0, "hours": 3_600.0, "minutes": 60.0, "seconds": 1.0}
    seconds = sum(float(v) * scale[k] for k, v in parts.groupdict().items() if v)
    return int(seconds * 1000)


def _remove_artifacts(location: str | None) -> None:
    """Deletes a run's or model's artifact directory, as MLflow's local repository does;
    locations off this machine are reported and skipped."""
    from mlrs import _artifacts

    if not location:
        return
    local = _artifacts.local_location(location)
    if local is None:
        print(
            f"mlrs gc: artifacts at {location} are not on this file system; they are left "
            "in place, delete them by hand.",
            file=sys.stderr,
        )
        return
    if os.path.exists(local):
        shutil.rmtree(local)


def _split(text: str | None) -> list[str] | None:
    return text.split(",") if text else None


def run(args: argparse.Namespace) -> int:
    from mlrs.exceptions import MlflowException

    try:
        _collect(args)
    except MlflowException as e:
        print(f"mlrs gc: {e.message}", file=sys.stderr)
        return 1
    return 0


def _collect(args: argparse.Namespace) -> None:
    import time

    from mlrs.exceptions import MlflowException
    from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    store = open_store(args)
    older_than = args.older_than
    age = _age_ms(older_than) if older_than is not None else 0
    run_ids = _split(args.run_ids)
    experiment_ids = _split(args.experiment_ids)
    model_ids = _split(args.logged_model_ids)

    old_deleted_runs = set(store.deleted_run_ids(age))
    to_delete = list(run_ids) if run_ids is not None else sorted(old_deleted_runs)
    deleted_models = set(store.deleted_logged_model_ids(0))
    old_deleted_models = set(store.deleted_logged_model_ids(age))
    models_to_delete = list(model_ids) if model_ids is not None else sorted(old_deleted_models)

    threshold = int(time.time() * 1000) - age
    if experiment_ids:
        experiments = [store.get_experiment(i) for i in experiment_ids]
        active = [e.experiment_id for e in experiments if e.lifecycle_stage != "deleted"]
        if active:
            raise MlflowException(
                f"Experiments {active} are not in the deleted lifecycle stage. Only experiments "
                "in the deleted lifecycle stage can be hard-deleted.",
                INVALID_PARAMETER_VALUE,
            )
        if older_than:
            young = [
                e.experiment_id
                for e in experiments
                if e.last_update_time is None or e.last_update_time >= threshold
            ]
            if young:
                raise MlflowException(
                    f"Experiments {young} are not older than the required age. Only "
                    f"experiments older than {older_than} can be deleted.",
                    INVALID_PARAMETER_VALUE,
                )
        experiments_to_delete = list(experiment_ids)
    else:
        filter_string = f"last_update_time < {threshold}" if older_than else ""
        experiments_to_delete = [
            row.experiment_id
            for row in store.search_experiments(2, filter_string, [], 1_000_000, 0)
        ]
    if experiments_to_delete:
        page = store.search_runs(experiments_to_delete, 2, "", [], 1_000_000, 0)
        to_delete += [row.run_id for row in page]

    # Everything is checked before anything is deleted (mlflow deletes in set order until it
    # meets a run it refuses, so what it removed before refusing varies from run to run).
    run_roots = []
    for run_id in dict.fromkeys(to_delete):
        run = store.get_run(run_id)
        if run.lifecycle_stage != "deleted":
            raise MlflowException(
                f"Run {run_id} is not in `deleted` lifecycle stage. Only runs in `deleted` "
                "lifecycle stage can be deleted."
            )
        if older_than and run_id not in old_deleted_runs:
            raise MlflowException(
                f"Run {run_id} is not older than the required age. Only runs older than "
                f"{older_than} can be deleted.",
                INVALID_PARAMETER_VALUE,
            )
        run_roots.append((run_id, run.artifact_uri))
    model_roots = []
    for model_id in dict.fromkeys(models_to_delete):
        model_root = store.get_logged_model(model_id, True).artifact_location
        if model_id not in deleted_models:
            raise MlflowException(
                f"Logged model {model_id} is not in `deleted` lifecycle stage. Only logged "
                "models in `deleted` lifecycle stage can be deleted."
            )
        if older_than and model_id not in old_deleted_models:
            raise MlflowException(
                f"Logged model {model_id} is not older than the required age. Only logged "
                f"models older than {older_than} can be deleted.",
                INVALID_PARAMETER_VALUE,
            )
        model_roots.append((model_id, model_root))

    for run_id, location in run_roots:
        _remove_artifacts(location)
        store.hard_delete_run(run_id)
        print(f"Run with ID {run_id} has been permanently deleted.", flush=True)
    for model_id, location in model_roots:
        _remove_artifacts(location)
        store.hard_delete_logged_model(model_id)
        print(f"Logged model with ID {model_id} has been permanently deleted.", flush=True)
    for experiment_id in experiments_to_delete:
        store.hard_delete_experiment(experiment_id)
        print(f"Experiment with ID {experiment_id} has been permanently deleted.", flush=True)
