"""mlrs: MLflow's experiment-tracking API on a Rust engine.

Use it as a drop-in: ``import mlrs as mlflow``. Runs, params, metrics and tags go to MLflow's own
SQLite schema (``sqlite:///mlflow.db`` by default), so ``mlflow ui`` shows them; logging calls
queue their writes for a background thread that commits them in batches.
"""

from mlrs import artifacts, config, entities, exceptions
from mlrs._artifacts import (
    get_artifact_uri,
    load_table,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_stream,
    log_table,
    log_text,
)
from mlrs._confusion_matrix import log_confusion_matrix
from mlrs._datasets import log_input, log_inputs
from mlrs._fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_experiment,
    delete_experiment_tag,
    delete_run,
    delete_tag,
    end_run,
    flush,
    flush_async_logging,
    get_experiment,
    get_experiment_by_name,
    get_parent_run,
    get_run,
    last_active_run,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    restore_experiment,
    restore_run,
    search_experiments,
    search_runs,
    set_experiment,
    set_experiment_tag,
    set_experiment_tags,
    set_tag,
    set_tags,
    start_run,
)
from mlrs._registry import (
    register_model,
    search_model_versions,
    search_registered_models,
    set_model_version_tag,
)
from mlrs._run_operations import RunOperations
from mlrs._runtime import (
    get_registry_uri,
    get_tracking_uri,
    is_tracking_uri_set,
    set_registry_uri,
    set_tracking_uri,
)
from mlrs.autologging import autolog
from mlrs.exceptions import MlflowException
from mlrs.tracking import MlflowClient

__version__ = "0.1.0"

# Modules and functions that load on first use (`mlrs.sklearn.log_model(...)`), as MLflow loads
# its flavors: none is needed to log runs, and `import mlrs` stays cheap.
_LAZY_SUBMODULES = (
    "autologging",
    "data",
    "lightgbm",
    "models",
    "pyfunc",
    "sklearn",
    "types",
    "xgboost",
)
_LAZY_FUNCTIONS = {
    "finalize_logged_model": "mlrs._logged_models",
    "get_logged_model": "mlrs._logged_models",
    "last_logged_model": "mlrs._logged_models",
    "search_logged_models": "mlrs._logged_models",
}
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mlrs._logged_models import (
        finalize_logged_model,
        get_logged_model,
        last_logged_model,
        search_logged_models,
    )


__all__ = [
    "ActiveRun",
    "MlflowClient",
    "MlflowException",
    "RunOperations",
    "active_run",
    "artifacts",
    "autolog",
    "config",
    "create_experiment",
    "data",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_run",
    "delete_tag",
    "end_run",
    "entities",
    "exceptions",
    "finalize_logged_model",
    "flush",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_logged_model",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
    "last_logged_model",
    "load_table",
    "log_artifact",
    "log_artifacts",
    "log_confusion_matrix",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_inputs",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_stream",
    "log_table",
    "log_text",
    "register_model",
    "restore_experiment",
    "restore_run",
    "search_experiments",
    "search_logged_models",
    "search_model_versions",
    "search_registered_models",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_model_version_tag",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]


def __getattr__(name: str) -> "Any":  # lazy submodules: their own types when imported
    import importlib

    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"mlrs.{name}")
    module = _LAZY_FUNCTIONS.get(name)
    if module is not None:
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'mlrs' has no attribute {name!r}")
