"""Reversible, exception-safe patches and the per-thread state autologging runs on.

A patch replaces `owner.name` by a wrapper that calls `patch_fn(original, *args, **kwargs)`.
The wrapper keeps the original in a cell, so reverting a patch that another patch has since
wrapped rewires the outer one instead of dropping it. Everything a patch does besides calling
the original is guarded: a failure there is logged once per integration and the original's
result (or exception, unchanged) goes back to the caller.
"""

from __future__ import annotations

import contextlib
import functools
import threading

from mlrs import _log

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from typing_extensions import Self

MLFLOW_AUTOLOGGING = "mlflow.autologging"
_MISSING = object()

# Configuration of each integration (flavor name -> its autolog() arguments), set by
# `integration`; guarded by `_conf_lock`, read without it (a dict read is atomic).
_configs: dict[str, dict[str, Any]] = {}
_conf_lock = threading.RLock()
_warned: set[str] = set()
_local = threading.local()


def _state() -> Any:
    """This thread's autologging state: the open session, training stack, disabled depth."""
    state = _local.__dict__
    if "stack" not in state:
        state["stack"] = []
        state["session"] = None
        state["disabled"] = 0
    return _local


def get_config(flavor: str, key: str, default: Any = None) -> Any:
    config = _configs.get(flavor)
    if config is None:
        return default
    return config.get(key, default)


def is_disabled(flavor: str) -> bool:
    """True unless `flavor`'s autolog was called and left enabled (and, when it was called with
    `disable_for_unsupported_versions=True`, its library's installed version is supported)."""
    config = _configs.get(flavor)
    if config is None or config.get("disable", True):
        return True
    return bool(config.get("disable_for_unsupported_versions")) and not version_supported(flavor)


class VersionRange:
    """The library versions an integration is known to work with: `module` (its import name),
    `package` (its distribution name, for messages), `minimum` and `maximum` (inclusive)."""

    __slots__ = ("maximum", "minimum", "module", "package")

    def __init__(self, module: str, package: str, minimum: str, maximum: str) -> None:
        self.module = module
        self.package = package
        self.minimum = minimum
        self.maximum = maximum


# Known-good versions per flavor, declared with `integration(..., versions=...)`.
_versions: dict[str, VersionRange] = {}


def installed_version(module: str, package: str) -> str | None:
    """The version of an imported module (`__version__`), else of its installed distribution;
    None when neither says."""
    import sys

    found = getattr(sys.modules.get(module), "__version__", None)
    if isinstance(found, str):
        return found
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def release(version: str) -> tuple[int, ...] | None:
    """The numeric release of a final version (`"1.9.1"` → `(1, 9, 1)`, a `.postN` suffix
    ignored); None for a pre-release, a dev release or a string that is not a version."""
    import re

    match = re.fullmatch(r"v?(\d+(?:\.\d+)*)(?:[.-]?post\d*)?(?:\+[\w.]+)?", version.strip())
    if match is None:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def _padded(parts: tuple[int, ...]) -> tuple[int, ...]:
    return parts + (0,) * (4 - len(parts))


def version_supported(flavor: str, check_max: bool = True) -> bool:
    """Whether the installed version of `flavor`'s library is in its known range, as MLflow
    decides it: a pre-release or an unparsable version is unsupported; an unknown range or a
    version that can't be found is supported."""
    known = _versions.get(flavor)
    if known is None:
        return True
    installed = installed_version(known.module, known.package)
    if installed is None:
        return True
    parts, low, high = release(installed), release(known.minimum), release(known.maximum)
    if parts is None:
        return False
    if low is not None and _padded(parts) < _padded(low):
        return False
    return not (check_max and high is not None and _padded(parts) > _padded(high))


# ---- patches -------------------------------------------------------------------------------


class _Patch:
    __slots__ = ("had_own", "name", "old", "owner", "wrapper")

    def __init__(self, owner: Any, name: str, had_own: bool, old: Any, wrapper: Any) -> None:
        self.owner = owner
        self.name = name
        self.had_own = had_own
        self.old = old
        self.wrapper = wrapper


_patches: dict[str, list[_Patch]] = {}


def _own_attribute(owner: Any, name: str) -> Any:
    try:
        return vars(owner).get(name, _MISSING)
    except TypeError:
        return _MISSING


def _raw_attribute(owner: Any, name: str) -> Any:
    """The attribute as stored (no descriptor protocol), looked up along the MRO of a class."""
    if isinstance(owner, type):
        for klass in owner.__mro__:
            found = vars(klass).get(name, _MISSING)
            if found is not _MISSING:
                return found
        return _MISSING
    found = _own_attribute(owner, name)
    return getattr(owner, name, _MISSING) if found is _MISSING else found


def safe_patch(
    flavor: str,
    owner: Any,
    name: str,
    patch_fn: Callable[..., Any],
    *,
    manage_run: bool = False,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Replaces `owner.name` with a wrapper that calls `patch_fn(original, *args, **kwargs)`
    while `flavor` is enabled, and the original alone otherwise.

    `manage_run=True` starts a run (tagged `mlflow.autologging=<flavor>` plus `extra_tags`)
    around the call when no run is active and no autologged training is under way, and ends it
    FINISHED, or FAILED when the call raises. On a class, an inherited function is patched on
    that class (reverting deletes it again); a delegating descriptor (scikit-learn's
    `available_if`) has its `fn` patched; other descriptors (properties, class and static
    methods) and missing attributes are left alone.
    """
    raw = _raw_attribute(owner, name)
    if raw is _MISSING:
        return
    if getattr(raw, "_mlrs_flavor", None) == flavor:
        # Patched already: here (nothing to do), or on a base class (wrap its original).
        if not isinstance(owner, type) or _own_attribute(owner, name) is raw:
            return
        raw = raw._mlrs_cell[0]
    if isinstance(owner, type):
        if hasattr(raw, "fn") and hasattr(raw, "check"):
            safe_patch(flavor, raw, "fn", patch_fn, manage_run=manage_run, extra_tags=extra_tags)
            return
        if not callable(raw) or isinstance(raw, (staticmethod, classmethod, type)):
            return
    elif not callable(raw):
        return
    tags = _managed_tags(flavor, extra_tags) if manage_run else None
    old = _own_attribute(owner, name)
    cell = [raw]
    wrapper = _make_wrapper(flavor, cell, patch_fn, tags)
    with _conf_lock:
        setattr(owner, name, wrapper)
        _patches.setdefault(flavor, []).append(
            _Patch(owner, name, old is not _MISSING, old, wrapper)
        )


def revert_patches(flavor: str) -> None:
    """Restores every attribute `flavor` patched to exactly what it was."""
    with _conf_lock:
        for p in reversed(_patches.pop(flavor, [])):
            current = _own_attribute(p.owner, p.name)
            if current is p.wrapper:
                if p.had_own:
                    setattr(p.owner, p.name, p.old)
                else:
                    delattr(p.owner, p.name)
                continue
            # Another patch wrapped ours since: point it past ours.
            outer = current
            while outer is not _MISSING and getattr(outer, "_mlrs_cell", None) is not None:
                cell = outer._mlrs_cell
                if cell[0] is p.wrapper:
                    cell[0] = p.old if p.had_own else _raw_attribute_after(p.owner, p.name)
                    # ...and have the outer patch restore what ours would have restored.
                    for records in _patches.values():
                        for q in records:
                            if q.wrapper is outer and q.old is p.wrapper:
                                q.had_own, q.old = p.had_own, p.old
                    break
                outer = cell[0]


def _raw_attribute_after(owner: Any, name: str) -> Any:
    """What `owner.name` resolves to when `owner` has no attribute of its own."""
    if isinstance(owner, type):
        for klass in owner.__mro__[1:]:
            found = vars(klass).get(name, _MISSING)
            if found is not _MISSING:
                return found
    return _MISSING


def patched(flavor: str) -> list[tuple[Any, str]]:
    """(owner, name) of every attribute `flavor` has patched (for tests and debugging)."""
    with _conf_lock:
        return [(p.owner, p.name) for p in _patches.get(flavor, [])]


def _managed_tags(flavor: str, extra_tags: dict[str, Any] | None) -> dict[str, Any]:
    from mlrs.exceptions import MlflowException
    from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    tags: dict[str, Any] = {MLFLOW_AUTOLOGGING: flavor}
    if extra_tags:
        if not isinstance(extra_tags, dict):
            raise MlflowException(
                "Invalid `extra_tags` type: expecting dictionary, received "
                f"`{type(extra_tags).__name__}`",
                INVALID_PARAMETER_VALUE,
            )
        if MLFLOW_AUTOLOGGING in extra_tags:
            extra_tags.pop(MLFLOW_AUTOLOGGING)
            _log.logger().warning(
                "Tag `%s` is ignored as it is a reserved tag by MLflow autologging.",
                MLFLOW_AUTOLOGGING,
            )
        tags.update(extra_tags)
    return tags


def _make_wrapper(
    flavor: str, cell: list[Any], patch_fn: Callable[..., Any], tags: dict[str, Any] | None
) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _call(flavor, cell[0], patch_fn, tags, args, kwargs)

    with contextlib.suppress(AttributeError, TypeError):
        functools.update_wrapper(wrapper, cell[0])
    wrapper._mlrs_cell = cell  # type: ignore[attr-defined]
    wrapper._mlrs_flavor = flavor  # type: ignore[attr-defined]
    return wrapper


class _Session:
    __slots__ = ("failed", "flavor")

    def __init__(self, flavor: str) -> None:
        self.flavor = flavor
        self.failed = False


def _call(
    flavor: str,
    original: Any,
    patch_fn: Callable[..., Any],
    tags: dict[str, Any] | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    from mlrs import _tracking

    state = _state()
    session = state.session
    if (
        is_disabled(flavor)
        or state.disabled
        or (session is not None and session.failed)
        or (
            session is None
            and get_config(flavor, "exclusive", False)
            and _tracking.active_run() is not None
        )
    ):
        return original(*args, **kwargs)

    called = False
    raised = False
    result: Any = None

    def call_original(*og_args: Any, **og_kwargs: Any) -> Any:
        nonlocal called, raised, result
        called = True
        try:
            result = original(*og_args, **og_kwargs)
        except BaseException:
            raised = True
            raise
        return result

    with contextlib.suppress(AttributeError, TypeError):
        functools.update_wrapper(call_original, original)
    opened = session is None
    if opened:
        session = state.session = _Session(flavor)
    try:
        try:
            if tags is None:
                patch_fn(call_original, *args, **kwargs)
            else:
                _with_managed_run(flavor, tags, patch_fn, call_original, args, kwargs)
        except Exception as e:
            session.failed = True
            if raised:
                raise
            _warn_once(flavor, e)
        except BaseException:
            session.failed = True
            raise
        if called:
            return result
        return original(*args, **kwargs)
    finally:
        if opened:
            state.session = None


def _with_managed_run(
    flavor: str,
    tags: dict[str, Any],
    patch_fn: Callable[..., Any],
    call_original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    from mlrs import _tracking

    managed = None
    if _tracking.active_run() is None and not in_training_session():
        managed = _tracking.start_run(tags=dict(tags))
        if not get_config(flavor, "silent", False):
            _log.logger().info(
                "Created MLflow autologging run with ID '%s', which will track hyperparameters,"
                " performance metrics, model artifacts, and lineage information for the"
                " current %s workflow",
                managed.info.run_id,
                flavor,
            )
    try:
        patch_fn(call_original, *args, **kwargs)
    except BaseException:
        if managed is not None:
            _end_managed(managed.info.run_id, "FAILED")
        raise
    if managed is not None:
        _end_managed(managed.info.run_id, "FINISHED")


def _end_managed(run_id: str, status: str) -> None:
    from mlrs import _tracking

    run = _tracking.active_run()
    if run is not None and run.info.run_id == run_id:
        _tracking.end_run(status)


def _warn_once(flavor: str, error: BaseException) -> None:
    with _conf_lock:
        if flavor in _warned:
            return
        _warned.add(flavor)
    if not get_config(flavor, "silent", False):
        _log.logger().warning(
            "Encountered unexpected error during %s autologging: %s", flavor, error
        )


def reset_warnings(flavor: str) -> None:
    with _conf_lock:
        _warned.discard(flavor)


# ---- training sessions ---------------------------------------------------------------------


class TrainingSession:
    """One training call under way in this thread. Nested sessions log only when every
    session above allows children and none of them trains the same estimator."""

    def __init__(self, estimator: Any, allow_children: bool = True) -> None:
        self.estimator = estimator
        self.allow_children = allow_children
        self.parent: TrainingSession | None = None

    def __enter__(self) -> Self:
        stack = _state().stack
        if stack:
            self.parent = stack[-1]
            self.allow_children = stack[-1].allow_children and self.allow_children
        stack.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        stack = _state().stack
        if stack and stack[-1] is self:
            stack.pop()

    def should_log(self) -> bool:
        for session in _state().stack:
            if session is self:
                break
            if session.estimator is self.estimator:
                return False
        return self.parent is None or self.parent.allow_children


def in_training_session() -> bool:
    return bool(_state().stack)


def current_training_session() -> TrainingSession | None:
    stack = _state().stack
    return stack[-1] if stack else None


@contextlib.contextmanager
def disabled_in_thread() -> Iterator[None]:
    """Autologging does nothing in this thread inside the block."""
    state = _state()
    state.disabled += 1
    try:
        yield
    finally:
        state.disabled -= 1
