"""``LoggedModelStatus``: where a logged model is in its life (PENDING until its files are in)."""

from __future__ import annotations

from enum import Enum

from mlrs.exceptions import MlflowException
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

# The integers MLflow's `logged_models.status` column holds.
_TO_INT = {"UNSPECIFIED": 0, "PENDING": 1, "READY": 2, "FAILED": 3}


class LoggedModelStatus(str, Enum):
    """A logged model's status, stored as 0-3 as MLflow stores it."""

    UNSPECIFIED = "UNSPECIFIED"
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"

    def __str__(self) -> str:
        return self.value

    @staticmethod
    def is_finalized(status: object) -> bool:
        """READY and FAILED are final: no further status change follows."""
        return status in (LoggedModelStatus.READY, LoggedModelStatus.FAILED)

    def to_int(self) -> int:
        return _TO_INT[self.value]

    @classmethod
    def from_int(cls, status_int: int) -> LoggedModelStatus:
        for name, number in _TO_INT.items():
            if number == status_int:
                return cls(name)
        raise MlflowException(f"Unknown model status: {status_int}", INVALID_PARAMETER_VALUE)
