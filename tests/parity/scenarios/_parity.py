"""Helpers shared by the parity scenarios.

A scenario is a plain script that exercises the tracking API and records what it observes. It runs
once under real mlflow and once under mlrs (``PARITY_IMPL=mlflow|mlrs``); ``test_parity.py``
normalises both record streams (run ids, timestamps, paths) and compares them line by line.

Every record is one line on stdout: ``@@parity {"label": ..., "value": ...}``. Values go through
:func:`describe`, which turns API results into JSON while keeping the types visible (``1`` and
``1.0`` and ``"1"`` print differently), so a record compares values *and* types.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

IMPL = os.environ.get("PARITY_IMPL", "mlflow")
mlflow: Any = importlib.import_module(IMPL)

MARKER = "@@parity "

RUN_INFO_FIELDS = (
    "run_id",
    "run_name",
    "experiment_id",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "lifecycle_stage",
    "artifact_uri",
)
EXPERIMENT_FIELDS = (
    "experiment_id",
    "name",
    "artifact_location",
    "lifecycle_stage",
    "creation_time",
    "last_update_time",
    "tags",
    "workspace",
)
METRIC_FIELDS = (
    "key",
    "value",
    "timestamp",
    "step",
    "run_id",
    "model_id",
    "dataset_name",
    "dataset_digest",
)
MISSING = "<missing attribute>"


def record(label: str, value: Any) -> None:
    """Print one record; ``value`` is passed through :func:`describe`."""
    line = json.dumps({"label": label, "value": describe(value)}, sort_keys=True)
    print(MARKER + line, flush=True)


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: describe(getattr(obj, name, MISSING)) for name in names}


def describe(value: Any) -> Any:
    """JSON-able description of an API value, keeping Python types apparent.

    Entities are described by their class name and public fields, so the same description comes
    out of ``mlflow.entities.Run`` and ``mlrs.entities.Run``.
    """
    kind = type(value).__name__
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is dict:
        if all(type(key) is str for key in value):
            return {key: describe(item) for key, item in value.items()}
        return {"__type__": "dict", "items": sorted(repr(pair) for pair in value.items())}
    if type(value) is list:
        return [describe(item) for item in value]
    if type(value) is tuple:
        return {"__type__": "tuple", "items": [describe(item) for item in value]}
    if isinstance(value, bytes):
        return {"__type__": kind, "text": value.decode("latin-1")}
    if kind in ("Run", "ActiveRun"):
        data = getattr(value, "data", None)
        return {
            "__type__": kind,
            "info": describe(getattr(value, "info", MISSING)),
            "data": {
                name: describe(getattr(data, name, MISSING))
                for name in ("metrics", "params", "tags")
            },
        }
    if kind == "RunData":
        return {"__type__": kind, **_fields(value, ("metrics", "params", "tags"))}
    if kind == "RunInfo":
        return {"__type__": kind, **_fields(value, RUN_INFO_FIELDS)}
    if kind == "Experiment":
        return {"__type__": kind, **_fields(value, EXPERIMENT_FIELDS)}
    if kind == "Metric":
        return {"__type__": kind, **_fields(value, METRIC_FIELDS)}
    if kind in ("Param", "RunTag", "ExperimentTag"):
        return {"__type__": kind, **_fields(value, ("key", "value"))}
    if kind == "PagedList":
        return {
            "__type__": kind,
            "items": [describe(item) for item in value],
            "token": describe(getattr(value, "token", MISSING)),
        }
    if kind == "DataFrame":
        return _describe_frame(value)
    if hasattr(value, "item") and getattr(value, "shape", None) == ():  # numpy scalar
        return {"__type__": kind, "value": describe(value.item())}
    return {"__type__": kind}


def _describe_frame(frame: Any) -> dict[str, Any]:
    """A DataFrame: the fixed leading columns in order, the rest as a set, rows in order.

    mlflow builds the metrics/params/tags columns from set iteration, so their order is
    arbitrary: they are sorted here.
    """
    import pandas as pd

    columns = [str(column) for column in frame.columns]
    fixed = columns[:6]
    rows = []
    for _, row in frame.iterrows():
        cells = {}
        for column in columns:
            cell = row[column]
            if isinstance(cell, pd.Timestamp):
                cell = int((cell - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1))
            elif cell is pd.NaT:
                cell = {"__type__": "NaT"}
            cells[column] = describe(cell)
        rows.append(cells)
    return {
        "__type__": "DataFrame",
        "shape": list(frame.shape),
        "leading_columns": fixed,
        "other_columns": sorted(columns[6:]),
        "dtypes": {str(column): str(dtype) for column, dtype in frame.dtypes.items()},
        "rows": rows,
    }


def describe_error(error: BaseException, msg: Callable[[str], str | None] | None = None) -> dict:
    """Exception class name, ``error_code`` (if any) and message (optionally transformed)."""
    message: str | None = str(error)
    if msg is not None:
        message = msg(message)
    return {
        "error": type(error).__name__,
        "error_code": getattr(error, "error_code", None),
        "message": message,
    }


def no_message(_: str) -> None:
    """For ``call(..., msg=no_message)``: compare only the exception type and error code."""
    return None


def until(text: str) -> Callable[[str], str]:
    """For ``call(..., msg=until(x))``: compare the message up to and including ``x``."""

    def cut(message: str) -> str:
        index = message.find(text)
        return message if index < 0 else message[: index + len(text)]

    return cut


def call(
    label: str, fn: Callable[[], Any], *, msg: Callable[[str], str | None] | None = None
) -> Any:
    """Run ``fn()`` and record what it returned or raised; return its result (None if it raised).

    ``KeyboardInterrupt`` is caught and recorded like any other exception; ``SystemExit`` is not.
    """
    try:
        result = fn()
    except SystemExit:
        raise
    except BaseException as error:
        record(label, {"raised": describe_error(error, msg)})
        return None
    record(label, {"returned": describe(result)})
    return result


# Readability alias: ``expect_error("label", lambda: ...)`` records the same way as ``call``.
expect_error = call


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


@contextlib.contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Capture what the library writes to stderr or logs (at any logger) while the block runs.

    mlflow's handler writes to whatever ``sys.stderr`` is at the time, so swapping it is enough
    for mlflow; the extra root handler catches libraries whose loggers propagate.
    """
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    saved_stderr, saved_level = sys.stderr, root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sys.stderr = buffer
    try:
        yield buffer
    finally:
        sys.stderr = saved_stderr
        root.removeHandler(handler)
        root.setLevel(saved_level)


def run_child(
    label: str, code: str, *, env: dict[str, str] | None = None, invocation: str = "relative"
) -> int:
    """Run ``code`` as ``<label>.py`` in a new interpreter in the cwd and re-record its records.

    The child sees the same environment (plus ``env``), so it uses the same implementation.
    ``invocation`` is how the code is started: ``relative`` (``python <label>.py``),
    ``absolute`` (``python /abs/<label>.py``) or ``-c`` (``python -c <code>``).
    Records come back prefixed with ``label``; the exit status is recorded too.
    """
    script = f"{label}.py"
    with open(script, "w", encoding="utf-8") as file:
        file.write(code)
    argv = {
        "relative": [sys.executable, script],
        "absolute": [sys.executable, os.path.abspath(script)],
        "-c": [sys.executable, "-c", code],
    }[invocation]
    child_env = {**os.environ, **(env or {})}
    done = subprocess.run(argv, env=child_env, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            item = json.loads(line[len(MARKER) :])
            item["label"] = f"{label}/{item['label']}"
            print(MARKER + json.dumps(item, sort_keys=True), flush=True)
    if done.returncode != 0:
        sys.stderr.write(f"--- stderr of child {label} ---\n{done.stderr}")
    record(f"{label}/exit", done.returncode)
    return done.returncode


def _record_uncaught(kind: type[BaseException], error: BaseException, tb: Any) -> None:
    record("<uncaught>", describe_error(error))
    sys.__excepthook__(kind, error, tb)


sys.excepthook = _record_uncaught
