"""``LoggedModel``: an MLflow 3 model record (``m-<id>``) with its params, tags and metrics."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject
from mlrs.entities.logged_model_status import LoggedModelStatus

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import Any

    from mlrs.entities.metric import Metric


class LoggedModel(_MlflowObject):
    """A logged model: where its files are, which run made it, its status and its data."""

    __slots__ = (
        "_artifact_location",
        "_creation_time",
        "_experiment_id",
        "_last_updated_timestamp",
        "_metrics",
        "_model_id",
        "_model_type",
        "_model_uri",
        "_name",
        "_params",
        "_source_run_id",
        "_status",
        "_status_message",
        "_tags",
    )

    def __init__(
        self,
        experiment_id: str,
        model_id: str,
        name: str,
        artifact_location: str,
        creation_timestamp: int,
        last_updated_timestamp: int,
        model_type: str | None = None,
        source_run_id: str | None = None,
        status: LoggedModelStatus | int = LoggedModelStatus.READY,
        status_message: str | None = None,
        tags: list[Any] | dict[str, str] | None = None,
        params: list[Any] | dict[str, str] | None = None,
        metrics: list[Metric] | None = None,
    ) -> None:
        self._experiment_id = experiment_id
        self._model_id = model_id
        self._name = name
        self._artifact_location = artifact_location
        self._creation_time = creation_timestamp
        self._last_updated_timestamp = last_updated_timestamp
        self._model_type = model_type
        self._source_run_id = source_run_id
        self._status = (
            LoggedModelStatus.from_int(status)
            if isinstance(status, int)
            else LoggedModelStatus(status)
        )
        self._status_message = status_message
        self._tags: dict[str, str] = (
            {t.key: t.value for t in tags} if isinstance(tags, list) else (tags or {})
        )
        self._params: dict[str, str] = (
            {p.key: p.value for p in params} if isinstance(params, list) else (params or {})
        )
        self._metrics = metrics
        self._model_uri = f"models:/{model_id}"

    def __repr__(self) -> str:
        # Tags, params and metrics can be large; MLflow leaves them out too.
        shown = (f"{k}={v!r}" for k, v in sorted(self) if k not in ("tags", "params", "metrics"))
        return "LoggedModel({})".format(", ".join(shown))

    @property
    def experiment_id(self) -> str:
        """ID of the experiment the model belongs to."""
        return self._experiment_id

    @property
    def model_id(self) -> str:
        """The model's ID, ``m-`` and 32 hex digits."""
        return self._model_id

    @property
    def name(self) -> str:
        """The model's name."""
        return self._name

    @property
    def artifact_location(self) -> str:
        """Where the model's files are."""
        return self._artifact_location

    @property
    def creation_timestamp(self) -> int:
        """Creation time, milliseconds since the epoch."""
        return self._creation_time

    @property
    def last_updated_timestamp(self) -> int:
        """Last update time, milliseconds since the epoch."""
        return self._last_updated_timestamp

    @property
    def model_type(self) -> str | None:
        """A user-chosen type such as ``"agent"``."""
        return self._model_type

    @property
    def source_run_id(self) -> str | None:
        """The run the model was logged from, or None."""
        return self._source_run_id

    @property
    def status(self) -> LoggedModelStatus:
        """PENDING while files are written, then READY (or FAILED)."""
        return self._status

    @property
    def status_message(self) -> str | None:
        """Details about the status."""
        return self._status_message

    @property
    def tags(self) -> dict[str, str]:
        """The model's tags."""
        return self._tags

    @property
    def params(self) -> dict[str, str]:
        """The model's params (copied from its run when logged)."""
        return self._params

    @property
    def metrics(self) -> list[Metric] | None:
        """The model's metrics."""
        return self._metrics

    @property
    def model_uri(self) -> str:
        """``models:/<model_id>``."""
        return self._model_uri

    def to_dictionary(self) -> dict[str, Any]:
        """The properties as a dict, status as its integer, without the derived ``model_uri``."""
        model_dict = dict(self)
        model_dict["status"] = self._status.to_int()
        del model_dict["model_uri"]
        return model_dict
