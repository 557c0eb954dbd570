"""``ModelVersionStatus``: the registration states of a model version."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar


class ModelVersionStatus:
    """Status of a model version; the SQL store creates every version ``READY``."""

    PENDING_REGISTRATION = 1
    FAILED_REGISTRATION = 2
    READY = 3
    _STRING_TO_STATUS: ClassVar[dict[str, int]] = {
        "PENDING_REGISTRATION": PENDING_REGISTRATION,
        "FAILED_REGISTRATION": FAILED_REGISTRATION,
        "READY": READY,
    }
    _STATUS_TO_STRING: ClassVar[dict[int, str]] = {
        value: key for key, value in _STRING_TO_STATUS.items()
    }

    @staticmethod
    def from_string(status_str: str) -> int:
        if status_str not in ModelVersionStatus._STRING_TO_STATUS:
            raise Exception(
                f"Could not get model version status corresponding to string {status_str}. "
                f"Valid status strings: {list(ModelVersionStatus._STRING_TO_STATUS)}"
            )
        return ModelVersionStatus._STRING_TO_STATUS[status_str]

    @staticmethod
    def to_string(status: int) -> str:
        if status not in ModelVersionStatus._STATUS_TO_STRING:
            raise Exception(
                f"Could not get string corresponding to model version status {status}. "
                f"Valid statuses: {list(ModelVersionStatus._STATUS_TO_STRING)}"
            )
        return ModelVersionStatus._STATUS_TO_STRING[status]

    @staticmethod
    def all_status() -> list[int]:
        return list(ModelVersionStatus._STATUS_TO_STRING)
