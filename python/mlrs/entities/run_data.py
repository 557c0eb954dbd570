"""``RunData``: the metrics, params and tags of a run."""

from __future__ import annotations

from mlrs.entities._mlflow_object import _MlflowObject

TYPE_CHECKING = False  # names below are for type checkers; importing typing costs ms
if TYPE_CHECKING:
    from typing import Any

    from mlrs.entities.metric import Metric
    from mlrs.entities.param import Param
    from mlrs.entities.run_tag import RunTag


class RunData(_MlflowObject):
    """A run's latest metric values, params and tags, as dicts keyed by name.

    ``_metric_objs`` keeps the ``Metric`` objects it was built from. Like MLflow's, two RunData
    objects compare by identity.
    """

    __slots__ = ("_metric_objs", "_metrics", "_params", "_tags")

    def __init__(
        self,
        metrics: list[Metric] | None = None,
        params: list[Param] | None = None,
        tags: list[RunTag] | None = None,
    ) -> None:
        self._metric_objs = metrics or []
        self._metrics = {m.key: m.value for m in self._metric_objs}
        self._params = {p.key: p.value for p in params or ()}
        self._tags = {t.key: t.value for t in tags or ()}

    @classmethod
    def _from_dicts(
        cls, metric_objs: list[Metric], params: dict[str, str], tags: dict[str, str]
    ) -> RunData:
        """Fast constructor for the store: params and tags as ready dicts, which it keeps."""
        data = object.__new__(cls)
        data._metric_objs = metric_objs
        data._metrics = {m.key: m.value for m in metric_objs}
        data._params = params
        data._tags = tags
        return data

    @property
    def metrics(self) -> dict[str, float]:
        """Latest value of each metric, by key."""
        return self._metrics

    @property
    def params(self) -> dict[str, str]:
        """Param values, by key."""
        return self._params

    @property
    def tags(self) -> dict[str, str]:
        """Tag values, by key."""
        return self._tags

    def to_dictionary(self) -> dict[str, Any]:
        """``{"metrics": ..., "params": ..., "tags": ...}``, the dicts themselves (not copies)."""
        return {"metrics": self._metrics, "params": self._params, "tags": self._tags}
