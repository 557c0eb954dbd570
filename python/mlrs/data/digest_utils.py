"""Dataset digests: the 8 hex digits MLflow 3.18 computes for the same data.

A digest is the start of an MD5 over byte blocks. For a DataFrame the blocks are pandas' row
hashes of the first ``MAX_ROWS`` rows, restricted to numeric columns and columns holding only
``str`` values (in sorted column order), then the row count as int64, then each column name as
UTF-8 text. For arrays: per array (dict values in key order, features then targets), pandas'
element hashes of the first ``MAX_ROWS`` flattened elements (or the element count as int64 when
the elements cannot be hashed), then each dimension as int64. The element hashes are pandas'
public ``hash_pandas_object``/``hash_array``, so pandas is needed to compute a digest; pass
``digest=`` to skip it.
"""

from __future__ import annotations

from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_ROWS = 10000


def get_normalized_md5_digest(elements: list[Any]) -> str:
    """The first 8 hex digits of the MD5 of the elements' bytes, in order."""
    import hashlib

    if not elements:
        raise MlflowException(
            "No hashable elements were provided for md5 digest creation", INVALID_PARAMETER_VALUE
        )
    md5 = hashlib.md5(usedforsecurity=False)
    for element in elements:
        md5.update(element)
    return md5.hexdigest()[:8]


def _only_str(column: Any) -> bool:
    values = column.to_numpy(dtype=object)
    return all(type(value) is str for value in values)


def compute_pandas_digest(df: Any) -> str:
    """The digest of a DataFrame (see the module docstring)."""
    import numpy as np
    import pandas as pd

    head = df.head(MAX_ROWS)
    # Which columns hold only `str` values is decided on the whole frame, as MLflow does.
    text = head.columns[[_only_str(column) for _, column in df.items()]]
    kept = text.union(head.select_dtypes(include=[np.number]).columns)
    row_hashes = pd.util.hash_pandas_object(head[kept]).to_numpy()
    blocks: list[Any] = [row_hashes, np.int64(len(df))]
    blocks.extend(str(name).encode() for name in df.columns)
    return get_normalized_md5_digest(blocks)


def compute_numpy_digest(features: Any, targets: Any = None) -> str:
    """The digest of features and optional targets, each an array or a dict of arrays."""
    import numpy as np
    import pandas as pd

    blocks: list[Any] = []

    def add(array: Any) -> None:
        head = array.flatten()[:MAX_ROWS]
        try:
            blocks.append(pd.util.hash_array(head))
        except TypeError:
            blocks.append(np.int64(head.size))
        blocks.extend(np.int64(dim) for dim in array.shape)

    for part in (features, targets):
        if part is None:
            continue
        if isinstance(part, dict):
            for key in sorted(part):
                add(part[key])
        else:
            add(part)
    return get_normalized_md5_digest(blocks)
