"""`mlrs sync`: copy runs from one tracking store to another (a notebook's SQLite file to the
team's server, or between any two stores), or send what a remote store left in its spool.

Copying is idempotent: each copied run carries the tag `mlrs.sync.sourceRun` (the source run's
id), set after its data, and a run whose copy has that tag is not copied again.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from mlrs.entities import Run
    from mlrs.tracking import MlflowClient

SOURCE_RUN_TAG = "mlrs.sync.sourceRun"
_METRICS_PER_BATCH = 1000
_PARAMS_TAGS_PER_BATCH = 100


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="copy runs between tracking stores, or ship a remote store's spool",
        description=__doc__,
    )
    parser.add_argument("source", nargs="?", help="tracking URI to copy from")
    parser.add_argument("destination", nargs="?", help="tracking URI to copy to")
    parser.add_argument("--experiment", help="copy only the experiment of this name")
    parser.add_argument("--run-id", help="copy only this run")
    parser.add_argument(
        "--ship",
        metavar="SERVER_URL",
        help="send what ended mlrs processes left in the spool of this tracking server",
    )
    parser.set_defaults(handler=_main)


def _main(args: argparse.Namespace) -> int:
    if args.ship:
        return _ship(args.ship)
    if not args.source or not args.destination:
        print("mlrs sync: give SOURCE and DESTINATION, or --ship SERVER_URL", file=sys.stderr)
        return 2
    from mlrs.exceptions import MlflowException

    try:
        copied, skipped = sync(args.source, args.destination, args.experiment, args.run_id)
    except MlflowException as e:
        print(f"mlrs sync: {e.message}", file=sys.stderr)
        return 1
    print(f"{copied} run(s) copied, {skipped} already there", file=sys.stderr)
    return 0


def _ship(url: str) -> int:
    from mlrs import _core, _runtime
    from mlrs.exceptions import MlflowException

    try:
        # An azureml:// URI ships to its https endpoint with the workspace's token.
        server = _runtime._remote_uri(url) or url
        files, records, left = _core.ship_spool(server, _runtime._spool_dir())
    except MlflowException as e:
        print(f"mlrs sync: {e.message}", file=sys.stderr)
        return 1
    print(f"{records} record(s) from {files} spool file(s) sent to {url}", file=sys.stderr)
    if left:
        print(
            f"{left} spool file(s) left: their process is still running, or {url} did not answer",
            file=sys.stderr,
        )
        return 1
    return 0


def _progress(done: int, total: int, name: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[K[{done}/{total}] {name}")
        sys.stderr.flush()


def sync(
    source: str, destination: str, experiment: str | None = None, run_id: str | None = None
) -> tuple[int, int]:
    """Copies runs (params, metrics with their history, tags, status) from `source` to
    `destination`; returns (runs copied, runs already there)."""
    from mlrs.entities import ViewType
    from mlrs.exceptions import MlflowException
    from mlrs.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST
    from mlrs.tracking import MlflowClient

    src, dst = MlflowClient(source), MlflowClient(destination)
    if run_id is not None:
        runs = [src.get_run(run_id)]
    else:
        if experiment is not None:
            found = src.get_experiment_by_name(experiment)
            if found is None:
                raise MlflowException(
                    f"No experiment named {experiment!r} in {source}", RESOURCE_DOES_NOT_EXIST
                )
            experiment_ids = [found.experiment_id]
        else:
            experiment_ids = [e.experiment_id for e in src.search_experiments()]
        runs = []
        for experiment_id in experiment_ids:
            page = src.search_runs([experiment_id], run_view_type=ViewType.ACTIVE_ONLY)
            runs.extend(page)
            while page.token:
                page = src.search_runs(
                    [experiment_id], run_view_type=ViewType.ACTIVE_ONLY, page_token=page.token
                )
                runs.extend(page)
    targets: dict[str, str] = {}
    copied = skipped = 0
    for done, run in enumerate(runs, 1):
        _progress(done, len(runs), run.info.run_name or run.info.run_id)
        target = targets.get(run.info.experiment_id)
        if target is None:
            target = _destination_experiment(src, dst, run.info.experiment_id)
            targets[run.info.experiment_id] = target
        if _already_copied(dst, target, run.info.run_id):
            skipped += 1
            continue
        _copy_run(src, dst, run, target)
        copied += 1
    if runs and sys.stderr.isatty():
        sys.stderr.write("\n")
    from mlrs import _runtime

    _runtime.flush_all()
    return copied, skipped


def _destination_experiment(src: MlflowClient, dst: MlflowClient, experiment_id: str) -> str:
    experiment = src.get_experiment(experiment_id)
    found = dst.get_experiment_by_name(experiment.name)
    if found is not None:
        return found.experiment_id
    return dst.create_experiment(experiment.name, tags=dict(experiment.tags))


def _already_copied(dst: MlflowClient, experiment_id: str, run_id: str) -> bool:
    from mlrs.entities import ViewType

    found = dst.search_runs(
        [experiment_id],
        filter_string=f"tags.`{SOURCE_RUN_TAG}` = '{run_id}'",
        run_view_type=ViewType.ALL,
        max_results=1,
    )
    return len(found) > 0


def _copy_run(src: MlflowClient, dst: MlflowClient, run: Run, experiment_id: str) -> None:
    from mlrs.entities import Param, RunTag

    info = run.info
    tags = {k: v for k, v in run.data.tags.items() if k != SOURCE_RUN_TAG}
    copy = dst.create_run(
        experiment_id, start_time=info.start_time, tags=tags, run_name=info.run_name
    )
    new_id = copy.info.run_id
    params = [Param(k, v) for k, v in run.data.params.items()]
    for i in range(0, len(params), _PARAMS_TAGS_PER_BATCH):
        dst.log_batch(new_id, params=params[i : i + _PARAMS_TAGS_PER_BATCH])
    for key in run.data.metrics:
        history = list(src.get_metric_history(info.run_id, key))
        for i in range(0, len(history), _METRICS_PER_BATCH):
            dst.log_batch(new_id, metrics=history[i : i + _METRICS_PER_BATCH])
    # Last, so an interrupted copy is not taken for a finished one.
    dst.log_batch(new_id, tags=[RunTag(SOURCE_RUN_TAG, info.run_id)])
    if info.status != "RUNNING":
        dst.set_terminated(new_id, info.status, info.end_time)
