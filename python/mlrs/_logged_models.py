"""Logged models (``m-<id>``) over the store: create, finalize, get, search, and the outputs that
link a run to the models it produced. The fluent functions, the client methods and
``log_model`` all go through here."""

from __future__ import annotations

import threading

from mlrs import _runtime
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

# `import mlrs` imports this module: the entities (and `enum`) load on first use.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._core import Store
    from mlrs.entities.logged_model import LoggedModel
    from mlrs.entities.logged_model_status import LoggedModelStatus
    from mlrs.entities.run import Run

_BAD_NAME_CHARS = ("/", ":", ".", "%", '"', "'")

# The last model this thread logged (`last_logged_model`), as MLflow keeps it per thread.
_last = threading.local()


def _model(row: tuple[Any, ...]) -> LoggedModel:
    from mlrs.entities.logged_model import LoggedModel
    from mlrs.entities.metric import Metric

    info, tags, params, metrics = row
    (model_id, experiment_id, name, location, created, updated, status, _stage) = info[:8]
    model_type, source_run_id, status_message = info[8:]
    return LoggedModel(
        experiment_id=experiment_id,
        model_id=model_id,
        name=name,
        artifact_location=location,
        creation_timestamp=created,
        last_updated_timestamp=updated,
        model_type=model_type,
        source_run_id=source_run_id,
        status=status,
        status_message=status_message,
        tags=dict(tags),
        params=dict(params),
        metrics=[
            Metric(
                key,
                value,
                timestamp,
                step,
                model_id=model_id,
                dataset_name=dataset_name,
                dataset_digest=dataset_digest,
                run_id=run_id,
            )
            for key, value, timestamp, step, run_id, dataset_name, dataset_digest in metrics
        ],
    )


def validate_name(name: str | None) -> None:
    if name is None:
        return
    if not name or any(c in name for c in _BAD_NAME_CHARS):
        raise MlflowException(
            f"Invalid model name ({name!r}) provided. Model name must be a non-empty string "
            f"and cannot contain the following characters: {_BAD_NAME_CHARS}",
            INVALID_PARAMETER_VALUE,
        )


def create(
    store: Store,
    experiment_id: str,
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    model_type: str | None = None,
) -> LoggedModel:
    validate_name(name)
    row = store.create_logged_model(
        str(experiment_id),
        name or "",  # the engine names an unnamed model as MLflow does (adjective-noun-N)
        source_run_id,
        model_type,
        [(str(k), str(v)) for k, v in (params or {}).items()],
        [(str(k), str(v)) for k, v in (tags or {}).items()],
    )
    model = _model(row)
    _last.model_id = model.model_id
    return model


def finalize(store: Store, model_id: str, status: str | LoggedModelStatus) -> LoggedModel:
    from mlrs.entities.logged_model_status import LoggedModelStatus

    # An unknown status name raises the enum's ValueError, as in MLflow.
    code = LoggedModelStatus(status).to_int()
    return _model(store.finalize_logged_model(model_id, code))


def get(store: Store, model_id: str) -> LoggedModel:
    return _model(store.get_logged_model(model_id))


def last_model_id() -> str | None:
    return getattr(_last, "model_id", None)


def fill_outputs(store: Store, runs: list[Run]) -> None:
    """Sets each run's `outputs.model_outputs` from the store."""
    if not runs:
        return
    from mlrs.entities.logged_model_output import LoggedModelOutput

    outputs = store.model_outputs([r.info.run_id for r in runs])
    for run, pairs in zip(runs, outputs, strict=True):
        if run.outputs is not None:
            run.outputs.model_outputs[:] = [LoggedModelOutput(m, s) for m, s in pairs]


def with_outputs(store: Store, run: Run) -> Run:
    fill_outputs(store, [run])
    return run


_COMPARATORS = ("!=", "<=", ">=", "=", "<", ">")


def parse_filter(filter_string: str | None) -> list[tuple[str, str, str]]:
    """`attr = 'value' AND ...` on model attributes (name, model_id, source_run_id, model_type,
    status, creation_timestamp, last_updated_timestamp) into `(attribute, op, value)`."""
    import re

    from mlrs.entities.logged_model_status import LoggedModelStatus

    if not filter_string or not filter_string.strip():
        return []
    out: list[tuple[str, str, str]] = []
    clause = re.compile(
        r"""\s*(?:attributes\.)?`?([A-Za-z_]+)`?\s*(!=|<=|>=|=|<|>|\s(?:I?LIKE)\s)\s*"""
        r"""('(?:[^']*)'|"(?:[^"]*)"|-?\d+)\s*$""",
        re.IGNORECASE,
    )
    for part in re.split(r"\s+AND\s+", filter_string.strip(), flags=re.IGNORECASE):
        m = clause.match(part)
        if m is None:
            raise MlflowException(
                f"Invalid filter string '{filter_string}'. Only attribute comparisons joined "
                "by AND are supported by mlrs.",
                INVALID_PARAMETER_VALUE,
            )
        attribute, op, value = m.group(1), m.group(2).strip().upper(), m.group(3)
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        if attribute == "status" and not value.lstrip("-").isdigit():
            try:
                value = str(LoggedModelStatus(value).to_int())
            except ValueError:
                raise MlflowException(
                    f"Invalid status '{value}'", INVALID_PARAMETER_VALUE
                ) from None
        out.append((attribute, op, value))
    return out


def search(
    store: Store,
    experiment_ids: list[str],
    filter_string: str | None,
    max_results: int | None,
    offset: int,
) -> list[LoggedModel]:
    limit = 100 if max_results is None else max_results
    rows = store.search_logged_models(
        [str(e) for e in experiment_ids], parse_filter(filter_string), limit, offset
    )
    return [_model(r) for r in rows]


def _store() -> Store:
    return _runtime.get_store()


# ---- fluent ------------------------------------------------------------------------------


def get_logged_model(model_id: str) -> LoggedModel:
    """The logged model with this id (``m-...``)."""
    return get(_store(), model_id)


def last_logged_model() -> LoggedModel | None:
    """The model this thread logged last, or None."""
    model_id = last_model_id()
    return None if model_id is None else get(_store(), model_id)


def finalize_logged_model(model_id: str, status: str | LoggedModelStatus) -> LoggedModel:
    """Sets a logged model's status to READY or FAILED."""
    return finalize(_store(), model_id, status)


def search_logged_models(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    datasets: list[dict[str, str]] | None = None,
    max_results: int | None = None,
    order_by: list[dict[str, Any]] | None = None,
    output_format: str = "pandas",
) -> Any:
    """Logged models of the experiments (by default the current one), newest first, as a pandas
    DataFrame or (``output_format="list"``) a list of ``LoggedModel``."""
    from mlrs._fluent import _get_experiment_id

    if datasets or order_by:
        raise MlflowException(
            "mlrs's search_logged_models does not support `datasets` or `order_by` yet.",
            INVALID_PARAMETER_VALUE,
        )
    if output_format not in ("pandas", "list"):
        raise MlflowException(
            f"Unsupported output format: {output_format!r}. Supported string values are "
            "'pandas' or 'list'",
            INVALID_PARAMETER_VALUE,
        )
    ids = experiment_ids or [_get_experiment_id()]
    limit = max_results if max_results is not None else 2**62
    models = search(_store(), ids, filter_string, limit, 0)
    if output_format == "list":
        return models
    import pandas as pd

    from mlrs.entities.logged_model_status import LoggedModelStatus

    dicts = []
    for model in models:
        d = model.to_dictionary()
        d["status"] = LoggedModelStatus.from_int(d["status"])
        dicts.append(d)
    return pd.DataFrame(dicts)
