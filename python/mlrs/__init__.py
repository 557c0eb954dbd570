"""mlrs: MLflow's experiment-tracking API on a Rust engine.

Use it as a drop-in: ``import mlrs as mlflow``. Runs, params, metrics and tags go to MLflow's own
SQLite schema (``sqlite:///mlflow.db`` by default), so ``mlflow ui`` shows them; logging calls
queue their writes for a background thread that commits them in batches.
"""

from mlrs import _log, artifacts, config, entities, exceptions
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
    close,
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
    reset,
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
from mlrs._request_headers import set_request_header_provider
from mlrs._run_operations import RunOperations
from mlrs._runtime import (
    get_registry_uri,
    get_tracking_uri,
    is_tracking_uri_set,
    set_registry_uri,
    set_tracking_uri,
)
from mlrs._system_metrics import (
    disable_system_metrics_logging,
    enable_system_metrics_logging,
    set_system_metrics_node_id,
    set_system_metrics_samples_before_logging,
    set_system_metrics_sampling_interval,
)
from mlrs.autologging import autolog
from mlrs.exceptions import MlflowException
from mlrs.tracking import MlflowClient

__version__ = "0.1.0"

# The `mlrs` logger as MLflow sets up its own (see mlrs._log).
_log.configure_if_cheap()

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
    "ActiveModel": "mlrs._logged_models",
    "clear_active_model": "mlrs._logged_models",
    "create_external_model": "mlrs._logged_models",
    "delete_logged_model_tag": "mlrs._logged_models",
    "finalize_logged_model": "mlrs._logged_models",
    "get_active_model_id": "mlrs._logged_models",
    "get_logged_model": "mlrs._logged_models",
    "initialize_logged_model": "mlrs._logged_models",
    "install_as_mlflow": "mlrs._alias",
    "last_logged_model": "mlrs._logged_models",
    "log_model_params": "mlrs._logged_models",
    "log_outputs": "mlrs._logged_models",
    "search_logged_models": "mlrs._logged_models",
    "set_active_model": "mlrs._logged_models",
    "set_logged_model_tags": "mlrs._logged_models",
}
TYPE_CHECKING = False
if TYPE_CHECKING:
    # Type checkers see the lazy submodules as modules (`mlrs.sklearn.autolog()` is typed).
    from typing import Any

    from mlrs import autologging as autologging
    from mlrs import data as data
    from mlrs import lightgbm as lightgbm
    from mlrs import models as models
    from mlrs import pyfunc as pyfunc
    from mlrs import sklearn as sklearn
    from mlrs import types as types
    from mlrs import xgboost as xgboost
    from mlrs._alias import install_as_mlflow
    from mlrs._logged_models import (
        ActiveModel,
        clear_active_model,
        create_external_model,
        delete_logged_model_tag,
        finalize_logged_model,
        get_active_model_id,
        get_logged_model,
        initialize_logged_model,
        last_logged_model,
        log_model_params,
        log_outputs,
        search_logged_models,
        set_active_model,
        set_logged_model_tags,
    )


__all__ = [
    "ActiveModel",
    "ActiveRun",
    "MlflowClient",
    "MlflowException",
    "RunOperations",
    "active_run",
    "artifacts",
    "autolog",
    "clear_active_model",
    "close",
    "config",
    "create_experiment",
    "create_external_model",
    "data",
    "delete_experiment",
    "delete_experiment_tag",
    "delete_logged_model_tag",
    "delete_run",
    "delete_tag",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "end_run",
    "entities",
    "exceptions",
    "finalize_logged_model",
    "flush",
    "flush_async_logging",
    "get_active_model_id",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_logged_model",
    "get_parent_run",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "initialize_logged_model",
    "install_as_mlflow",
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
    "log_model_params",
    "log_outputs",
    "log_param",
    "log_params",
    "log_stream",
    "log_table",
    "log_text",
    "register_model",
    "reset",
    "restore_experiment",
    "restore_run",
    "search_experiments",
    "search_logged_models",
    "search_model_versions",
    "search_registered_models",
    "search_runs",
    "set_active_model",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_logged_model_tags",
    "set_model_version_tag",
    "set_registry_uri",
    "set_request_header_provider",
    "set_system_metrics_node_id",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
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
