"""``ModelSignature`` (inputs, outputs, params) and ``infer_signature``, serialised as MLflow
3.18 writes them under ``signature:`` in an MLmodel file."""

from __future__ import annotations

from mlrs.types.schema import ParamSchema, ParamSpec, Schema, _type_of_scalar, infer_schema

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ModelSignature:
    """What a model takes and returns: an input schema, an optional output schema and optional
    inference params."""

    def __init__(
        self,
        inputs: Schema | None = None,
        outputs: Schema | None = None,
        params: ParamSchema | None = None,
    ) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self._is_signature_from_type_hint = False
        self._is_type_hint_from_example = False

    def to_dict(self) -> dict[str, Any]:
        """``inputs``/``outputs``/``params`` as JSON strings (or None), as in MLmodel."""
        return {
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
            "params": self.params.to_json() if self.params else None,
        }

    @classmethod
    def from_dict(cls, signature_dict: dict[str, Any]) -> ModelSignature:
        inputs = signature_dict.get("inputs")
        outputs = signature_dict.get("outputs")
        params = signature_dict.get("params")
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ModelSignature)
            and self.inputs == other.inputs
            and self.outputs == other.outputs
            and self.params == other.params
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"inputs: \n  {self.inputs!r}\noutputs: \n  {self.outputs!r}\n"
            f"params: \n  {self.params!r}\n"
        )


def _infer_param_schema(params: dict[str, Any]) -> ParamSchema:
    specs = []
    for name, value in params.items():
        if isinstance(value, list):
            kind = _type_of_scalar(value[0]) if value else _type_of_scalar("")
            specs.append(ParamSpec(name, kind, value, (-1,)))
        else:
            specs.append(ParamSpec(name, _type_of_scalar(value), value))
    return ParamSchema(specs)


def infer_signature(
    model_input: Any = None,
    model_output: Any = None,
    params: dict[str, Any] | None = None,
) -> ModelSignature:
    """A signature from example input and output data (pandas frames and series, numpy arrays,
    dicts and lists of scalars) and inference params."""
    inputs = infer_schema(model_input) if model_input is not None else None
    outputs = infer_schema(model_output) if model_output is not None else None
    param_schema = _infer_param_schema(params) if params else None
    return ModelSignature(inputs, outputs, param_schema)
