"""LightGBM autologging: what `mlflow.lightgbm.autolog()` of MLflow 3.18 logs.

`lightgbm.train` (and the `train` the scikit-learn API calls) logs the booster params and the
call's other arguments as params, every validation metric at each iteration as
`<valid name>-<metric>` with `step=iteration`, and when training stopped early
`stopped_iteration`, `best_iteration` and the best iteration's metrics one step past the last.
The scikit-learn estimators (`LGBMClassifier`, ...) get the post-training metrics of
`mlrs.sklearn`.
"""

from __future__ import annotations

from mlrs import _log
from mlrs.autologging import _boosting, _common, _records, integration
from mlrs.autologging._patch import TrainingSession

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FLAVOR_NAME = "lightgbm"
_UNLOGGED = (
    "params",
    "train_set",
    "valid_sets",
    "valid_names",
    "fobj",
    "feval",
    "init_model",
    "learning_rates",
    "callbacks",
)


@integration(FLAVOR_NAME, versions=("4.6.0", "4.7.0"))
def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, str] | None = None,
) -> None:
    """Enables (or disables) autologging of LightGBM training, as `mlflow.lightgbm.autolog`."""

    import lightgbm

    from mlrs.sklearn import _autolog as sk

    def train_impl(log_models_here: bool, original: Any, *args: Any, **kwargs: Any) -> Any:
        run_id = _common.active_run_id()
        booster_params = args[0] if args else kwargs["params"]
        _common.log_params_to(run_id, dict(booster_params))
        _common.log_params_to(run_id, _boosting.call_params(original, args, kwargs, _UNLOGGED))
        train_set = args[1] if len(args) > 1 else kwargs.get("train_set")
        if log_datasets and train_set is not None:
            _boosting.log_dataset(train_set.data, "train", targets=train_set.label)
            names = kwargs.get("valid_names")
            for i, valid in enumerate(kwargs.get("valid_sets") or ()):
                name = names[i] if names is not None and i < len(names) else None
                _boosting.log_dataset(valid.data, "eval", name, targets=valid.label)

        model_id = _boosting.initialize_model(run_id, log_models_here)
        logger = _boosting.IterationLogger(run_id, model_id)
        callback = _callback(logger)
        arg_names = _common.arg_names(original)
        at = arg_names.index("callbacks")
        if len(args) > at:
            args = (*args[:at], [*(args[at] or []), callback], *args[at + 1 :])
        else:
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), callback]

        try:
            model = original(*args, **kwargs)
        finally:
            logger.finish()

        if model.best_iteration > 0:
            results = logger.results
            _boosting.log_early_stopping(
                run_id,
                len(results),
                model.best_iteration,
                results[model.best_iteration - 1],
                step=len(results),
            )
        for kind in ("split", "gain"):
            features = model.feature_name()
            values = model.feature_importance(importance_type=kind)
            _boosting.log_feature_importance(
                dict(zip(features, values.tolist(), strict=False)), kind, 2
            )
        if log_models_here:
            extra: dict[str, Any] = _boosting.model_example_kwargs(
                train_set, model.predict, log_input_examples, log_model_signatures
            )
            if registered_model_name:
                extra["registered_model_name"] = registered_model_name
            try:
                _records.log_model(FLAVOR_NAME, model, name="model", model_id=model_id, **extra)
            except Exception as e:
                _log.logger().warning("Failed to log the lightgbm model: %s", e)
        return model

    def train(log_models_here: bool, original: Any, *args: Any, **kwargs: Any) -> Any:
        with TrainingSession(lightgbm.train, allow_children=False) as session:
            if session.should_log():
                return train_impl(log_models_here, original, *args, **kwargs)
            return original(*args, **kwargs)

    _boosting.install(
        FLAVOR_NAME,
        lightgbm,
        lightgbm.Dataset,
        train,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        registered_model_name=registered_model_name,
        extra_tags=extra_tags,
        install_estimators=sk.install,
    )


def _callback(logger: _boosting.IterationLogger) -> Any:
    """A callback logging `<data>-<metric>` after each iteration; a failure in it is logged
    once and never stops training."""
    failed = False

    def _autolog_callback(env: Any) -> None:
        nonlocal failed
        if failed:
            return
        try:
            values = {f"{item[0]}-{item[1]}": item[2] for item in env.evaluation_result_list}
            logger.record(_boosting.patch_metric_names(values), env.iteration)
        except Exception as e:
            failed = True
            _log.logger().warning(
                "Encountered unexpected error during %s autologging: %s", FLAVOR_NAME, e
            )

    return _autolog_callback
