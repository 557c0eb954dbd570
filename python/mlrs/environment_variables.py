"""`mlrs.environment_variables`, at MLflow's import path: the ``MLFLOW_*`` variables mlrs reads,
each an object with ``.get()`` (the typed value, or its default), ``.is_set()``, ``.set()`` and
``.unset()``, so code that reads them through ``mlflow.environment_variables`` keeps working."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class _EnvironmentVariable:
    """One environment variable: its name, the type its text converts to, and its default."""

    def __init__(self, name: str, type_: Callable[[str], Any], default: Any) -> None:
        self.name = name
        self.type = type_
        self.default = default

    @property
    def defined(self) -> bool:
        """Whether the variable is in the environment (even empty)."""
        return self.name in os.environ

    def get_raw(self) -> str | None:
        """The variable's text, or None."""
        return os.environ.get(self.name)

    def set(self, value: Any) -> None:
        """Puts `str(value)` in this process's environment (and its children's)."""
        os.environ[self.name] = str(value)

    def unset(self) -> None:
        """Removes the variable from the environment (a no-op when it is absent)."""
        os.environ.pop(self.name, None)

    def is_set(self) -> bool:
        return self.name in os.environ

    def get(self) -> Any:
        """The value converted to the variable's type, or the default when it is not set.

        Raises:
            ValueError: the text does not convert to the variable's type.
        """
        raw = self.get_raw()
        if raw is None:
            return self.default
        try:
            return self.type(raw)
        except Exception as e:
            raise ValueError(
                f"Failed to convert {raw!r} to {self.type} for {self.name}: {e}"
            ) from e

    def __str__(self) -> str:
        return f"{self.name} (default: {self.default}, type: {self.type.__name__})"

    def __repr__(self) -> str:
        return repr(self.name)

    def __format__(self, format_spec: str) -> str:
        return self.name.__format__(format_spec)


class _BooleanEnvironmentVariable(_EnvironmentVariable):
    """A switch: ``true``/``false``/``1``/``0`` in any case, anything else refused."""

    def __init__(self, name: str, default: bool | None) -> None:
        if default not in (True, False, None):
            raise ValueError(f"{name} default value must be one of [True, False, None]")
        super().__init__(name, bool, default)

    def get(self) -> Any:
        raw = self.get_raw()
        if raw is None:
            return self.default
        lowered = raw.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ValueError(
                f"{self.name} value must be one of ['true', 'false', '1', '0'] "
                f"(case-insensitive), but got {raw}"
            )
        return lowered in ("true", "1")


#: Where runs are logged: ``sqlite:///path/to/mlflow.db`` (default ``sqlite:///mlflow.db``).
MLFLOW_TRACKING_URI = _EnvironmentVariable("MLFLOW_TRACKING_URI", str, None)
#: Where models are registered (mlrs keeps them in the tracking database).
MLFLOW_REGISTRY_URI = _EnvironmentVariable("MLFLOW_REGISTRY_URI", str, None)
#: The experiment new runs go to, by name (created when missing).
MLFLOW_EXPERIMENT_NAME = _EnvironmentVariable("MLFLOW_EXPERIMENT_NAME", str, None)
#: The experiment new runs go to, by id.
MLFLOW_EXPERIMENT_ID = _EnvironmentVariable("MLFLOW_EXPERIMENT_ID", str, None)
#: A run that the first ``start_run()`` resumes.
MLFLOW_RUN_ID = _EnvironmentVariable("MLFLOW_RUN_ID", str, None)
#: Logging calls return a ``RunOperations`` instead of raising at the call.
MLFLOW_ENABLE_ASYNC_LOGGING = _BooleanEnvironmentVariable("MLFLOW_ENABLE_ASYNC_LOGGING", False)
#: Whether ``import mlrs`` gives the ``mlrs`` logger a stderr handler.
MLFLOW_CONFIGURE_LOGGING = _BooleanEnvironmentVariable("MLFLOW_CONFIGURE_LOGGING", True)
#: The level of the ``mlrs`` logger when mlrs configures it (INFO when unset).
MLFLOW_LOGGING_LEVEL = _EnvironmentVariable("MLFLOW_LOGGING_LEVEL", str, None)
#: Param and tag values longer than the limit are truncated (with a warning) instead of refused.
MLFLOW_TRUNCATE_LONG_VALUES = _BooleanEnvironmentVariable("MLFLOW_TRUNCATE_LONG_VALUES", True)
#: Whether loading a model may run code from the model's files (pickle, cloudpickle, skops).
MLFLOW_ALLOW_PICKLE_DESERIALIZATION = _BooleanEnvironmentVariable(
    "MLFLOW_ALLOW_PICKLE_DESERIALIZATION", True
)
#: Whether loading a model may run code from its files (checked with the variable above).
MLFLOW_ALLOW_MODEL_CODE_EXECUTION = _BooleanEnvironmentVariable(
    "MLFLOW_ALLOW_MODEL_CODE_EXECUTION", True
)
#: Whether a ``./mlruns`` file-store URI is accepted (mlrs refuses it either way for writing).
MLFLOW_ALLOW_FILE_STORE = _BooleanEnvironmentVariable("MLFLOW_ALLOW_FILE_STORE", False)
#: The user recorded in a run's ``mlflow.user`` tag (default: the login name).
MLFLOW_TRACKING_USERNAME = _EnvironmentVariable("MLFLOW_TRACKING_USERNAME", str, None)
#: Extra run tags, as a JSON object, merged under the tags a run is started with.
MLFLOW_RUN_CONTEXT = _EnvironmentVariable("MLFLOW_RUN_CONTEXT", str, None)
#: The workspace experiments report when none is given.
MLFLOW_WORKSPACE = _EnvironmentVariable("MLFLOW_WORKSPACE", str, None)
#: The logged model a new thread starts with as its active model (`set_active_model`).
MLFLOW_ACTIVE_MODEL_ID = _EnvironmentVariable("MLFLOW_ACTIVE_MODEL_ID", str, None)
#: The older, internal name of the same (read when the public one is not set).
_MLFLOW_ACTIVE_MODEL_ID = _EnvironmentVariable("_MLFLOW_ACTIVE_MODEL_ID", str, None)
