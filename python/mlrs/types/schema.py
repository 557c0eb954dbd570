"""``Schema`` of column specs (named, typed values) or tensor specs (numpy dtype and shape), as
MLflow writes them into the ``signature`` of an MLmodel file: a JSON list per schema."""

from __future__ import annotations

from enum import Enum

from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class DataType(Enum):
    """The column types of MLflow's schemas."""

    boolean = 1
    integer = 2
    long = 3
    float = 4
    double = 5
    string = 6
    binary = 7
    datetime = 8

    def __repr__(self) -> str:
        return self.name

    def to_numpy(self) -> Any:
        import numpy as np

        return {
            "boolean": np.dtype("bool"),
            "integer": np.dtype("int32"),
            "long": np.dtype("int64"),
            "float": np.dtype("float32"),
            "double": np.dtype("float64"),
            "string": np.dtype("object"),
            "binary": np.dtype("object"),
            "datetime": np.dtype("datetime64[ns]"),
        }[self.name]


def _data_type(value: DataType | str) -> DataType:
    if isinstance(value, DataType):
        return value
    try:
        return DataType[value]
    except KeyError:
        raise MlflowException(
            f"Unsupported type '{value}', expected instance of DataType or one of "
            f"{[t.name for t in DataType]}",
            INVALID_PARAMETER_VALUE,
        ) from None


class ColSpec:
    """A column: its type, optional name, and whether it is required."""

    def __init__(
        self, type: DataType | str, name: str | None = None, required: bool = True
    ) -> None:
        self._type = _data_type(type)
        self._name = name
        self._required = required

    @property
    def type(self) -> DataType:
        return self._type

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def required(self) -> bool:
        return self._required

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self._type.name}
        if self._name is not None:
            d["name"] = self._name
        d["required"] = self._required
        return d

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> ColSpec:
        return cls(kwargs["type"], kwargs.get("name"), kwargs.get("required", True))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ColSpec) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        required = "required" if self._required else "optional"
        if self._name is None:
            return f"{self._type.name} ({required})"
        return f"{self._name!r}: {self._type.name} ({required})"


class TensorSpec:
    """A tensor: numpy dtype, shape (``-1`` for a variable dimension) and optional name."""

    def __init__(self, type: Any, shape: tuple[int, ...] | list[int], name: str | None = None):
        import numpy as np

        self._type = np.dtype(type)
        self._shape = tuple(shape)
        self._name = name

    @property
    def type(self) -> Any:
        return self._type

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def required(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        spec = {"dtype": str(self._type), "shape": list(self._shape)}
        if self._name is None:
            return {"type": "tensor", "tensor-spec": spec}
        return {"name": self._name, "type": "tensor", "tensor-spec": spec}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> TensorSpec:
        spec = kwargs["tensor-spec"]
        return cls(spec["dtype"], spec["shape"], kwargs.get("name"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorSpec) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._name is None:
            return f"Tensor({str(self._type)!r}, {self._shape!r})"
        return f"{self._name!r}: Tensor({str(self._type)!r}, {self._shape!r})"


class Schema:
    """A list of column specs or of tensor specs (not both)."""

    def __init__(self, inputs: list[ColSpec] | list[TensorSpec] | list[Any]) -> None:
        if not isinstance(inputs, list):
            raise MlflowException.invalid_parameter_value(
                f"Inputs of Schema must be a list, got type {type(inputs).__name__}"
            )
        if not inputs:
            raise MlflowException.invalid_parameter_value(
                "Creating Schema with empty inputs is not allowed."
            )
        tensors = [isinstance(x, TensorSpec) for x in inputs]
        if any(tensors) and not all(tensors):
            raise MlflowException(
                "Creating Schema with a combination of ColSpec and TensorSpec is not supported. "
                "Please choose one of ColSpec or TensorSpec",
                INVALID_PARAMETER_VALUE,
            )
        self._inputs = inputs

    @property
    def inputs(self) -> list[Any]:
        return self._inputs

    def is_tensor_spec(self) -> bool:
        return isinstance(self._inputs[0], TensorSpec)

    def input_names(self) -> list[str | int]:
        return [x.name or i for i, x in enumerate(self._inputs)]

    def has_input_names(self) -> bool:
        return all(x.name is not None for x in self._inputs)

    def to_dict(self) -> list[dict[str, Any]]:
        return [x.to_dict() for x in self._inputs]

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, json_str: str) -> Schema:
        import json

        specs = json.loads(json_str)
        return cls(
            [
                TensorSpec.from_json_dict(**x)
                if x.get("type") == "tensor"
                else ColSpec.from_json_dict(**x)
                for x in specs
            ]
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._inputs)


class ParamSpec:
    """An inference parameter: name, type, default and shape (``None`` or ``(-1,)``)."""

    def __init__(
        self, name: str, dtype: DataType | str, default: Any, shape: tuple[int, ...] | None = None
    ) -> None:
        self._name = name
        self._dtype = _data_type(dtype)
        self._default = default
        self._shape = shape

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> DataType:
        return self._dtype

    @property
    def default(self) -> Any:
        return self._default

    @property
    def shape(self) -> tuple[int, ...] | None:
        return self._shape

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self._name,
            "type": self._dtype.name,
            "default": self._default,
            "shape": None if self._shape is None else list(self._shape),
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSpec) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shape = f" (shape: {self._shape})" if self._shape is not None else ""
        return f"{self._name!r}: {self._dtype.name} (default: {self._default}){shape}"


class ParamSchema:
    """The inference parameters of a signature."""

    def __init__(self, params: list[ParamSpec]) -> None:
        self._params = params

    @property
    def params(self) -> list[ParamSpec]:
        return self._params

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self._params]

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, json_str: str) -> ParamSchema:
        import json

        return cls(
            [
                ParamSpec(
                    p["name"],
                    p["type"],
                    p.get("default"),
                    None if p.get("shape") is None else tuple(p["shape"]),
                )
                for p in json.loads(json_str)
            ]
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._params)


def _type_of_scalar(value: Any) -> DataType:
    import datetime as dt

    if isinstance(value, bool):
        return DataType.boolean
    if isinstance(value, int):
        return DataType.long
    if isinstance(value, float):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, (bytes, bytearray)):
        return DataType.binary
    if isinstance(value, (dt.datetime, dt.date)):
        return DataType.datetime
    import numpy as np

    if isinstance(value, np.generic):
        return _type_of_dtype(value.dtype, [value])
    raise MlflowException(
        f"Failed to infer schema: unsupported value of type {type(value).__name__}",
        INVALID_PARAMETER_VALUE,
    )


def _type_of_dtype(dtype: Any, values: Any) -> DataType:
    import numpy as np

    kind = getattr(dtype, "kind", None)
    if kind == "b":
        return DataType.boolean
    if kind in ("i", "u"):
        return DataType.long if np.dtype(dtype).itemsize >= 8 else DataType.integer
    if kind == "f":
        return DataType.double if np.dtype(dtype).itemsize >= 8 else DataType.float
    if kind == "M" or str(dtype).startswith("datetime64"):
        return DataType.datetime
    if kind in ("U", "S"):
        return DataType.string if kind == "U" else DataType.binary
    # object columns and pandas' string dtypes: look at the values
    non_null = [v for v in values if v is not None and not (isinstance(v, float) and v != v)]
    if not non_null:
        return DataType.string
    types = {_type_of_scalar(v) for v in non_null}
    if len(types) == 1:
        return types.pop()
    raise MlflowException(
        "Failed to infer schema: a column holds values of several types "
        f"{sorted(t.name for t in types)}",
        INVALID_PARAMETER_VALUE,
    )


def infer_schema(data: Any) -> Schema:
    """The schema of model input or output data: column specs for pandas frames and series,
    dicts of scalars and lists of scalars; tensor specs for numpy arrays and dicts of them."""
    import sys

    pd = sys.modules.get("pandas")
    np = sys.modules.get("numpy")
    if pd is not None and isinstance(data, pd.DataFrame):
        return Schema(
            [ColSpec(_type_of_dtype(data[c].dtype, data[c].tolist()), str(c)) for c in data.columns]
        )
    if pd is not None and isinstance(data, pd.Series):
        name = None if data.name is None else str(data.name)
        return Schema([ColSpec(_type_of_dtype(data.dtype, data.tolist()), name)])
    if np is not None and isinstance(data, np.ndarray):
        return Schema([TensorSpec(data.dtype, (-1, *data.shape[1:]))])
    if isinstance(data, dict) and data:
        if np is not None and all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema(
                [TensorSpec(v.dtype, (-1, *v.shape[1:]), str(k)) for k, v in data.items()]
            )
        if all(not isinstance(v, (list, dict, tuple)) for v in data.values()):
            return Schema([ColSpec(_type_of_scalar(v), str(k)) for k, v in data.items()])
    if isinstance(data, (str, bytes, bool, int, float)):
        return Schema([ColSpec(_type_of_scalar(data))])
    if (
        isinstance(data, list)
        and data
        and all(not isinstance(v, (list, dict, tuple)) for v in data)
    ):
        types = {_type_of_scalar(v) for v in data}
        if len(types) == 1:
            return Schema([ColSpec(types.pop())])
    raise MlflowException(
        f"Failed to infer schema: mlrs cannot infer a schema from {type(data).__name__} data. "
        "Pass a ModelSignature instead.",
        INVALID_PARAMETER_VALUE,
    )
