"""mlrs's logger, configured as MLflow configures its `mlflow` logger: INFO and above to stderr
as `2026/01/31 12:00:00 INFO mlrs: ...`, not propagated, unless `MLFLOW_CONFIGURE_LOGGING` is
false; `MLFLOW_LOGGING_LEVEL` sets the level.

Importing `logging` would add ~5 ms to `import mlrs`, so `import mlrs` configures the logger only
when `logging` is loaded already (a notebook, pytest, most applications); otherwise the first
message mlrs logs configures it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging

NAME = "mlrs"
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y/%m/%d %H:%M:%S"

_configured = False


class _Stderr:
    """Writes to whatever `sys.stderr` is when a record is emitted (so notebooks and tools that
    swap `sys.stderr` see mlrs's messages), as MLflow's handler does."""

    def write(self, text: str) -> None:
        sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _wanted() -> bool:
    value = os.environ.get("MLFLOW_CONFIGURE_LOGGING", "true").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ValueError(
            "MLFLOW_CONFIGURE_LOGGING value must be one of ['true', 'false', '1', '0'] "
            f"(case-insensitive), but got {value}"
        )
    return value in ("true", "1")


def configure() -> None:
    """Gives the `mlrs` logger its stderr handler, level and format (once per process)."""
    global _configured
    _configured = True
    if not _wanted():
        return
    import logging

    level = (os.environ.get("MLFLOW_LOGGING_LEVEL") or "INFO").upper()
    handler = logging.StreamHandler(stream=_Stderr())
    handler.setFormatter(logging.Formatter(fmt=LINE_FORMAT, datefmt=DATE_FORMAT))
    log = logging.getLogger(NAME)
    log.handlers = [handler]  # replaced, not appended: configuring twice changes nothing
    log.setLevel(level)
    log.propagate = False


def configure_if_cheap() -> None:
    """`import mlrs`'s step: configure now when `logging` is already loaded."""
    if "logging" in sys.modules and not _configured:
        configure()


def logger() -> logging.Logger:
    import logging

    if not _configured:
        configure()
    return logging.getLogger(NAME)
