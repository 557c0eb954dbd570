# Type stub of the compiled engine, `mlrs._core` (src/py). Rows come back as plain tuples;
# `mlrs._convert` turns them into entities.

import os
from pathlib import Path
from typing import TypeAlias, final

__all__ = [
    "ALEMBIC_HEAD",
    "Store",
    "artifact_discard",
    "artifact_download",
    "artifact_list",
    "artifact_local_path",
    "artifact_log_dir",
    "artifact_log_file",
    "artifact_publish",
    "artifact_stage",
    "artifact_write",
    "git_worktree_dirty",
]

ALEMBIC_HEAD: str

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
#   artifact_uri), latest metrics, params, tags, (dataset inputs, model input ids))
_RunRow: TypeAlias = tuple[
    tuple[str, str | None, str, str | None, str, int | None, int | None, str, str | None],
    list[_MetricRow],
    list[tuple[str, str]],
    list[tuple[str, str | None]],
    tuple[list[_DatasetInputRow], list[str]],
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

def git_worktree_dirty(
    work_tree: str | os.PathLike[str], git_dir: str | os.PathLike[str], budget_s: float
) -> bool | None: ...

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
def artifact_publish(staged: str | Path, dest: str | Path) -> None: ...
def artifact_discard(staged: str | Path) -> None: ...
def artifact_list(
    root: str | Path, path: str | None = None
) -> list[tuple[str, bool, int | None]]: ...
def artifact_local_path(root: str | Path, path: str) -> str: ...
def artifact_download(root: str | Path, path: str, dst: str | Path) -> str: ...
