"""``Experiment``: a named group of runs."""

from __future__ import annotations

import os

from mlrs.entities._mlflow_object import _MlflowObject

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import Any

    from mlrs.entities.experiment_tag import ExperimentTag

_DEFAULT_WORKSPACE = "default"


def _resolve_workspace(workspace: str | None) -> str:
    """The given workspace if non-blank, else ``MLFLOW_WORKSPACE`` if non-blank, else default."""
    for candidate in (workspace, os.environ.get("MLFLOW_WORKSPACE")):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    return _DEFAULT_WORKSPACE


class Experiment(_MlflowObject):
    """An experiment: id (a string), name, artifact root, lifecycle stage, tags and times.

    ``tags`` is given as a list of ``ExperimentTag`` and exposed as a dict. Like MLflow's, two
    Experiment objects compare by identity.
    """

    DEFAULT_EXPERIMENT_NAME = "Default"

    __slots__ = (
        "_artifact_location",
        "_creation_time",
        "_effective_trace_archival_retention",
        "_experiment_id",
        "_last_update_time",
        "_lifecycle_stage",
        "_name",
        "_tags",
        "_trace_location",
        "_workspace",
    )

    def __init__(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str,
        lifecycle_stage: str,
        tags: list[ExperimentTag] | None = None,
        creation_time: int | None = None,
        last_update_time: int | None = None,
        workspace: str | None = None,
        trace_location: Any = None,
        effective_trace_archival_retention: str | None = None,
    ) -> None:
        self._experiment_id = experiment_id
        self._name = name
        self._artifact_location = artifact_location
        self._lifecycle_stage = lifecycle_stage
        self._tags = {tag.key: tag.value for tag in tags or ()}
        self._creation_time = creation_time
        self._last_update_time = last_update_time
        self._workspace = _resolve_workspace(workspace)
        self._trace_location = trace_location
        self._effective_trace_archival_retention = effective_trace_archival_retention

    @property
    def experiment_id(self) -> str:
        """ID of the experiment, as a string."""
        return self._experiment_id

    @property
    def name(self) -> str:
        """Name of the experiment."""
        return self._name

    @property
    def artifact_location(self) -> str:
        """Root URI under which the experiment's runs keep their artifacts."""
        return self._artifact_location

    @property
    def lifecycle_stage(self) -> str:
        """``"active"`` or ``"deleted"``."""
        return self._lifecycle_stage

    @property
    def tags(self) -> dict[str, str]:
        """Tags of the experiment, by key."""
        return self._tags

    @property
    def creation_time(self) -> int | None:
        """Creation time, in ms since the Unix epoch."""
        return self._creation_time

    @property
    def last_update_time(self) -> int | None:
        """Time of the last change, in ms since the Unix epoch."""
        return self._last_update_time

    @property
    def workspace(self) -> str:
        """Workspace that owns the experiment (``"default"`` unless workspaces are used)."""
        return self._workspace

    @property
    def trace_location(self) -> Any:
        """Where the experiment's traces are stored, if one was set."""
        return self._trace_location

    @trace_location.setter
    def trace_location(self, trace_location: Any) -> None:
        self._trace_location = trace_location

    @property
    def effective_trace_archival_retention(self) -> str | None:
        """Trace archival retention in force for the experiment, if known."""
        return self._effective_trace_archival_retention

    @effective_trace_archival_retention.setter
    def effective_trace_archival_retention(self, retention: str | None) -> None:
        self._effective_trace_archival_retention = retention
