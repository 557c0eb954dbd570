"""Post-import hooks: run a callback once a module has been imported, now or later.

A finder at the front of `sys.meta_path` answers only for the watched names: it asks the finders
behind it for the real spec and wraps the spec's loader, so the callbacks run right after the
module's code has executed. The module's `__loader__` and `__spec__.loader` are set back to the
real loader before its code runs, so nothing in the module sees the wrapper.
"""

from __future__ import annotations

import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

_lock = threading.RLock()
# module name -> {key: callback}; a callback registered again under the same key replaces it.
_hooks: dict[str, dict[str, Callable[[ModuleType], None]]] = {}
_local = threading.local()


def when_imported(name: str, key: str, callback: Callable[[ModuleType], None]) -> None:
    """Calls `callback(module)` now if `name` is imported, else right after its import."""
    with _lock:
        module = sys.modules.get(name)
        if module is None or _is_initialising(module):
            _hooks.setdefault(name, {})[key] = callback
            _install_finder()
            return
    callback(module)


def cancel(name: str, key: str) -> None:
    with _lock:
        _hooks.get(name, {}).pop(key, None)


def pending() -> dict[str, list[str]]:
    """The watched module names and the keys of their callbacks (for tests and debugging)."""
    with _lock:
        return {name: list(keys) for name, keys in _hooks.items() if keys}


def _is_initialising(module: ModuleType) -> bool:
    spec = getattr(module, "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _fire(module: ModuleType) -> None:
    with _lock:
        callbacks = list(_hooks.pop(module.__name__, {}).values())
    for callback in callbacks:
        callback(module)


class _Loader:
    """Runs the real loader, then the callbacks of the module it loaded."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return None if create is None else create(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _fire(module)


class _Finder:
    """The `sys.meta_path` entry: wraps the loader of watched modules only."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in _hooks:
            return None
        busy: set[str] = _local.__dict__.setdefault("busy", set())
        if fullname in busy:
            return None
        busy.add(fullname)
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        finally:
            busy.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(spec.loader)  # type: ignore[assignment]
        return spec


_finder = _Finder()


def _install_finder() -> None:
    if not any(f is _finder for f in sys.meta_path):
        sys.meta_path.insert(0, _finder)
