"""XGBoost autologging: what `mlflow.xgboost.autolog()` of MLflow 3.18 logs.

`xgboost.train` (and the `train` the scikit-learn API calls) logs the booster params and the
call's other arguments as params, every evaluation metric at each iteration as
`<eval name>-<metric>` with `step=iteration`, and with early stopping `stopped_iteration`,
`best_iteration` and the best iteration's metrics one step past the last. The scikit-learn
estimators (`XGBClassifier`, ...) get the post-training metrics of `mlrs.sklearn`.
"""

from __future__ import annotations

from mlrs import _log
from mlrs.autologging import _boosting, _common, _records, integration
from mlrs.autologging._patch import current_training_session

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FLAVOR_NAME = "xgboost"
_UNLOGGED = (
    "params",
    "dtrain",
    "evals",
    "obj",
    "feval",
    "evals_result",
    "xgb_model",
    "callbacks",
    "learning_rates",
)


@integration(FLAVOR_NAME, versions=("2.1.3", "3.4.1"))
def autolog(
    importance_types: list[str] | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    model_format: str = "ubj",
    extra_tags: dict[str, str] | None = None,
) -> None:
    """Enables (or disables) autologging of XGBoost training, as `mlflow.xgboost.autolog`."""
    import xgboost

    from mlrs.sklearn import _autolog as sk

    types = ["weight"] if importance_types is None else list(importance_types)

    def train_impl(log_models_here: bool, original: Any, *args: Any, **kwargs: Any) -> Any:
        run_id = _common.active_run_id()
        booster_params = args[0] if args else kwargs["params"]
        _common.log_params_to(run_id, dict(booster_params))
        _common.log_params_to(run_id, _boosting.call_params(original, args, kwargs, _UNLOGGED))
        dtrain = args[1] if len(args) > 1 else kwargs.get("dtrain")
        if log_datasets and dtrain is not None:
            _boosting.log_dataset(dtrain.get_data(), "train")
            for data, name in kwargs.get("evals") or ():
                _boosting.log_dataset(data.get_data(), "eval", name)

        model_id = _boosting.initialize_model(run_id, log_models_here)
        logger = _boosting.IterationLogger(run_id, model_id)
        callback = _callback(xgboost, logger)
        names = _common.arg_names(original)
        at = names.index("callbacks")
        if len(args) > at:
            args = (*args[:at], [*(args[at] or []), callback], *args[at + 1 :])
        else:
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), callback]

        try:
            model = original(*args, **kwargs)
        finally:
            logger.finish()

        if log_models_here:
            kwargs_model: dict[str, Any] = {"model_format": model_format}
            kwargs_model.update(
                _boosting.model_example_kwargs(
                    dtrain,
                    lambda rows: model.predict(xgboost.DMatrix(rows)),
                    log_input_examples,
                    log_model_signatures,
                )
            )
            if registered_model_name:
                kwargs_model["registered_model_name"] = registered_model_name
            try:
                _records.log_model(
                    FLAVOR_NAME, model, name="model", model_id=model_id, **kwargs_model
                )
            except Exception as e:
                _log.logger().warning("Failed to log the xgboost model: %s", e)
        early_at = names.index("early_stopping_rounds")
        if len(args) > early_at or kwargs.get("early_stopping_rounds"):
            results = logger.results
            best = model.best_iteration
            _boosting.log_early_stopping(
                run_id, len(results) - 1, best, results[best], step=len(results)
            )
        for kind in types:
            try:
                importance = model.get_score(importance_type=kind)
            except Exception as e:
                _log.logger().warning("Failed to compute %s feature importance: %s", kind, e)
                continue
            _boosting.log_feature_importance(importance, kind, None)
        return model

    def train(log_models_here: bool, original: Any, *args: Any, **kwargs: Any) -> Any:
        session = current_training_session()
        if session is None or session.should_log():
            return train_impl(log_models_here, original, *args, **kwargs)
        return original(*args, **kwargs)

    _boosting.install(
        FLAVOR_NAME,
        xgboost,
        xgboost.DMatrix,
        train,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        registered_model_name=registered_model_name,
        extra_tags=extra_tags,
        install_estimators=sk.install,
    )


def _callback(xgboost: Any, logger: _boosting.IterationLogger) -> Any:
    """A TrainingCallback logging `<data>-<metric>` after each iteration; a failure in it is
    logged once and never stops training."""

    class _AutologCallback(xgboost.callback.TrainingCallback):  # type: ignore[misc]
        failed = False

        def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, Any]) -> bool:
            if self.failed:
                return False
            try:
                values: dict[str, Any] = {}
                for data, metrics in evals_log.items():
                    for metric, history in _boosting.patch_metric_names(metrics).items():
                        last = history[-1]
                        values[f"{data}-{metric}"] = last[0] if isinstance(last, tuple) else last
                logger.record(values, epoch)
            except Exception as e:
                self.failed = True
                _log.logger().warning(
                    "Encountered unexpected error during %s autologging: %s", FLAVOR_NAME, e
                )
            return False

    return _AutologCallback()
