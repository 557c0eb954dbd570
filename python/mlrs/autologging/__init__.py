"""Autologging: the integration registry behind `mlrs.autolog()`, and the tools integrations
are written with. This module is public API.

An integration is a function with MLflow's autolog shape (keyword arguments, among them
`disable=False` and `silent=False`) that installs patches on one library. It is registered under
the library's import name::

    from mlrs import autologging

    @autologging.integration("mylib")            # records its config, reverts old patches,
    def autolog(disable=False, silent=False,      # and stops here when disable=True
                exclusive=False, extra_tags=None):
        import mylib
        autologging.safe_patch("mylib", mylib.Trainer, "fit", _patched_fit,
                               manage_run=True, extra_tags=extra_tags)

    def _patched_fit(original, self, *args, **kwargs):
        run_id = mlrs.active_run().info.run_id    # the user's run, or one made for this call
        mlrs.log_params(self.config)
        return original(self, *args, **kwargs)

    autologging.register("mylib", autolog)

`mlrs.autolog(...)` then calls `autolog` with the arguments of `mlrs.autolog` its signature
accepts, at once if `mylib` is imported, else right after `import mylib` (a post-import hook).
A package can also declare the integration as an entry point, loaded when `mlrs.autolog()` runs:

    [project.entry-points."mlrs.autolog"]
    mylib = "mylib_mlrs:autolog"        # name: the library's import name

What `safe_patch` guarantees: `disable=True` (or `revert_patches`) restores every patched
attribute exactly; calling autolog again re-installs instead of wrapping twice; an error in the
logging code is logged once per integration as a warning and training goes on, while errors of
the patched function itself reach the caller unchanged; the per-call state (the run autolog
made, the training sessions) is per thread.
"""

from __future__ import annotations

import threading

from mlrs import _log
from mlrs.autologging import _hooks, _patch
from mlrs.autologging._patch import (
    MLFLOW_AUTOLOGGING,
    TrainingSession,
    current_training_session,
    disabled_in_thread,
    get_config,
    in_training_session,
    is_disabled,
    patched,
    revert_patches,
    safe_patch,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "ENTRY_POINT_GROUP",
    "MLFLOW_AUTOLOGGING",
    "Integration",
    "TrainingSession",
    "autolog",
    "current_training_session",
    "disabled_in_thread",
    "get_config",
    "in_training_session",
    "integration",
    "integrations",
    "is_disabled",
    "patched",
    "register",
    "revert_patches",
    "safe_patch",
    "unregister",
]

ENTRY_POINT_GROUP = "mlrs.autolog"

_lock = threading.RLock()
# The arguments of the last `mlrs.autolog()` call, or None before any.
_global_config: dict[str, Any] | None = None
_entry_points_loaded = False


class Integration:
    """A registered integration: `library` (the import name that triggers it), `autolog` (its
    autolog function) and `flavor` (its name in `exclude_flavors` and the `mlflow.autologging`
    tag)."""

    __slots__ = ("autolog", "flavor", "library")

    def __init__(self, library: str, autolog: Callable[..., Any], flavor: str) -> None:
        self.library = library
        self.autolog = autolog
        self.flavor = flavor

    def __repr__(self) -> str:
        return f"Integration(library={self.library!r}, flavor={self.flavor!r})"


_registry: dict[str, Integration] = {}


def register(library: str, autolog: Callable[..., Any], *, flavor: str | None = None) -> None:
    """Registers `autolog` as the integration for the library importable as `library`
    (a dotted name works: the hook waits for that submodule). `flavor` defaults to the
    `integration` name `autolog` was decorated with, else to `library`. Registering a library
    again replaces its integration. If `mlrs.autolog()` has already run, the new integration is
    applied with its arguments (now, or when the library is imported)."""
    name = flavor or getattr(autolog, "integration_name", None) or library
    with _lock:
        _registry[library] = Integration(library, autolog, name)
        config = _global_config
    if config is not None:
        _schedule(_registry[library], config)


def unregister(library: str) -> None:
    """Forgets the integration of `library` and cancels its pending import hook. Patches it
    already installed stay until its autolog is called with `disable=True`."""
    with _lock:
        _registry.pop(library, None)
    _hooks.cancel(library, "mlrs.autolog")


def integrations() -> dict[str, Integration]:
    """The registered integrations by library import name (entry points included once
    `mlrs.autolog()` has loaded them)."""
    _register_builtins()
    with _lock:
        return dict(_registry)


def integration(
    name: str,
    *,
    versions: tuple[str, str] | None = None,
    module: str | None = None,
    package: str | None = None,
) -> Callable[[F], F]:
    """Decorates an integration's autolog function (whose parameters must include
    `disable=False` and `silent=False`). Each call records its full configuration (defaults
    filled in) for `get_config`, reverts the patches the integration installed before, and runs
    the function's body only when `disable` is false.

    `versions=(minimum, maximum)` declares the library versions the integration is known to
    work with (`module`: the import name, default `name`; `package`: the distribution name,
    default `module`). As in MLflow, a version below the minimum gets a warning, and with
    `disable_for_unsupported_versions=True` the patches stay inert outside the range."""
    if versions is not None:
        mod = module or name
        _patch._versions[name] = _patch.VersionRange(mod, package or mod, *versions)

    def decorate(fn: F) -> F:
        import functools
        import inspect

        params = inspect.signature(fn).parameters
        for required in ("disable", "silent"):
            if required not in params or params[required].default is not False:
                raise Exception(
                    f"Invalid `autolog()` function for integration '{name}'. `autolog()` "
                    f"functions must specify a '{required}' argument with default value 'False'"
                )
        defaults = {p.name: p.default for p in params.values()}

        @functools.wraps(fn)
        def autolog(*args: Any, **kwargs: Any) -> Any:
            from mlrs.autologging import _patch

            config = dict(defaults)
            config.update(zip(params, args, strict=False))
            config.update(kwargs)
            with _patch._conf_lock:
                _patch._configs[name] = config
                _patch.reset_warnings(name)
                revert_patches(name)
                if config.get("disable"):
                    return None
                _warn_if_too_old(name, config)
                try:
                    return fn(*args, **kwargs)
                except BaseException:
                    revert_patches(name)
                    raise

        autolog.integration_name = name  # type: ignore[attr-defined]
        return autolog  # type: ignore[return-value]

    return decorate


def _warn_if_too_old(name: str, config: dict[str, Any]) -> None:
    """MLflow's warning for a library older than the integration's minimum, given when autolog
    is on and not already off for unsupported versions."""
    known = _patch._versions.get(name)
    if known is None or config.get("disable_for_unsupported_versions"):
        return
    if _patch.version_supported(name, check_max=False):
        return
    installed = _patch.installed_version(known.module, known.package)
    _log.logger().warning(
        "MLflow %s autologging is known to be compatible with %s <= %s, but the installed "
        "version is %s. If you encounter errors during autologging, try upgrading / "
        "downgrading %s to a compatible version, or try upgrading MLflow.",
        name,
        known.minimum,
        known.package,
        installed,
        known.package,
    )


# ---- mlrs.autolog ----------------------------------------------------------------------------


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    log_traces: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: dict[str, str] | None = None,
    exclude_flavors: list[str] | None = None,
) -> None:
    """Enables (or, with `disable=True`, disables) autologging for every registered
    integration: those whose library is imported now, and the others as soon as their library
    is imported. Each integration gets the arguments its own autolog accepts. An integration
    configured by its own autolog call (e.g. `mlrs.sklearn.autolog()`) keeps that
    configuration. `exclude_flavors` names integrations to leave alone."""
    global _global_config
    config = {
        "log_input_examples": log_input_examples,
        "log_model_signatures": log_model_signatures,
        "log_models": log_models,
        "log_datasets": log_datasets,
        "log_traces": log_traces,
        "disable": disable,
        "exclusive": exclusive,
        "disable_for_unsupported_versions": disable_for_unsupported_versions,
        "silent": silent,
        "extra_tags": extra_tags,
        "exclude_flavors": list(exclude_flavors or []),
    }
    _register_builtins()
    _load_entry_points(silent)
    with _lock:
        _global_config = config
        excluded = set(exclude_flavors or [])
        chosen = [i for i in _registry.values() if i.flavor not in excluded]
    for each in sorted(chosen, key=lambda i: i.library):
        _schedule(each, config)


# Marks a configuration that came from `mlrs.autolog()` (which a later `mlrs.autolog()` may
# change), as opposed to a call of the integration's own autolog.
_GLOBAL = "_mlrs_globally_configured"


def _schedule(each: Integration, config: dict[str, Any]) -> None:
    _hooks.when_imported(each.library, "mlrs.autolog", lambda module: _apply(each, config))


def _apply(each: Integration, config: dict[str, Any]) -> None:
    from mlrs.autologging import _patch

    silent = bool(config.get("silent"))
    with _patch._conf_lock:
        previous = _patch._configs.get(each.flavor)
        if previous is not None and not previous.get(_GLOBAL):
            return
        try:
            import inspect

            accepted = inspect.signature(each.autolog).parameters
            each.autolog(**{k: v for k, v in config.items() if k in accepted})
            if each.flavor in _patch._configs:
                _patch._configs[each.flavor][_GLOBAL] = True
        except Exception as e:
            if not silent:
                _log.logger().warning(
                    "Exception raised while enabling autologging for %s: %s", each.library, e
                )
            return
    if not is_disabled(each.flavor) and not silent:
        _log.logger().info("Autologging successfully enabled for %s.", each.library)


_builtins_registered = False


def _register_builtins() -> None:
    """The integrations mlrs ships, registered on first use so `import mlrs` stays cheap."""
    global _builtins_registered
    with _lock:
        if _builtins_registered:
            return
        _builtins_registered = True
    from mlrs.autologging import _builtin

    for library, target in _builtin.INTEGRATIONS:
        with _lock:
            if library in _registry:
                continue
        register(library, _builtin.load(target))


def _load_entry_points(silent: bool) -> None:
    global _entry_points_loaded
    with _lock:
        if _entry_points_loaded:
            return
        _entry_points_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            register(ep.name, ep.load())
        except Exception as e:
            if not silent:
                _log.logger().warning(
                    "Failed to load the autologging integration %r from entry point %r: %s",
                    ep.name,
                    ep.value,
                    e,
                )
