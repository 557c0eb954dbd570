"""`RequestHeaderProvider` at MLflow's import path: a provider of headers for the requests
sent to a tracking server. mlrs asks the one given to `mlrs.set_request_header_provider`
before each request."""

from __future__ import annotations

from abc import ABC, abstractmethod


class RequestHeaderProvider(ABC):
    """Subclass it with `in_context` (whether to add headers now) and `request_headers` (a
    dict of header names to values), then pass an instance (or the class) to
    `mlrs.set_request_header_provider`."""

    @abstractmethod
    def in_context(self) -> bool:
        """True when this provider's headers apply."""

    @abstractmethod
    def request_headers(self) -> dict[str, str]:
        """The headers to add to the next request."""
