"""The checks MLflow makes on Python values (types, conversions, truncation). Rules about the
strings themselves (names, lengths, batch limits) live in the Rust engine."""

from __future__ import annotations

import numbers
import os
import sys

from mlrs import _log
from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import (
    BAD_REQUEST,
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    _F = TypeVar("_F", bound=Callable[..., Any])

_NAME_CHARACTERS_MESSAGE = (
    "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces "
    "( ), colon(:) and slashes (/)."
)
_TOO_LARGE = "Python int too large to convert to SQLite INTEGER"


def mlflow_errors(func: _F) -> _F:
    """Gives a public call MLflow's exception for values the engine cannot even take as
    arguments: text that is not valid Unicode (a lone surrogate such as '\\ud800') and integers
    beyond 64 bits. MLflow's SQLite store fails on both when it binds them, with these messages
    and INTERNAL_ERROR; before, they escaped as UnicodeEncodeError and OverflowError."""

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UnicodeEncodeError as e:
            raise MlflowException(str(e), INTERNAL_ERROR) from e
        except OverflowError as e:
            raise MlflowException(_TOO_LARGE, INTERNAL_ERROR) from e

    call.__name__ = func.__name__
    call.__qualname__ = func.__qualname__
    call.__doc__ = func.__doc__
    call.__module__ = func.__module__
    call.__wrapped__ = func  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]


def mlflow_errors_on_class(cls: type) -> None:
    """`mlflow_errors` on every public method of `cls`, inherited ones included."""
    function = type(mlflow_errors)
    for klass in reversed(cls.__mro__[:-1]):
        for name, value in vars(klass).items():
            if not name.startswith("_") and type(value) is function:
                setattr(cls, name, mlflow_errors(getattr(cls, name)))


def run_id(value: Any) -> str:
    """A run id argument. Anything but a string names no run: MLflow checks the call's other
    arguments first, then looks the id up and reports `Run with id=None not found`; its text
    does the same here."""
    return value if isinstance(value, str) else str(value)


def view_type(value: Any) -> int | None:
    """A view type as MLflow's stores take it: 1, 2 or 3 (also as 1.0 ...); anything else
    (None, a name, 2**70) matches nothing, and the search returns no rows."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return None
    as_number: Any = value
    return int(as_number) if as_number in (1, 2, 3) else None


def order_by(clauses: Any) -> list[str]:
    """order_by clauses, which must be strings of valid Unicode."""
    checked = []
    for clause in clauses or []:
        if not isinstance(clause, str):
            raise MlflowException(
                f"Error on parsing order_by clause '{clause}'", INVALID_PARAMETER_VALUE
            )
        if not clause.isascii() and not encodable(clause):
            raise MlflowException(
                f"Invalid order_by clause '{clause}'. Could not be parsed.",
                INVALID_PARAMETER_VALUE,
            )
        checked.append(clause)
    return checked


def utf8(text: str) -> str:
    """Text the engine will take: UnicodeEncodeError (made MlflowException by
    `mlflow_errors`) for text no UTF-8 encoder takes, even where nothing else reads it."""
    if not text.isascii():
        text.encode("utf-8")
    return text


def encodable(text: str) -> bool:
    """True for text a UTF-8 encoder takes (no lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

PARAM_VALIDATION_MSG = """

The cause of this error is typically due to repeated calls
to an individual run_id event logging.

Incorrect Example:
---------------------------------------
with mlflow.start_run():
    mlflow.log_param("depth", 3)
    mlflow.log_param("depth", 5)
---------------------------------------

Which will throw an MlflowException for overwriting a
logged parameter.

Correct Example:
---------------------------------------
with mlflow.start_run():
    with mlflow.start_run(nested=True):
        mlflow.log_param("depth", 3)
    with mlflow.start_run(nested=True):
        mlflow.log_param("depth", 5)
---------------------------------------

Which will create a new nested run for each individual
model and prevent parameter key collisions within the
tracking store."""


def _path(prefix: str, field: str) -> str:
    return f"{prefix}.{field}" if prefix else field


def invalid_value(path: str, value: Any, message: str | None = None) -> str:
    import json

    shown = json.dumps(value, sort_keys=True, separators=(",", ":"))
    if message:
        return f"Invalid value {shown} for parameter '{path}' supplied: {message}"
    return f"Invalid value {shown} for parameter '{path}' supplied."


def _to_float(value: Any) -> Any:
    """MLflow's `convert_metric_value_to_float_if_possible`: numpy arrays of one element,
    tensors of the frameworks already imported, then `float()`; other values pass through for
    validation to refuse."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        try:
            return float(value.item())
        except ValueError as e:
            raise MlflowException(
                f"Failed to convert metric value to float: {e}", INVALID_PARAMETER_VALUE
            ) from e
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        try:
            return float(value.item())
        except (ValueError, RuntimeError) as e:
            raise MlflowException(
                f"Failed to convert metric value to float: {e}", INVALID_PARAMETER_VALUE
            ) from e
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(value, tf.Tensor):
        try:
            return float(value.numpy().item())
        except ValueError as e:
            raise MlflowException(
                f"Failed to convert metric value to float: {e}", INVALID_PARAMETER_VALUE
            ) from e
    try:
        return float(value)
    except ValueError:
        return value


def _is_numeric(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


def metric_value(value: Any, timestamp: Any, prefix: str = "") -> float:
    """A metric value as the float MLflow stores, or MLflow's refusal."""
    if value is None:
        raise MlflowException(
            f"Missing value for required parameter '{_path(prefix, 'value')}'.",
            INVALID_PARAMETER_VALUE,
        )
    converted = _to_float(value)
    if not _is_numeric(converted):
        raise MlflowException(
            invalid_value(
                _path(prefix, "value"),
                converted,
                f"(timestamp={timestamp}). Please specify value as a valid double "
                "(64-bit floating point)",
            ),
            INVALID_PARAMETER_VALUE,
        )
    return float(converted)


def metric_timestamp(timestamp: Any, key: Any, value: Any, prefix: str = "") -> int:
    if not isinstance(timestamp, numbers.Number) or timestamp < 0:  # type: ignore[operator]
        raise MlflowException(
            invalid_value(
                _path(prefix, "timestamp"),
                timestamp,
                f"metric '{key}' (value={value}). Timestamp must be a nonnegative long "
                "(64-bit integer) ",
            ),
            INVALID_PARAMETER_VALUE,
        )
    return _int64(timestamp)


def metric_step(step: Any, key: Any, value: Any, prefix: str = "") -> int:
    if not isinstance(step, numbers.Number):
        raise MlflowException(
            invalid_value(
                _path(prefix, "step"),
                step,
                f"metric '{key}' (value={value}). Step must be a valid long (64-bit integer).",
            ),
            INVALID_PARAMETER_VALUE,
        )
    return _int64(step)


def _int64(number: Any) -> int:
    if isinstance(number, float) and number != number:  # NaN
        # What MLflow's store reports when SQLite is handed a NaN step or timestamp.
        raise MlflowException(
            "(sqlite3.IntegrityError) NOT NULL constraint failed: a step or timestamp is NaN",
            BAD_REQUEST,
        )
    if isinstance(number, float) and number in (float("inf"), float("-inf")):
        raise MlflowException(
            f"A step or timestamp of {number} cannot be stored by mlrs (MLflow stores it as a "
            "float in an integer column, which mlrs does not reproduce)",
            INVALID_PARAMETER_VALUE,
        )
    as_int = int(number)
    if not _INT64_MIN <= as_int <= _INT64_MAX:
        raise MlflowException("Python int too large to convert to SQLite INTEGER", INTERNAL_ERROR)
    return as_int


def metric_key(key: Any, prefix: str = "") -> str:
    """A metric name must be a string; None gets MLflow's message, other types a TypeError."""
    if key is None:
        raise MlflowException(
            f"Invalid value null for parameter '{_path(prefix, 'name')}' supplied: Metric name "
            "cannot be None. A key name must be provided.",
            INVALID_PARAMETER_VALUE,
        )
    return _string_key(key, _path(prefix, "name"))


def param_key(key: Any, prefix: str = "") -> str:
    if key is None:
        raise MlflowException(
            invalid_value(_path(prefix, "key"), "", "A key name must be provided."),
            INVALID_PARAMETER_VALUE,
        )
    return _string_key(key, _path(prefix, "key"))


def tag_key(key: Any, prefix: str = "") -> str:
    if key is None:
        raise MlflowException(
            f"Missing value for required parameter '{_path(prefix, 'key')}'.",
            INVALID_PARAMETER_VALUE,
        )
    return _string_key(key, _path(prefix, "key"))


def _string_key(key: Any, field: str = "key") -> str:
    if isinstance(key, str):
        if not key.isascii() and not encodable(key):
            # Not a name MLflow's character rule accepts (it checks before anything is stored).
            import json

            raise MlflowException(
                f"Invalid value {json.dumps(key)} for parameter '{field}' supplied: "
                f"{_NAME_CHARACTERS_MESSAGE}",
                INVALID_PARAMETER_VALUE,
            )
        return key
    if isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError("cannot use a string pattern on a bytes-like object")
    # What `re.fullmatch` raises for a non-string, which is what MLflow's users see.
    raise TypeError(f"expected string or bytes-like object, got '{type(key).__name__}'")


def tag_key_in_store(key: Any, prefix: str = "") -> str:
    """A run tag's name where MLflow checks it inside the store's session, which turns a
    TypeError into an INTERNAL_ERROR MlflowException."""
    try:
        return tag_key(key, prefix)
    except TypeError as e:
        raise MlflowException(str(e), INTERNAL_ERROR) from e


def truncate(entity: str, value: str, limit: int) -> str:
    """Cuts a too-long param or tag value to the limit with MLflow's warning, unless
    `MLFLOW_TRUNCATE_LONG_VALUES` is false (then the engine refuses it)."""
    if len(value) <= limit:
        return value
    if os.environ.get("MLFLOW_TRUNCATE_LONG_VALUES", "true").lower() in ("false", "0"):
        return value
    _log.logger().warning(
        "%s '%s...' (%d characters) is truncated to %d characters to meet the length limit.",
        entity,
        value[:100],
        len(value),
        limit,
    )
    return value[:limit]


def param_value(value: str) -> str:
    return truncate("Param value", value, MAX_PARAM_VAL_LENGTH)


def tag_value(value: str, prefix: str = "") -> str:
    return truncate(_path(prefix, "value"), value, MAX_TAG_VAL_LENGTH)


def experiment_name(name: Any) -> str:
    if name is None or (isinstance(name, str) and not name.strip()):
        raise MlflowException(f"Invalid experiment name: '{name}'", INVALID_PARAMETER_VALUE)
    if not isinstance(name, str):
        raise MlflowException(
            f"Invalid experiment name: {name}. Expects a string.", INVALID_PARAMETER_VALUE
        )
    return name


def experiment_id_type(experiment_id: Any) -> str | None:
    """MLflow accepts str, int or None as an experiment id argument; ints become strings."""
    if experiment_id is not None and not isinstance(experiment_id, (str, int)):
        raise MlflowException(
            f"Invalid experiment id: {experiment_id} of type {type(experiment_id)}. "
            "Must be one of str, int, or None.",
            INVALID_PARAMETER_VALUE,
        )
    return str(experiment_id) if isinstance(experiment_id, int) else experiment_id
