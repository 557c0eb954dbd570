"""``RunInfo``: the metadata of a run."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import Any


class searchable_attribute(property):
    """A ``RunInfo`` property that search filters and ``order_by`` may name."""


class RunInfo(_MlflowObject):
    """Metadata of a run: ids, user, status, times, lifecycle stage and artifact root.

    ``status`` is the status name (``"RUNNING"``...), times are ms since the Unix epoch and
    ``experiment_id`` is a string. Compares by value; not hashable, as in MLflow.
    """

    __slots__ = (
        "_artifact_uri",
        "_end_time",
        "_experiment_id",
        "_lifecycle_stage",
        "_run_id",
        "_run_name",
        "_start_time",
        "_status",
        "_user_id",
    )

    def __init__(
        self,
        run_id: str,
        experiment_id: str,
        user_id: str,
        status: str,
        start_time: int,
        end_time: int | None,
        lifecycle_stage: str,
        artifact_uri: str | None = None,
        run_name: str | None = None,
    ) -> None:
        if experiment_id is None:
            raise Exception("experiment_id cannot be None")
        if user_id is None:
            raise Exception("user_id cannot be None")
        if status is None:
            raise Exception("status cannot be None")
        if start_time is None:
            raise Exception("start_time cannot be None")
        self._run_id = run_id
        self._experiment_id = experiment_id
        self._user_id = user_id
        self._status = status
        self._start_time = start_time
        self._end_time = end_time
        self._lifecycle_stage = lifecycle_stage
        self._artifact_uri = artifact_uri
        self._run_name = run_name

    @searchable_attribute
    def run_id(self) -> str:
        """ID of the run (32 hex characters for runs that MLflow or mlrs created)."""
        return self._run_id

    @property
    def experiment_id(self) -> str:
        """ID of the run's experiment, as a string."""
        return self._experiment_id

    @searchable_attribute
    def run_name(self) -> str | None:
        """Name of the run."""
        return self._run_name

    @searchable_attribute
    def user_id(self) -> str:
        """User who started the run."""
        return self._user_id

    @searchable_attribute
    def status(self) -> str:
        """Status name, one of ``RunStatus``'s: RUNNING, SCHEDULED, FINISHED, FAILED, KILLED."""
        return self._status

    @searchable_attribute
    def start_time(self) -> int:
        """Start of the run, in ms since the Unix epoch."""
        return self._start_time

    @searchable_attribute
    def end_time(self) -> int | None:
        """End of the run, in ms since the Unix epoch; None while it has not ended."""
        return self._end_time

    @searchable_attribute
    def artifact_uri(self) -> str | None:
        """Root URI of the run's artifacts."""
        return self._artifact_uri

    @property
    def lifecycle_stage(self) -> str:
        """``"active"`` or ``"deleted"`` (see ``LifecycleStage``)."""
        return self._lifecycle_stage

    def _fields(self) -> tuple[Any, ...]:
        return (
            self._run_id,
            self._experiment_id,
            self._user_id,
            self._status,
            self._start_time,
            self._end_time,
            self._lifecycle_stage,
            self._artifact_uri,
            self._run_name,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self._fields() == other._fields()
        return False

    @classmethod
    def get_searchable_attributes(cls) -> list[str]:
        """Attribute names a search filter may use, sorted."""
        return sorted(k for k, v in vars(cls).items() if isinstance(v, searchable_attribute))

    @classmethod
    def get_orderable_attributes(cls) -> list[str]:
        """Attribute names ``order_by`` may use, sorted: the searchable ones."""
        return cls.get_searchable_attributes()
