"""``ViewType``: which lifecycle stages a search returns."""

from __future__ import annotations

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import ClassVar


class ViewType:
    """Search filter over lifecycle stages: active only, deleted only, or all."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    _VIEW_TO_STRING: ClassVar[dict[int, str]] = {
        ACTIVE_ONLY: "active_only",
        DELETED_ONLY: "deleted_only",
        ALL: "all",
    }
    _STRING_TO_VIEW: ClassVar[dict[str, int]] = {v: k for k, v in _VIEW_TO_STRING.items()}

    @classmethod
    def from_string(cls, view_str: str) -> int:
        """The view type for ``"active_only"``, ``"deleted_only"`` or ``"all"``."""
        try:
            return cls._STRING_TO_VIEW[view_str]
        except KeyError:
            raise Exception(
                f"Could not get valid view type corresponding to string {view_str}. "
                f"Valid view types are {list(cls._STRING_TO_VIEW)}"
            ) from None

    @classmethod
    def to_string(cls, view_type: int) -> str:
        """The lower-case name of a view type."""
        try:
            return cls._VIEW_TO_STRING[view_type]
        except KeyError:
            # MLflow's wording, "string" included.
            raise Exception(
                f"Could not get valid view type corresponding to string {view_type}. "
                f"Valid view types are {list(cls._VIEW_TO_STRING)}"
            ) from None
