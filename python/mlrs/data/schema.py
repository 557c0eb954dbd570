"""Dataset schemas as MLflow 3.18 infers and stores them.

A DataFrame's schema is a list of column specs (``{"type": "long", "name": "a", "required":
true}``; lists become ``{"type": "array", "items": ...}``, dicts ``{"type": "object",
"properties": ...}``, all-missing values ``{"type": "any"}``); arrays get tensor specs
(``{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}``). Inference
follows MLflow's rules (numpy dtype kinds and sizes; object columns typed by their values; a
column is required when it has no None/NaN/NA), so the stored JSON is the same text MLflow
stores. ``Schema`` here holds those specs as dicts; it is an ``mlrs.types.Schema`` and compares
equal to one built from the same JSON (``mlrs.types.Schema.from_json(schema.to_json())``).
"""

from __future__ import annotations

from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlrs.types import schema as _types

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Types are kept as: a DataType name (str), _ANY, ("array", item type) or
# ("object", {property: (type, required)}).
_ANY = ("any",)


class _Unsupported(Exception):
    """The data has no MLflow schema; the dataset's schema is then None."""


class Schema(_types.Schema):
    """An ordered list of column specs or tensor specs, as JSON-compatible dicts."""

    def __init__(self, inputs: list[dict[str, Any]]) -> None:
        if not inputs:
            raise MlflowException(
                "Creating Schema with empty inputs is not allowed.", INVALID_PARAMETER_VALUE
            )
        self._specs = inputs

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """The specs, in column order."""
        return self._specs

    def __len__(self) -> int:
        return len(self._specs)

    def __iter__(self) -> Any:
        return iter(self._specs)

    def input_names(self) -> list[Any]:
        """Column (or tensor) names; the position for unnamed ones."""
        return [spec.get("name", i) for i, spec in enumerate(self._specs)]

    def input_types(self) -> list[Any]:
        """Each input's type: a type name, or the nested dict for arrays, objects and tensors."""
        return [
            spec["tensor-spec"]["dtype"]
            if spec["type"] == "tensor"
            else spec["type"]
            if spec["type"] not in ("array", "object")
            else {k: v for k, v in spec.items() if k not in ("name", "required")}
            for spec in self._specs
        ]

    def is_tensor_spec(self) -> bool:
        """True for tensor specs (arrays), False for column specs (tables)."""
        return bool(self._specs[0]["type"] == "tensor")

    def to_dict(self) -> list[dict[str, Any]]:
        """The specs as MLflow serialises them."""
        return [dict(spec) for spec in self._specs]

    def to_json(self) -> str:
        import json

        return json.dumps(self._specs)

    @classmethod
    def from_json(cls, json_str: str) -> Schema:
        import json

        return cls(json.loads(json_str))

    def has_input_names(self) -> bool:
        return all("name" in spec for spec in self._specs)

    def __eq__(self, other: object) -> bool:
        # Equal to any mlrs.types.Schema of the same specs (e.g. built from this JSON).
        if isinstance(other, _types.Schema):
            return self.to_dict() == other.to_dict()
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"Schema({self._specs!r})"


class TensorDatasetSchema:
    """The schema of array features and optional array targets."""

    def __init__(self, features: Schema, targets: Schema | None = None) -> None:
        if not isinstance(features, Schema):
            raise MlflowException(
                f"features must be mlflow.types.Schema, got '{type(features)}'",
                INVALID_PARAMETER_VALUE,
            )
        if targets is not None and not isinstance(targets, Schema):
            raise MlflowException(
                f"targets must be either None or mlflow.types.Schema, got '{type(features)}'",
                INVALID_PARAMETER_VALUE,
            )
        self.features = features
        self.targets = targets

    def to_dict(self) -> dict[str, Any]:
        """``{"mlflow_tensorspec": {"features": <JSON text>, "targets": <JSON text> | None}}``."""
        return {
            "mlflow_tensorspec": {
                "features": self.features.to_json(),
                "targets": self.targets.to_json() if self.targets is not None else None,
            },
        }

    @classmethod
    def from_dict(cls, schema_dict: dict[str, Any]) -> TensorDatasetSchema:
        if "mlflow_tensorspec" not in schema_dict:
            raise MlflowException(
                "TensorDatasetSchema dictionary is missing expected key 'mlflow_tensorspec'",
                INVALID_PARAMETER_VALUE,
            )
        spec = schema_dict["mlflow_tensorspec"]
        targets = spec.get("targets")
        return cls(
            Schema.from_json(spec["features"]),
            Schema.from_json(targets) if targets is not None else None,
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TensorDatasetSchema)
            and self.features == other.features
            and self.targets == other.targets
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"features:\n  {self.features!r}\ntargets:\n  {self.targets!r}\n"


# ---- type inference --------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    import pandas as pd

    if isinstance(value, float):
        return value != value  # NaN
    return value is None or value is pd.NA or value is pd.NaT


def _is_datatype(t: Any) -> bool:
    return isinstance(t, str)


def _scalar_type(value: Any) -> str:
    import datetime

    import numpy as np

    kind = type(value)
    if kind in (bool, np.bool_):
        return "boolean"
    if kind in (int, np.int64):
        return "long"
    if kind is np.int32:
        return "integer"
    if kind in (float, np.float64):
        return "double"
    if kind is np.float32:
        return "float"
    if kind in (str, np.str_, object):
        return "string"
    if kind in (bytes, np.bytes_, bytearray):
        return "binary"
    if kind in (datetime.date, datetime.datetime, np.datetime64):
        return "datetime"
    raise _Unsupported(f"Data {value} is not one of the supported DataType")


def _merge(a: Any, b: Any) -> Any:
    """The type of a list holding items of types ``a`` (so far) and ``b``; ``a`` is an array,
    object or Any type."""
    if a == _ANY:
        if b == _ANY or _is_datatype(b):
            return b
        return _merge(b, a)
    if a[0] == "array":
        if b == _ANY or a == b:
            return a
        if b == _ANY or not isinstance(b, tuple) or b[0] != "array":
            raise _Unsupported("array merged with a non-array")
        if _is_datatype(a[1]):
            if a[1] == b[1] or b[1] == _ANY:
                return a
            raise _Unsupported("incompatible array types")
        return ("array", _merge(a[1], b[1]))
    # an object
    if b == _ANY:
        return ("object", {k: (t, False) for k, (t, _) in a[1].items()})
    if not isinstance(b, tuple) or b[0] != "object":
        raise _Unsupported("object merged with a non-object")
    if a == b:
        return a
    left, right = a[1], b[1]
    merged: dict[str, tuple[Any, bool]] = {}
    for name in left.keys() | right.keys():
        if name not in right:
            merged[name] = (left[name][0], False)
        elif name not in left:
            merged[name] = (right[name][0], False)
        else:
            (lt, lr), (rt, rr) = left[name], right[name]
            if _is_datatype(lt):
                if lt != rt and rt != _ANY:
                    raise _Unsupported("incompatible property types")
                merged[name] = (lt, lr and rr)
            else:
                merged[name] = (_merge(lt, rt), lr and rr)
    return ("object", merged)


def _value_type(value: Any) -> Any:
    """The type of one value; None for an empty numpy array (undetermined)."""
    import numpy as np

    if _is_missing(value) or (isinstance(value, (list, dict)) and not value):
        return _ANY
    if isinstance(value, dict):
        props: dict[str, tuple[Any, bool]] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Unsupported("property names must be strings")
            t = _value_type(item)
            if t is None:
                raise _Unsupported("Dictionary value must not be an empty numpy array.")
            props[key] = (t, t != _ANY)
        return ("object", props)
    if isinstance(value, (list, np.ndarray)):
        return _list_type(value)
    return _scalar_type(value)


def _list_type(values: Any) -> Any:
    result: Any = None
    for item in values:
        t = _value_type(item)
        if t is None:
            continue
        if result is None:
            result = ("array", t)
        elif not _is_datatype(result[1]):
            result = ("array", _merge(result[1], t))
        elif t != _ANY and t != result[1]:
            raise _Unsupported("Expected all values in list to be of same type")
    return result


def _dtype_type(dtype: Any) -> str:
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return "boolean"
    if kind in "iu":
        if size < 4 or (kind == "i" and size == 4):
            return "integer"
        if size < 8 or (kind == "i" and size == 8):
            return "long"
    elif kind == "f":
        if size <= 4:
            return "float"
        if size <= 8:
            return "double"
    elif kind == "U":
        return "string"
    elif kind == "S":
        return "binary"
    elif kind == "M":
        return "datetime"
    raise _Unsupported(f"Unsupported numpy data type '{dtype}', kind '{kind}'")


def _column_type(column: Any) -> Any:
    import pandas as pd

    if len(column.to_numpy().shape) > 1:
        raise _Unsupported("Expected 1d array")
    if column.dtype.kind == "O":
        column = column.infer_objects()
    if column.dtype.kind != "O":
        return _dtype_type(column.dtype)
    try:
        found = _list_type(column.to_list())
        if found is None:
            raise _Unsupported("no values")
        return found[1]
    except _Unsupported:
        if pd.api.types.is_string_dtype(column):
            return "string"
        raise


def _type_dict(t: Any) -> dict[str, Any]:
    if _is_datatype(t):
        return {"type": t}
    if t == _ANY:
        return {"type": "any"}
    if t[0] == "array":
        return {"type": "array", "items": _type_dict(t[1])}
    properties = {}
    for name in sorted(t[1]):
        prop_type, required = t[1][name]
        spec = _type_dict(prop_type)
        spec["required"] = required
        properties[name] = spec
    return {"type": "object", "properties": properties}


def infer_frame_schema(df: Any) -> Schema | None:
    """The column specs MLflow infers for a DataFrame, or None when it infers none."""
    specs = []
    try:
        for name in df.columns:
            column = df[name]
            if column.ndim != 1:  # duplicate column names
                return None
            spec = _type_dict(_column_type(column))
            spec["name"] = name
            spec["required"] = not any(_is_missing(v) for v in column)
            specs.append(spec)
    except _Unsupported:
        return None
    return Schema(specs) if specs else None


def _tensor_spec(array: Any, name: Any = None) -> dict[str, Any]:
    dtype = array.dtype
    dtype_name = "str" if dtype.char == "U" else "bytes" if dtype.char == "S" else dtype.name
    if array.ndim == 0:
        raise _Unsupported("a 0-d array has no variable dimension")
    spec: dict[str, Any] = {} if name is None else {"name": name}
    spec["type"] = "tensor"
    spec["tensor-spec"] = {"dtype": dtype_name, "shape": [-1, *array.shape[1:]]}
    return spec


def infer_array_schema(data: Any) -> Schema:
    """Tensor specs for an array or a dict of arrays (column specs for a dict of other values).

    Raises ``MlflowException`` when MLflow infers no schema."""
    import numpy as np

    try:
        if isinstance(data, dict):
            if all(isinstance(v, np.ndarray) for v in data.values()):
                return Schema([_tensor_spec(v, name) for name, v in data.items()])
            specs = []
            for name, value in data.items():
                spec = _type_dict(_value_type(value))
                spec["name"] = name
                spec["required"] = not _is_missing(value) and not (
                    isinstance(value, list) and any(_is_missing(v) for v in value)
                )
                specs.append(spec)
            return Schema(specs)
        if isinstance(data, np.ndarray):
            return Schema([_tensor_spec(data)])
    except _Unsupported as e:
        raise MlflowException(str(e), INVALID_PARAMETER_VALUE) from None
    raise MlflowException(f"Cannot infer a schema from {type(data).__name__}")
