"""`mlrs.config`, at MLflow's import path: process-wide switches."""

from __future__ import annotations

import os

from mlrs import _runtime


def enable_async_logging(enable: bool = True) -> None:
    """Makes logging calls without `synchronous=` return a `RunOperations` (whose `wait()`
    raises what failed) instead of raising at the call. mlrs queues every write either way."""
    os.environ[_runtime._ASYNC_ENV] = str(enable)
    _runtime.async_logging_enabled()


__all__ = ["enable_async_logging"]
