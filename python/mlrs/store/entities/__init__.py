"""Container types that paginated store reads return."""

from mlrs.store.entities.paged_list import PagedList

__all__ = ["PagedList"]
