"""mlrs's logger, made on first use: importing `logging` would add ~5 ms to `import mlrs`."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


def logger() -> logging.Logger:
    import logging

    return logging.getLogger("mlrs")
