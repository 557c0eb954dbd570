"""Input examples (``input_example.json`` and ``serving_input_example.json``) and the signature
MLflow infers from one when none is given."""

from __future__ import annotations

import json
import os
import sys

from mlrs import _log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from mlrs.models.model import Model
    from mlrs.models.signature import ModelSignature

EXAMPLE_FILENAME = "input_example.json"
SERVING_EXAMPLE_FILENAME = "serving_input_example.json"


def _plain(value: Any) -> Any:
    """JSON-ready values: numpy scalars and arrays, timestamps and bytes become Python ones."""
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.ndarray):
            return [_plain(v) for v in value.tolist()]
        if isinstance(value, np.generic):
            return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _frame_split(df: Any) -> dict[str, Any]:
    return {
        "columns": [str(c) for c in df.columns],
        "data": _plain(df.to_numpy(dtype=object).tolist()),
    }


def save_example(model: Model, input_example: Any, path: str) -> Any:
    """Writes the example files into `path`, records them in `model`, and returns the example
    as a model would take it (a DataFrame, an array, ...); None when there is no example."""
    if input_example is None:
        return None
    pd = sys.modules.get("pandas")
    np = sys.modules.get("numpy")
    example = input_example
    if pd is not None and isinstance(example, pd.Series):
        example = example.to_frame()
    if isinstance(example, tuple):
        example = list(example)
    info: dict[str, Any] = {"artifact_path": EXAMPLE_FILENAME}
    if pd is not None and isinstance(example, pd.DataFrame):
        split = _frame_split(example)
        content = json.dumps(split)
        serving = {"dataframe_split": split}
        info["type"] = "dataframe"
        info["pandas_orient"] = "split"
    elif (np is not None and isinstance(example, np.ndarray)) or (
        isinstance(example, dict)
        and np is not None
        and any(isinstance(v, np.ndarray) for v in example.values())
    ):
        content = json.dumps(_plain(example))
        serving = {"inputs": _plain(example)}
        info["type"] = "ndarray"
    else:
        content = json.dumps(_plain(example))
        serving = {"inputs": _plain(example)}
        info["type"] = "json_object"
    info["serving_input_path"] = SERVING_EXAMPLE_FILENAME
    with open(os.path.join(path, EXAMPLE_FILENAME), "w") as f:
        f.write(content)
    with open(os.path.join(path, SERVING_EXAMPLE_FILENAME), "w") as f:
        f.write(json.dumps(serving, indent=2))
    model.saved_input_example_info = info
    return example


def signature_from_example(example: Any, predict: Callable[[Any], Any]) -> ModelSignature | None:
    """The signature of the example and the model's prediction on it; on failure, MLflow's
    WARNING and None."""
    from mlrs.models.signature import ModelSignature
    from mlrs.types.schema import infer_schema

    try:
        inputs = infer_schema(example)
        prediction = predict(example)
        np = sys.modules.get("numpy")
        # Row-wise predictions of a column-based model are one column, as MLflow infers them.
        if (
            not inputs.is_tensor_spec()
            and np is not None
            and isinstance(prediction, np.ndarray)
            and prediction.ndim == 1
        ):
            import pandas as pd

            prediction = pd.Series(prediction)
        try:
            outputs = infer_schema(prediction)
        except Exception:
            _log.logger().warning(
                "Failed to infer model output schema from prediction result; the signature has "
                "no output schema."
            )
            outputs = None
        return ModelSignature(inputs, outputs)
    except Exception as e:
        _log.logger().warning(
            "Failed to infer the model signature from the input example. Reason: %s. To see "
            "the full traceback, set the logging level to DEBUG via "
            '`logging.getLogger("mlflow").setLevel(logging.DEBUG)`.',
            repr(e),
        )
        return None


def prepare_signature(
    model: Model,
    signature: ModelSignature | bool | None,
    saved_example: Any,
    predict: Callable[[Any], Any],
) -> None:
    """Sets `model.signature`: the given one, one inferred from the example, or none
    (``signature=False``)."""
    if signature is None and saved_example is not None:
        signature = signature_from_example(saved_example, predict)
    elif signature is False:
        signature = None
    if signature is not None and signature is not True:
        model.signature = signature
