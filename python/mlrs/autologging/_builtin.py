"""The integrations mlrs ships: (library import name, where its autolog function is). One line
each. Named, not imported, as entry points name theirs: this package imports no integration
(an integration imports this package)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

INTEGRATIONS: list[tuple[str, str]] = [
    ("lightgbm", "mlrs.lightgbm._autolog:autolog"),
    ("sklearn", "mlrs.sklearn._autolog:autolog"),
    ("xgboost", "mlrs.xgboost._autolog:autolog"),
]


def load(target: str) -> Callable[..., Any]:
    """The function a `module:attribute` name names, imported now."""
    import importlib

    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]
