"""`mlrs.utils.time`, at MLflow's import path."""

from __future__ import annotations

import time as _time


def get_current_time_millis() -> int:
    """Milliseconds since the Unix epoch, the unit of every timestamp mlrs stores."""
    return int(_time.time() * 1000)
