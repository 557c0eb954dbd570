"""`mlrs.install_as_mlflow()`: `import mlflow` (and every `mlflow.<x>` module) resolves to mlrs
for the rest of the process, so a script or notebook written for MLflow runs unchanged.

An import hook (a `sys.meta_path` finder) maps `mlflow` to `mlrs` and `mlflow.a.b` to
`mlrs.a.b`: the alias is the very same module object, so `mlflow.sklearn is mlrs.sklearn` and
state (the active run, the tracking URI) is shared. A module mlrs does not have fails to import
as it would without the hook, with the `mlflow` name in the error.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

ALIAS = "mlflow"
TARGET = "mlrs"


class _AliasLoader(importlib.abc.Loader):
    """Hands out the already imported mlrs module for an `mlflow` name."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        # The module ran when mlrs imported it; importing it under a second name runs nothing.
        pass


class MlflowAliasFinder(importlib.abc.MetaPathFinder):
    """Finds `mlflow` and `mlflow.*` as the mlrs modules of the same path."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        name = TARGET + fullname[len(ALIAS) :]
        if name in sys.modules:
            found = sys.modules[name].__spec__
        else:
            try:
                found = importlib.util.find_spec(name)
            except ModuleNotFoundError:
                found = None
        if found is None:
            return None  # Python reports "No module named 'mlflow.<x>'"
        return importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(name),
            is_package=found.submodule_search_locations is not None,
        )


def _installed() -> MlflowAliasFinder | None:
    for finder in sys.meta_path:
        if isinstance(finder, MlflowAliasFinder):
            return finder
    return None


def install_as_mlflow() -> None:
    """Makes `import mlflow`, `import mlflow.sklearn`, `from mlflow.tracking import
    MlflowClient`, `from mlflow.entities import Run`, ... give mlrs's modules for the rest of
    this process. Calling it again does nothing.

    Call it before anything imports mlflow, e.g. first thing in a notebook, in a
    `conftest.py`, or through `mlrs run script.py`.

    Raises:
        RuntimeError: the real mlflow is imported already in this process: its modules and
            mlrs's would be mixed (two active runs, two stores on one file), so nothing is
            changed.
    """
    if _installed() is not None:
        return
    loaded = sorted(
        name
        for name, module in sys.modules.items()
        if (name == ALIAS or name.startswith(ALIAS + "."))
        and not getattr(module, "__name__", "").startswith(TARGET)
    )
    if loaded:
        raise RuntimeError(
            "mlrs.install_as_mlflow() cannot alias `mlflow`: the real mlflow is already "
            f"imported in this process ({', '.join(loaded[:3])}"
            f"{', ...' if len(loaded) > 3 else ''}). Call it before anything imports mlflow "
            "(first thing in the notebook or script, or run the script with `mlrs run "
            "script.py`)."
        )
    sys.meta_path.insert(0, MlflowAliasFinder())
    importlib.import_module(ALIAS)


def uninstall() -> None:
    """Removes the hook and the `mlflow` aliases (for tests)."""
    finder = _installed()
    if finder is not None:
        sys.meta_path.remove(finder)
    for name in [n for n in sys.modules if n == ALIAS or n.startswith(ALIAS + ".")]:
        if getattr(sys.modules[name], "__name__", "").startswith(TARGET):
            del sys.modules[name]
