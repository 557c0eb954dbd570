"""Optional dependencies: a missing one is named with the `pip install` command that brings it,
and autologging says so once instead of failing every `fit`."""

from __future__ import annotations

import importlib

from mlrs import _log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

# The extra of mlrs that installs each optional top-level package.
_EXTRA_OF = {"skops": "models", "cloudpickle": "models", "pandas": "pandas"}

_warned: set[str] = set()


class MissingExtraError(ImportError):
    """An optional dependency of mlrs is not installed; the message names the command."""


def install_command(package: str) -> str:
    return f"pip install 'mlrs[{_EXTRA_OF.get(package, 'models')}]'"


def require(module: str, feature: str) -> ModuleType:
    """`import module`, or a `MissingExtraError` saying that `feature` needs it and how to
    install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = module.split(".", 1)[0]
        raise MissingExtraError(
            f"{feature} needs the Python package '{package}', which is not installed. Install "
            f"it with: {install_command(package)}",
            name=package,
        ) from e


def warn_once(error: MissingExtraError) -> None:
    """Logs a missing extra at WARNING the first time this process meets it."""
    key = error.name or str(error)
    if key in _warned:
        return
    _warned.add(key)
    _log.logger().warning("Autologging could not log the model: %s", error)
