from typing import TypeVar

_T = TypeVar("_T")

class PagedList(list[_T]):
    token: str | bytes | None
    total_count: int | None
    def __init__(
        self, items: list[_T], token: str | bytes | None, total_count: int | None = None
    ) -> None: ...
    def to_list(self) -> list[_T]: ...
