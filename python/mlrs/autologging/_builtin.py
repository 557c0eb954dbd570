"""The integrations mlrs ships: (library import name, autolog function). One line each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlrs.lightgbm._autolog import autolog as lightgbm_autolog
from mlrs.sklearn._autolog import autolog as sklearn_autolog
from mlrs.xgboost._autolog import autolog as xgboost_autolog

INTEGRATIONS: list[tuple[str, Callable[..., Any]]] = [
    ("lightgbm", lightgbm_autolog),
    ("sklearn", sklearn_autolog),
    ("xgboost", xgboost_autolog),
]
