# Type stub of the compiled engine, `mlrs._core` (src/py). Rows come back as plain tuples;
# `mlrs._convert` turns them into entities.

from pathlib import Path
from typing import TypeAlias, final

__all__ = ["ALEMBIC_HEAD", "Store"]

ALEMBIC_HEAD: str

# (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time,
#  tags, workspace)
_ExperimentRow: TypeAlias = tuple[
    str, str, str | None, str, int | None, int | None, list[tuple[str, str]], str
]
# (key, value, timestamp, step)
_MetricRow: TypeAlias = tuple[str, float, int, int]
# ((run_id, run_name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage,
#   artifact_uri), latest metrics, params, tags)
_RunRow: TypeAlias = tuple[
    tuple[str, str | None, str, str | None, str, int | None, int | None, str, str | None],
    list[_MetricRow],
    list[tuple[str, str]],
    list[tuple[str, str | None]],
]

# (key, value, timestamp, step, run_id, dataset_name, dataset_digest)
_ModelMetricRow: TypeAlias = tuple[str, float | None, int, int, str, str | None, str | None]
# ((model_id, experiment_id, name, artifact_location, creation_timestamp,
#   last_updated_timestamp, status, lifecycle_stage, model_type, source_run_id, status_message),
#  tags, params, metrics)
_LoggedModelRow: TypeAlias = tuple[
    tuple[str, str, str, str, int, int, int, str | None, str | None, str | None, str | None],
    list[tuple[str, str]],
    list[tuple[str, str]],
    list[_ModelMetricRow],
]

@final
class Store:
    def __new__(
        cls,
        path: str | Path,
        default_artifact_root: str,
        queue_capacity: int = 32768,
        max_batch_ops: int = 8192,
    ) -> Store: ...
    @property
    def path(self) -> Path: ...
    @property
    def default_artifact_root(self) -> str: ...
    def log_metric(
        self, run_id: str, key: str, value: float, timestamp: int | None, step: int
    ) -> None: ...
    def log_param(self, run_id: str, key: str, value: str) -> None: ...
    def set_tag(self, run_id: str, key: str, value: str) -> None: ...
    def log_batch(
        self,
        run_id: str,
        metrics: list[_MetricRow],
        params: list[tuple[str, str]],
        tags: list[tuple[str, str | None]],
    ) -> None: ...
    def delete_tag(self, run_id: str, key: str) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def create_experiment(
        self, name: str, artifact_location: str | None, tags: list[tuple[str, str]]
    ) -> str: ...
    def get_experiment(self, experiment_id: str) -> _ExperimentRow: ...
    def get_experiment_by_name(self, name: str) -> _ExperimentRow | None: ...
    def search_experiments(
        self,
        view_type: int,
        filter_string: str,
        order_by: list[str],
        max_results: int,
        offset: int,
    ) -> list[_ExperimentRow]: ...
    def delete_experiment(self, experiment_id: str) -> None: ...
    def restore_experiment(self, experiment_id: str) -> None: ...
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str | None,
        tags: list[tuple[str, str | None]],
    ) -> _RunRow: ...
    def search_runs(
        self,
        experiment_ids: list[str],
        view_type: int,
        filter_string: str,
        order_by: list[str],
        max_results: int,
        offset: int,
    ) -> list[_RunRow]: ...
    def get_run(self, run_id: str) -> _RunRow: ...
    def update_run_info(
        self, run_id: str, status: str | None, end_time: int | None, run_name: str | None
    ) -> None: ...
    def delete_run(self, run_id: str) -> None: ...
    def restore_run(self, run_id: str) -> None: ...
    def get_metric_columns(
        self, run_id: str, key: str, max_points: int | None = None
    ) -> tuple[bytes, bytes, bytes]: ...
    # ---- logged models (src/py/models.rs) ----
    def create_logged_model(
        self,
        experiment_id: str,
        name: str,
        source_run_id: str | None,
        model_type: str | None,
        params: list[tuple[str, str]],
        tags: list[tuple[str, str]],
    ) -> _LoggedModelRow: ...
    def finalize_logged_model(self, model_id: str, status: int) -> _LoggedModelRow: ...
    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> _LoggedModelRow: ...
    def set_logged_model_tags(self, model_id: str, tags: list[tuple[str, str]]) -> None: ...
    def log_outputs(self, run_id: str, outputs: list[tuple[str, int]]) -> None: ...
    def link_run_metrics_to_model(self, model_id: str, run_id: str, step: int) -> None: ...
    def model_outputs(self, run_ids: list[str]) -> list[list[tuple[str, int]]]: ...
    def search_logged_models(
        self,
        experiment_ids: list[str],
        filters: list[tuple[str, str, str]],
        limit: int,
        offset: int,
    ) -> list[_LoggedModelRow]: ...
