"""What the xgboost and lightgbm integrations share: params from a `train` call, per-iteration
metrics on mlrs's fast path, early-stopping metrics and feature importances."""

from __future__ import annotations

from mlrs import _log
from mlrs.autologging import _records

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any


def call_params(
    fn: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any], unlogged: Sequence[str]
) -> dict[str, Any]:
    """The arguments of a call by parameter name, defaults included, less `unlogged`."""
    import inspect

    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    values = {p.name: a for p, a in zip(params, args, strict=False)}
    values.update(kwargs)
    for p in params[len(args) :]:
        if p.name not in kwargs:
            values[p.name] = p.default
    return {k: v for k, v in values.items() if k not in unlogged}


def patch_metric_names(metrics: dict[str, Any]) -> dict[str, Any]:
    """`@` is not allowed in metric names: `ndcg@3` becomes `ndcg_at_3`, as MLflow does."""
    if not any("@" in k for k in metrics):
        return metrics
    renamed = {k.replace("@", "_at_"): v for k, v in metrics.items()}
    changed = set(renamed) - set(metrics)
    _log.logger().info(
        "Identified one or more metrics with names containing the invalid character `@`. These "
        "metric names have been sanitized by replacing `@` with `_at_`, as follows: %s",
        ", ".join(changed),
    )
    return renamed


class IterationLogger:
    """Logs each iteration's metrics at `step=iteration` straight onto the store's queue (the
    same call `mlrs.log_metric` makes), so logging adds microseconds per iteration."""

    def __init__(self, run_id: str, model_id: str | None = None) -> None:
        from mlrs import _runtime, _tracking

        top = getattr(_tracking._local, "top", None)
        self.store = top[0] if top is not None and top[1] == run_id else _runtime.get_store()
        self.run_id = run_id
        self.model_id = model_id
        self.results: list[dict[str, float]] = []
        # The model's copies of the points, written in one go by `finish` (each write to the
        # model's tables is a round trip to the writer; the run's points are queued as they come).
        self.model_points: list[tuple[str, str, float, int, int, str | None, str | None]] = []

    def record(self, metrics: dict[str, Any], step: int) -> None:
        from mlrs import _runtime
        from mlrs._tracking import log_metric_to

        values = {k: float(v) for k, v in metrics.items()}
        store, run_id, model_id = self.store, self.run_id, self.model_id
        # With a model, the points are the model's metrics too, at the run's timestamps.
        stamp = None if model_id is None else _runtime.now_ms()
        for key, value in values.items():
            try:
                store.log_metric(run_id, key, value, stamp, step)
            except (TypeError, OverflowError):
                log_metric_to(store, run_id, key, value, step, stamp)
            if model_id is not None and stamp is not None:
                self.model_points.append((model_id, key, value, stamp, step, None, None))
        self.results.append(values)

    def finish(self) -> None:
        """Writes the model's copies of the iteration metrics (after training, or when it
        failed, so that what was recorded is kept either way)."""
        points, self.model_points = self.model_points, []
        if points:
            self.store.log_model_metrics(self.run_id, points)


def initialize_model(run_id: str, enabled: bool) -> str | None:
    """The LoggedModel "model" a booster's training logs its iteration metrics to, created
    before training as MLflow does (the booster is saved into it afterwards)."""
    if not enabled:
        return None
    from mlrs import _context, _runtime, _tracking
    from mlrs import _logged_models as _logged

    store = _runtime.get_store()
    run = _tracking.get_run(store, run_id)
    model = _logged.create(
        store,
        run.info.experiment_id,
        name="model",
        source_run_id=run_id,
        tags=_context.resolve_tags({}),
    )
    return str(model.model_id)


def log_early_stopping(
    run_id: str, stopped: int, best: int, best_metrics: dict[str, float], step: int
) -> None:
    """`stopped_iteration` and `best_iteration` (step 0), then the best iteration's metrics
    again at `step` (one past the last iteration), as MLflow logs them."""
    from mlrs.autologging._common import log_metrics_to

    log_metrics_to(run_id, {"stopped_iteration": stopped, "best_iteration": best})
    log_metrics_to(run_id, best_metrics, step=step)


def log_feature_importance(
    importance: dict[str, float], importance_type: str, json_indent: int | None
) -> None:
    """feature_importance_<type>.json and .png, artifacts of the active run."""
    import json
    import os
    import tempfile

    from mlrs._artifacts import log_artifact

    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = os.path.join(tmp, f"feature_importance_{importance_type}.png")
            _plot_importance(importance, importance_type, path)
            log_artifact(path)
        except Exception as e:
            _log.logger().warning("Failed to log feature importance plot: %s", e)
        path = os.path.join(tmp, f"feature_importance_{importance_type}.json")
        with open(path, "w") as f:
            json.dump(importance, f, indent=json_indent)
        log_artifact(path)


def _plot_importance(importance: dict[str, float], importance_type: str, path: str) -> None:
    import matplotlib.pyplot as plt

    ordered = sorted(importance.items(), key=lambda kv: kv[1])
    height = 4.8 + (0.1 * len(ordered) if len(ordered) > 10 else 0)
    fig, ax = plt.subplots(figsize=(6.4, height))
    try:
        ax.barh(range(len(ordered)), [v for _, v in ordered], align="center", height=0.5)
        ax.set_yticks(range(len(ordered)))
        ax.set_yticklabels([k for k, _ in ordered])
        ax.set_xlabel("Importance")
        ax.set_title(f"Feature Importance ({importance_type})")
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)


def log_dataset(data: Any, context: str, name: str | None = None, targets: Any = None) -> None:
    """A training or evaluation set as an input of the active run."""
    try:
        _records.log_dataset(data, targets, context=context, name=name)
    except Exception as e:
        _log.logger().warning("Failed to log dataset information to MLflow Tracking. Reason: %s", e)


# ---- input examples and signatures of booster models ------------------------------------------

EXAMPLE_ROWS = 5
_EXAMPLE = "_mlrs_input_example"


def keep_first_rows(flavor: str, data_class: Any) -> None:
    """Patches `data_class.__init__` (xgboost's `DMatrix`, lightgbm's `Dataset`) to keep the
    first rows of the data it is built from, as MLflow does: the model trained on it gets its
    signature and input example from them."""
    from mlrs.autologging._patch import safe_patch

    def init(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        rows = _first_rows(args[0] if args else kwargs.get("data"))
        if rows is not None:
            setattr(self, _EXAMPLE, rows)
        return result

    safe_patch(flavor, data_class, "__init__", init)


def _first_rows(data: Any) -> Any:
    """The first `EXAMPLE_ROWS` rows of a DataFrame or a 2-D array; None for other inputs
    (files, sparse matrices, ...)."""
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[:EXAMPLE_ROWS].copy()
    shape = getattr(data, "shape", None)
    if shape is not None and len(shape) == 2 and hasattr(data, "copy"):
        return data[:EXAMPLE_ROWS].copy()
    return None


def model_example_kwargs(
    training_data: Any,
    predict: Any,
    log_input_examples: bool,
    log_model_signatures: bool,
) -> dict[str, Any]:
    """`input_example=` and `signature=` for `log_model`: the rows kept from the training data,
    and the signature inferred from them and the model's predictions on them (`predict`)."""
    rows = getattr(training_data, _EXAMPLE, None)
    if rows is None:
        return {}
    kwargs: dict[str, Any] = {}
    if log_input_examples:
        kwargs["input_example"] = rows
    if log_model_signatures:
        try:
            from mlrs.models import infer_signature

            kwargs["signature"] = infer_signature(rows, predict(rows))
        except Exception as e:
            _log.logger().warning("Failed to infer model signature: %s", e)
    return kwargs


# ---- installing a booster integration ----------------------------------------------------------


def install(
    flavor: str,
    library: Any,
    data_class: Any,
    train: Any,
    *,
    log_input_examples: bool,
    log_model_signatures: bool,
    log_models: bool,
    log_datasets: bool,
    registered_model_name: str | None,
    extra_tags: dict[str, str] | None,
    install_estimators: Callable[..., None],
) -> None:
    """What xgboost and lightgbm autolog both patch: the data class (to keep example rows, when
    models get signatures or examples), `library.train` (which logs a model when `log_models`)
    and `library.sklearn.train` (the estimators' training, whose model the scikit-learn patches
    log), with `train(log_models_here, original, *args, **kwargs)` as the patch; then the
    scikit-learn API through `install_estimators` (`mlrs.sklearn`'s `install`, which the
    integration passes: this package imports no integration)."""
    import functools

    from mlrs.autologging._patch import safe_patch

    if log_models and (log_input_examples or log_model_signatures):
        keep_first_rows(flavor, data_class)
    for owner, log_models_here in ((library, log_models), (library.sklearn, False)):
        safe_patch(
            flavor,
            owner,
            "train",
            functools.partial(train, log_models_here),
            manage_run=True,
            extra_tags=extra_tags,
        )
    install_estimators(
        flavor,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        max_tuning_runs=None,
        log_post_training_metrics=True,
        registered_model_name=registered_model_name,
        extra_tags=extra_tags,
    )
