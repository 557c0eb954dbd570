"""``PagedList``: one page of results plus the token for the next page."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class PagedList(list[T]):
    """A list holding one page of a paginated search.

    ``token`` is what to pass as ``page_token`` to get the next page; None on the last page.
    ``total_count`` is the number of matches over all pages when the store reports it.
    """

    def __init__(
        self, items: list[T], token: str | bytes | None, total_count: int | None = None
    ) -> None:
        super().__init__(items)
        self.token = token
        self.total_count = total_count

    def to_list(self) -> list[T]:
        """A plain list of the items."""
        return list(self)
