"""``PagedList``: one page of results plus the token for the next page.

Generic for type checkers through ``paged_list.pyi``; at run time a plain list subclass, which
keeps `typing` out of `import mlrs`.
"""

from __future__ import annotations


class PagedList(list):
    """A list holding one page of a paginated search.

    ``token`` is what to pass as ``page_token`` to get the next page; None on the last page.
    ``total_count`` is the number of matches over all pages when the store reports it.
    """

    def __init__(self, items, token, total_count=None):
        super().__init__(items)
        self.token = token
        self.total_count = total_count

    def to_list(self):
        """A plain list of the items."""
        return list(self)
