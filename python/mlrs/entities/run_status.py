"""``RunStatus``: the status of a run, as ints with string names."""

from __future__ import annotations

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import ClassVar


class RunStatus:
    """Run status constants (MLflow's protobuf numbers) and conversions to and from names."""

    RUNNING = 1
    SCHEDULED = 2
    FINISHED = 3
    FAILED = 4
    KILLED = 5

    _STRING_TO_STATUS: ClassVar[dict[str, int]] = {
        "RUNNING": RUNNING,
        "SCHEDULED": SCHEDULED,
        "FINISHED": FINISHED,
        "FAILED": FAILED,
        "KILLED": KILLED,
    }
    _STATUS_TO_STRING: ClassVar[dict[int, str]] = {v: k for k, v in _STRING_TO_STATUS.items()}
    _TERMINATED_STATUSES = frozenset((FINISHED, FAILED, KILLED))

    @staticmethod
    def from_string(status_str: str) -> int:
        """The status int for a name such as ``"FINISHED"``; a plain Exception if unknown."""
        try:
            return RunStatus._STRING_TO_STATUS[status_str]
        except KeyError:
            raise Exception(
                f"Could not get run status corresponding to string {status_str}. Valid run "
                f"status strings: {list(RunStatus._STRING_TO_STATUS)}"
            ) from None

    @staticmethod
    def to_string(status: int) -> str:
        """The name of a status int; a plain Exception if unknown."""
        try:
            return RunStatus._STATUS_TO_STRING[status]
        except KeyError:
            raise Exception(
                f"Could not get string corresponding to run status {status}. Valid run "
                f"statuses: {list(RunStatus._STATUS_TO_STRING)}"
            ) from None

    @staticmethod
    def is_terminated(status: int) -> bool:
        """Whether the status is final: FINISHED, FAILED or KILLED."""
        return status in RunStatus._TERMINATED_STATUSES

    @staticmethod
    def all_status() -> list[int]:
        """Every status int, in numeric order."""
        return list(RunStatus._STATUS_TO_STRING)
