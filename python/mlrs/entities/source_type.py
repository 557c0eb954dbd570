"""``SourceType``: what kind of program started a run."""

from __future__ import annotations

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import ClassVar


class SourceType:
    """Source type constants and conversions to and from their names."""

    NOTEBOOK = 1
    JOB = 2
    PROJECT = 3
    LOCAL = 4
    UNKNOWN = 5

    _STRING_TO_SOURCETYPE: ClassVar[dict[str, int]] = {
        "NOTEBOOK": NOTEBOOK,
        "JOB": JOB,
        "PROJECT": PROJECT,
        "LOCAL": LOCAL,
        "UNKNOWN": UNKNOWN,
    }
    SOURCETYPE_TO_STRING: ClassVar[dict[int, str]] = {
        v: k for k, v in _STRING_TO_SOURCETYPE.items()
    }

    # MLflow's messages below say "run status"; they are kept as MLflow words them.
    @staticmethod
    def from_string(status_str: str) -> int:
        """The source type for a name such as ``"LOCAL"``; a plain Exception if unknown."""
        try:
            return SourceType._STRING_TO_SOURCETYPE[status_str]
        except KeyError:
            raise Exception(
                f"Could not get run status corresponding to string {status_str}. Valid run "
                f"status strings: {list(SourceType._STRING_TO_SOURCETYPE)}"
            ) from None

    @staticmethod
    def to_string(status: int) -> str:
        """The name of a source type; a plain Exception if unknown."""
        try:
            return SourceType.SOURCETYPE_TO_STRING[status]
        except KeyError:
            raise Exception(
                f"Could not get string corresponding to run status {status}. Valid run "
                f"statuses: {list(SourceType.SOURCETYPE_TO_STRING)}"
            ) from None
