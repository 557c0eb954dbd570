# Type stub of the compiled engine, `mlrs._core` (src/py). Rows come back as plain tuples;
# `mlrs._convert` turns them into entities.

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias, final

__all__ = [
    "ALEMBIC_HEAD",
    "Store",
    "SystemMetricsMonitor",
    "UiServer",
    "artifact_discard",
    "artifact_download",
    "artifact_list",
    "artifact_local_path",
    "artifact_log_dir",
    "artifact_log_file",
    "artifact_publish",
    "artifact_stage",
    "artifact_write",
    "check_metric_key",
    "fork_pause",
    "fork_resume",
    "git_checkout",
    "git_worktree_dirty",
    "log_active_metric",
    "log_active_metrics",
    "remote_artifact_download",
    "remote_artifact_list",
    "remote_artifact_log_dir",
    "remote_artifact_log_file",
    "remote_artifact_root",
    "sample_system_metrics",
    "set_active_run",
    "set_header_provider",
    "ship_spool",
]

ALEMBIC_HEAD: str

def check_metric_key(key: str) -> None: ...
def set_active_run(store: Store | None, run_id: str | None) -> None: ...
def log_active_metric(key: object, value: object, step: object) -> bool: ...
def log_active_metrics(metrics: object, step: object) -> bool: ...
def fork_pause() -> None: ...
def fork_resume() -> None: ...

# (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time,
#  tags, workspace)
_ExperimentRow: TypeAlias = tuple[
    str, str, str | None, str, int | None, int | None, list[tuple[str, str]], str
]
# (key, value, timestamp, step)
_MetricRow: TypeAlias = tuple[str, float, int, int]
# (name, digest, source_type, source, schema, profile)
_DatasetRow: TypeAlias = tuple[str, str, str, str, str | None, str | None]
# (dataset, input tags)
_DatasetInputRow: TypeAlias = tuple[_DatasetRow, list[tuple[str, str]]]
# ((run_id, run_name, experiment_id, user_id, status, start_time, end_time, lifecycle_stage,
#   artifact_uri), latest metrics, params, tags, (dataset inputs, model input ids),
#  model outputs as (model_id, step))
_RunRow: TypeAlias = tuple[
    tuple[str, str | None, str, str | None, str, int | None, int | None, str, str | None],
    list[_MetricRow],
    list[tuple[str, str]],
    list[tuple[str, str | None]],
    tuple[list[_DatasetInputRow], list[str]],
    list[tuple[str, int]],
]

# ((name, version, creation_time, last_updated_time, description, user_id, current_stage, source,
#   run_id, status, status_message, run_link), storage_location, workspace, tags, aliases)
_VersionRow: TypeAlias = tuple[
    tuple[
        str,
        int,
        int | None,
        int | None,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
        str | None,
    ],
    str | None,
    str,
    list[tuple[str, str | None]],
    list[str],
]
# (name, creation_time, last_updated_time, description, tags, aliases, latest_versions, workspace)
_ModelRow: TypeAlias = tuple[
    str,
    int | None,
    int | None,
    str | None,
    list[tuple[str, str | None]],
    list[tuple[str, int]],
    list[_VersionRow],
    str,
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

def ship_spool(uri: str, spool_dir: str | Path) -> tuple[int, int, int]: ...
def set_header_provider(provider: Callable[[str], list[tuple[str, str]]] | None) -> None: ...

@final
class Store:
    def __new__(
        cls,
        path: str | Path,
        default_artifact_root: str,
        queue_capacity: int = 32768,
        max_batch_ops: int = 8192,
        durable: bool = True,
    ) -> Store: ...
    @staticmethod
    def open(
        uri: str,
        default_artifact_root: str,
        queue_capacity: int = 32768,
        max_batch_ops: int = 8192,
        spool_dir: str | Path | None = None,
        durable: bool = True,
    ) -> Store: ...
    @property
    def location(self) -> str: ...
    @property
    def default_artifact_root(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def log_metric(
        self, run_id: str, key: str, value: float, timestamp: int | None, step: int
    ) -> None: ...
    def log_metrics(
        self, run_id: str, metrics: dict[str, Any], timestamp: int | None, step: int
    ) -> bool: ...
    def log_metric_entities(self, run_id: str, metrics: list[Any]) -> bool: ...
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
    def close(self, timeout: float | None = None) -> tuple[int, str | None]: ...
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
    def log_inputs(
        self, run_id: str, datasets: list[_DatasetInputRow], model_ids: list[str]
    ) -> None: ...
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
    def log_model_metrics(
        self,
        run_id: str,
        points: list[tuple[str, str, float, int, int, str | None, str | None]],
    ) -> None: ...
    def model_outputs(self, run_ids: list[str]) -> list[list[tuple[str, int]]]: ...
    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter: str | None,
        datasets: list[tuple[str, str | None]],
        order_by: list[tuple[str, bool, str | None, str | None]],
        limit: int,
        offset: int,
    ) -> list[_LoggedModelRow]: ...
    def delete_logged_model(self, model_id: str) -> None: ...
    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...
    def log_logged_model_params(self, model_id: str, params: list[tuple[str, str]]) -> None: ...

    # ---- model registry (src/py/registry.rs) ----
    @staticmethod
    def validate_model_name(name: str) -> None: ...
    @staticmethod
    def validate_alias_name(alias: str, reserved: bool = False) -> None: ...
    def create_registered_model(
        self, name: str, tags: list[tuple[str, str]], description: str | None
    ) -> _ModelRow: ...
    def get_registered_model(self, name: str) -> _ModelRow: ...
    def rename_registered_model(self, name: str, new_name: str) -> _ModelRow: ...
    def update_registered_model(self, name: str, description: str | None) -> _ModelRow: ...
    def delete_registered_model(self, name: str) -> None: ...
    def search_registered_models(
        self, filter_string: str, order_by: list[str], limit: int, offset: int
    ) -> list[_ModelRow]: ...
    def set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...
    def get_latest_versions(self, name: str, stages: list[str]) -> list[_VersionRow]: ...
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: list[tuple[str, str]],
        run_link: str | None,
        description: str | None,
        model_id: str | None,
    ) -> _VersionRow: ...
    def get_model_version(self, name: str, version: int) -> _VersionRow: ...
    def update_model_version(
        self, name: str, version: int, description: str | None
    ) -> _VersionRow: ...
    def delete_model_version(self, name: str, version: int) -> None: ...
    def transition_model_version_stage(
        self, name: str, version: int, stage: str, archive_existing_versions: bool
    ) -> _VersionRow: ...
    def get_model_version_download_uri(self, name: str, version: int) -> str: ...
    def search_model_versions(
        self, filter_string: str, order_by: list[str], limit: int, offset: int
    ) -> list[_VersionRow]: ...
    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None: ...
    def delete_model_version_tag(self, name: str, version: int, key: str) -> None: ...
    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None: ...
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...
    def get_model_version_by_alias(self, name: str, alias: str) -> _VersionRow: ...
    def registry_logged_model(self, model_id: str) -> tuple[str, str, str | None]: ...
    def registry_logged_models_of_run(
        self, experiment_id: int, run_id: str, name: str
    ) -> list[str]: ...
    def link_model_version_to_logged_model(
        self, model_id: str, name: str, version: int | str
    ) -> bool: ...
    def resolve_models_uri(self, uri: str) -> str: ...
    # mlrs ui's runs table and mlrs gc (src/py/ui.rs)
    def runs_table_json(
        self,
        experiment_ids: list[str],
        view_type: int,
        filter: str,
        order_by: list[str],
        max_results: int,
        offset: int,
        metrics: list[str],
        params: list[str],
        tags: list[str],
    ) -> str: ...
    def run_rows_json(self, run_ids: list[str]) -> str: ...
    def deleted_run_ids(self, older_than_ms: int) -> list[str]: ...
    def deleted_logged_model_ids(self, older_than_ms: int) -> list[str]: ...
    def hard_delete_run(self, run_id: str) -> None: ...
    def hard_delete_experiment(self, experiment_id: str) -> None: ...
    def hard_delete_logged_model(self, model_id: str) -> None: ...

def git_checkout(
    path: str | os.PathLike[str],
) -> tuple[str, str | None, str | None, str | None] | None: ...
def git_worktree_dirty(git_dir: str | os.PathLike[str], budget_s: float) -> bool | None: ...

# ---- artifacts (src/py/artifacts.rs) --------------------------------------------------------
# Paths are relative to a run's artifact root `root`; every write stays under it.

def artifact_log_file(
    root: str | Path, local_path: str | Path, artifact_path: str | None = None
) -> None: ...
def artifact_log_dir(
    root: str | Path, local_dir: str | Path, artifact_path: str | None = None
) -> None: ...
def artifact_write(root: str | Path, artifact_file: str, data: bytes) -> None: ...
def artifact_stage(root: str | Path, artifact_file: str) -> tuple[str, str]: ...
def artifact_publish(staged: str | Path, root: str | Path, artifact_file: str) -> None: ...
def artifact_discard(staged: str | Path) -> None: ...
def artifact_list(
    root: str | Path, path: str | None = None
) -> list[tuple[str, bool, int | None]]: ...
def artifact_local_path(root: str | Path, path: str) -> str: ...
def artifact_download(root: str | Path, path: str, dst: str | Path) -> str: ...

# A run's artifact root on a tracking server's artifact proxy: `root` is its HTTP URL under
# /api/2.0/mlflow-artifacts/artifacts; requests use `store`'s HTTP client when it is remote.

def remote_artifact_log_file(
    store: Store, root: str, local_path: str | Path, artifact_path: str | None = None
) -> None: ...
def remote_artifact_log_dir(
    store: Store, root: str, local_dir: str | Path, artifact_path: str | None = None
) -> None: ...
def remote_artifact_list(
    store: Store, root: str, path: str | None = None
) -> list[tuple[str, bool, int | None]]: ...
def remote_artifact_root(artifact_uri: str, tracking_uri: str) -> str: ...
def remote_artifact_download(store: Store, root: str, path: str, dst: str | Path) -> str: ...

@final
class SystemMetricsMonitor:
    def __new__(
        cls,
        store: Store,
        run_id: str,
        interval_s: float,
        samples_before_logging: int,
        prefix: str,
        first_step: int,
    ) -> SystemMetricsMonitor: ...
    def stop(self) -> None: ...
    @property
    def running(self) -> bool: ...

def sample_system_metrics(interval_s: float) -> list[tuple[str, float]]: ...

# ---- mlrs ui (src/py/ui.rs, src/server/) ------------------------------------------------------

@final
class UiServer:
    def __new__(
        cls,
        store_uri: str,
        db_path: str | Path,
        default_artifact_root: str,
        assets_dir: str | Path | None,
        host: str,
        port: int,
        version: str,
        cache_points: int = 16_000_000,
        spool_dir: str | Path | None = None,
    ) -> UiServer: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def store_error(self) -> str | None: ...
    def serve_forever(self) -> None: ...
    def stop(self) -> None: ...
