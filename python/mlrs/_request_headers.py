"""Request headers for tracking servers: the user's provider (`set_request_header_provider`)
and per-server providers (the `azureml://` recipe's token). The engine asks `_resolve` for
headers before each request only while one of them is set; logging calls never do (they only
enqueue; the shipper thread asks when it sends)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from mlrs import _core
from mlrs.exceptions import INVALID_PARAMETER_VALUE, MlflowException

_lock = threading.Lock()
_user_provider: object = None
# Server URL (as the engine knows it) -> a callable returning that server's headers.
_server_providers: dict[str, Callable[[], Mapping[str, str]]] = {}


def set_request_header_provider(provider: object) -> None:
    """Adds headers to every request mlrs sends to a tracking server, asked for anew before
    each request (so a token provider can refresh its token). An mlrs extension.

    `provider` is a callable taking no arguments and returning a mapping of header names to
    values (``lambda: {"Authorization": f"Bearer {get_token()}"}``), or an object shaped like
    MLflow's ``RequestHeaderProvider`` (``in_context()`` and ``request_headers()``; a class of
    that shape is instantiated once). ``None`` removes it. Its headers win over
    ``MLFLOW_TRACKING_TOKEN`` and the basic-auth variables for the names it returns.

    It runs on the thread that sends: the caller's for reads and run lifecycle calls, mlrs's
    shipper thread for logged data. If it raises, a call made by the user raises an
    ``MlflowException`` naming the failure (the header values are never shown); logged data
    stays in the spool and is sent again later."""
    global _user_provider
    if isinstance(provider, type) and _is_provider_shape(provider):
        provider = provider()
    if provider is not None and not (callable(provider) or _is_provider_shape(provider)):
        raise MlflowException(
            "A request header provider is a callable returning a mapping of header names to "
            "values, or an object with in_context() and request_headers(); got "
            f"{type(provider).__name__}.",
            INVALID_PARAMETER_VALUE,
        )
    with _lock:
        _user_provider = provider
        _install()


def get_request_header_provider() -> object:
    """The provider given to `set_request_header_provider`, or None. An mlrs extension."""
    return _user_provider


def set_server_provider(server_url: str, provider: Callable[[], Mapping[str, str]]) -> None:
    """Headers for the one server `server_url` (the engine's base URL), asked before the
    user's provider, which wins on the same names."""
    with _lock:
        if _server_providers.get(server_url) is provider:
            return
        _server_providers[server_url] = provider
        _install()


def _install() -> None:
    active = _user_provider is not None or bool(_server_providers)
    _core.set_header_provider(_resolve if active else None)


def _is_provider_shape(obj: object) -> bool:
    return callable(getattr(obj, "request_headers", None)) and callable(
        getattr(obj, "in_context", None)
    )


def _checked(headers: object, source: str) -> list[tuple[str, str]]:
    if not isinstance(headers, Mapping):
        raise MlflowException(
            f"The {source} must return a mapping of header names to values; got "
            f"{type(headers).__name__}.",
            INVALID_PARAMETER_VALUE,
        )
    pairs = []
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            # The value is never quoted: it is usually a secret.
            raise MlflowException(
                f"The {source} must return str header names and values; got "
                f"{type(name).__name__} name {name!r} with a {type(value).__name__} value.",
                INVALID_PARAMETER_VALUE,
            )
        pairs.append((name, value))
    return pairs


def _resolve(server_url: str) -> list[tuple[str, str]]:
    """Called by the engine before each request to `server_url`."""
    pairs: list[tuple[str, str]] = []
    server = _server_providers.get(server_url)
    if server is not None:
        pairs.extend(_checked(server(), f"token provider of {server_url}"))
    user = _user_provider
    if user is None:
        return pairs
    if _is_provider_shape(user):
        if not user.in_context():  # type: ignore[attr-defined]
            return pairs
        headers = user.request_headers()  # type: ignore[attr-defined]
    else:
        headers = user()  # type: ignore[operator]
    pairs.extend(_checked(headers, "request header provider"))
    return pairs
