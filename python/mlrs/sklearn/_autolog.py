"""scikit-learn autologging: what `mlflow.sklearn.autolog()` of MLflow 3.18 logs.

Every estimator's `fit` (and `fit_transform`, `fit_predict`) logs its params, the tags
`estimator_name`/`estimator_class`, training metrics by estimator type and `training_score`;
parameter searches add `best_cv_score`, `best_<param>` params and one child run per candidate.
After training, `model.score(X, y)` and `sklearn.metrics` functions applied to the model's
predictions log `<name>_<dataset variable name>` metrics into the run the model was trained in.
The xgboost and lightgbm integrations patch their scikit-learn estimators through `install` too.
"""

from __future__ import annotations

import contextlib
import threading

from mlrs import _log
from mlrs.autologging import _records, integration
from mlrs.autologging._common import (
    active_run_id,
    arg_names,
    log_metrics_to,
    log_params_to,
    set_tags_to,
)
from mlrs.autologging._patch import (
    MLFLOW_AUTOLOGGING,
    TrainingSession,
    disabled_in_thread,
    in_training_session,
    safe_patch,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, TypeAlias

    # Metrics to compute: (name, function, positional args, keyword args).
    _Todo: TypeAlias = list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any]]]

FLAVOR_NAME = "sklearn"
TRAINING_PREFIX = "training_"
_EXCLUDED_MODULES = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
)
_EXCLUDED_CLASSES = ("sklearn.compose._column_transformer.ColumnTransformer",)
_EXCLUDED_METRIC_APIS = ("check_scoring", "get_scorer", "make_scorer", "get_scorer_names")
_AUTOLOG_DISABLED_APIS = (
    "cross_validate",
    "cross_val_predict",
    "cross_val_score",
    "learning_curve",
    "permutation_test_score",
    "validation_curve",
)


INPUT_EXAMPLE_ROWS = 5  # rows of the training input kept as example / for the signature


def _warn(message: str, *args: Any) -> None:
    _log.logger().warning(message, *args)


@integration(FLAVOR_NAME, versions=("1.6.0", "1.9.1"), package="scikit-learn")
def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = "cloudpickle",
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: dict[str, str] | None = None,
) -> None:
    """Enables (or disables) autologging of scikit-learn estimators, as
    `mlflow.sklearn.autolog` does: params, training metrics, tags, post-training metrics,
    parameter-search child runs (at most `max_tuning_runs`, None for all), and, where mlrs has
    them, artifacts, datasets and the model."""
    install(
        FLAVOR_NAME,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        log_datasets=log_datasets,
        max_tuning_runs=max_tuning_runs,
        log_post_training_metrics=log_post_training_metrics,
        serialization_format=serialization_format,
        registered_model_name=registered_model_name,
        pos_label=pos_label,
        extra_tags=extra_tags,
    )


# ---- values and names ----------------------------------------------------------------------


def estimator_tags(estimator: Any) -> dict[str, str]:
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}


def training_data(fit: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(X, y, sample_weight) of a fit call, X and y deep-copied (fit may change them)."""
    from copy import deepcopy

    names = arg_names(fit)
    x_name, y_name = ([*names, "X", "y"])[:2]
    if len(args) >= 2:
        x, y = args[0], args[1]
    elif len(args) == 1:
        x, y = args[0], kwargs.get(y_name)
    else:
        x, y = kwargs.get(x_name), kwargs.get(y_name)
    weight = None
    if "sample_weight" in names:
        index = names.index("sample_weight")
        weight = args[index] if len(args) > index else kwargs.get("sample_weight")
    return (
        None if x is None else deepcopy(x),
        None if y is None else deepcopy(y),
        weight,
    )


def is_search(estimator: Any) -> bool:
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    return isinstance(estimator, (GridSearchCV, RandomizedSearchCV))


# ---- training metrics ----------------------------------------------------------------------


def _compute(metrics: _Todo) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, fn, args, kwargs in metrics:
        try:
            values[name] = fn(*args, **kwargs)
        except Exception as e:
            _warn(
                "%s failed. The metric %s will not be recorded. Metric error: %s",
                fn.__qualname__,
                name,
                e,
            )
    return values


def _classifier_metrics(
    estimator: Any, prefix: str, x: Any, y: Any, weight: Any, pos_label: Any
) -> dict[str, Any]:
    from sklearn import metrics as m

    average = "weighted" if pos_label is None else "binary"
    y_pred = estimator.predict(x)
    common = {"pos_label": pos_label, "average": average, "sample_weight": weight}
    todo: _Todo = [
        (prefix + "precision_score", m.precision_score, (y, y_pred), common),
        (prefix + "recall_score", m.recall_score, (y, y_pred), common),
        (prefix + "f1_score", m.f1_score, (y, y_pred), common),
        (
            prefix + "accuracy_score",
            m.accuracy_score,
            (y, y_pred),
            {"normalize": True, "sample_weight": weight},
        ),
    ]
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(x)
        todo.append((prefix + "log_loss", m.log_loss, (y, proba), {"sample_weight": weight}))
        if len(proba[0]) == 2:
            proba = proba[:, 1]
        todo.append(
            (
                prefix + "roc_auc",
                m.roc_auc_score,
                (y, proba),
                {"average": "weighted", "sample_weight": weight, "multi_class": "ovo"},
            )
        )
    return _compute(todo)


def _regressor_metrics(estimator: Any, prefix: str, x: Any, y: Any, weight: Any) -> dict[str, Any]:
    import numpy as np
    from sklearn import metrics as m

    y_pred = estimator.predict(x)
    kwargs = {"sample_weight": weight, "multioutput": "uniform_average"}
    values = _compute(
        [
            (prefix + "mean_squared_error", m.mean_squared_error, (y, y_pred), kwargs),
            (prefix + "mean_absolute_error", m.mean_absolute_error, (y, y_pred), kwargs),
            (prefix + "r2_score", m.r2_score, (y, y_pred), kwargs),
        ]
    )
    values[prefix + "root_mean_squared_error"] = np.sqrt(values[prefix + "mean_squared_error"])
    return values


def log_estimator_content(
    estimator: Any,
    run_id: str,
    prefix: str,
    x: Any,
    y: Any,
    weight: Any,
    pos_label: Any,
    model_id: str | None = None,
    dataset: Any = None,
) -> dict[str, Any]:
    """Training metrics (and, where mlrs has artifacts, plots and estimator.html)."""
    import sklearn.base

    values: dict[str, Any] = {}
    if y is not None:
        try:
            if sklearn.base.is_classifier(estimator):
                values = _classifier_metrics(estimator, prefix, x, y, weight, pos_label)
            elif sklearn.base.is_regressor(estimator):
                values = _regressor_metrics(estimator, prefix, x, y, weight)
        except Exception as e:
            values = {}
            _warn(
                "Failed to autolog metrics for %s. Logging error: %s", type(estimator).__name__, e
            )
        else:
            log_metrics_to(run_id, values, model_id=model_id, dataset=dataset)
    if sklearn.base.is_classifier(estimator) and y is not None:
        _log_classifier_plots(estimator, prefix, x, y, weight)
    if hasattr(estimator, "score") and y is not None:
        try:
            if "sample_weight" in arg_names(estimator.score):
                score = estimator.score(x, y, weight)
            else:
                score = estimator.score(x, y)
        except Exception as e:
            _warn(
                "%s failed. The 'training_score' metric will not be recorded. Scoring error: %s",
                estimator.score.__qualname__,
                e,
            )
        else:
            log_metrics_to(run_id, {prefix + "score": score}, model_id=model_id, dataset=dataset)
            values[prefix + "score"] = score
    _log_estimator_html(estimator)
    return values


def _log_classifier_plots(estimator: Any, prefix: str, x: Any, y: Any, weight: Any) -> None:
    """training_confusion_matrix.png (and ROC / precision-recall curves for two classes)
    as artifacts of the active run."""
    try:
        import matplotlib
        import matplotlib.pyplot as plt
        from sklearn import metrics as m
    except ImportError as e:
        _warn("Failed to import matplotlib (error: %r). Skipping artifact logging.", e)
        return
    from mlrs._artifacts import log_figure

    labels = getattr(estimator, "classes_", None)
    n_labels = len(labels) if labels is not None else len(set(y))
    plots: list[tuple[str, str, Callable[[], Any]]] = []

    def confusion() -> Any:
        with matplotlib.rc_context(
            {"font.size": min(8.0, 50.0 / n_labels), "axes.labelsize": 8.0, "figure.dpi": 175}
        ):
            _, ax = plt.subplots(1, 1, figsize=(6.0, 4.0))
            return m.ConfusionMatrixDisplay.from_estimator(
                estimator, x, y, sample_weight=weight, normalize="true", cmap="Blues", ax=ax
            )

    plots.append((prefix + "confusion_matrix", "Normalized confusion matrix", confusion))
    if len(set(y)) == 2:
        plots.append(
            (
                prefix + "roc_curve",
                "ROC curve",
                lambda: m.RocCurveDisplay.from_estimator(estimator, x, y, sample_weight=weight),
            )
        )
        plots.append(
            (
                prefix + "precision_recall_curve",
                "Precision recall curve",
                lambda: m.PrecisionRecallDisplay.from_estimator(
                    estimator, x, y, sample_weight=weight
                ),
            )
        )
    config: Any = {"savefig.dpi": 175, "figure.autolayout": True, "font.size": 8}
    for name, title, draw in plots:
        try:
            with matplotlib.rc_context(config):
                display = draw()
                display.ax_.set_title(title)
                log_figure(display.figure_, f"{name}.png")
                plt.close(display.figure_)
        except Exception as e:
            _warn("Failed to log %s. The artifact will not be recorded. Error: %s", name, e)


def _log_estimator_html(estimator: Any) -> None:
    """estimator.html, an artifact of the active run."""
    from sklearn.utils import estimator_html_repr

    from mlrs._artifacts import log_text

    page = (
        '\n<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8"/>\n'
        f"  </head>\n  <body>\n    {estimator_html_repr(estimator)}\n  </body>\n</html>\n    "
    )
    log_text(page, "estimator.html")


def _log_train_dataset(x: Any, y: Any, context: str = "train") -> None:
    """The training data as an input of the active run."""
    try:
        _records.log_dataset(x, y, context=context)
    except Exception as e:
        _warn("Failed to log training dataset information to MLflow Tracking. Reason: %s", e)


def _training_dataset(x: Any, y: Any) -> Any:
    """The dataset training metrics name (and search children take as input); None when
    the data is of a kind mlrs.data does not take."""
    try:
        return _records.make_dataset(x, y)
    except Exception:
        return None


def _log_model(
    flavor: str,
    estimator: Any,
    name: str,
    x: Any,
    cfg: dict[str, Any],
    params: dict[str, Any] | None = None,
) -> Any:
    """The fitted estimator through `mlrs.<flavor>.log_model`, with MLflow's signature (inferred
    from the first rows of the training input and the model's predictions on them) and input
    example when those are asked for."""
    kwargs: dict[str, Any] = {} if params is None else {"params": params}
    sample = None
    if x is not None:
        with contextlib.suppress(Exception):
            sample = x[:INPUT_EXAMPLE_ROWS]
    if cfg["log_input_examples"] and sample is not None:
        kwargs["input_example"] = sample
    if cfg["log_model_signatures"] and sample is not None:
        try:
            from mlrs.models import infer_signature

            kwargs["signature"] = infer_signature(sample, estimator.predict(sample))
        except Exception as e:
            _warn("Failed to infer model signature: %s", e)
    if flavor == "sklearn" and cfg.get("serialization_format"):
        kwargs["serialization_format"] = cfg["serialization_format"]
    if cfg.get("registered_model_name"):
        kwargs["registered_model_name"] = cfg["registered_model_name"]
    try:
        return _records.log_model(flavor, estimator, name=name, **kwargs)
    except Exception as e:
        _warn("Failed to log the %s model: %s", flavor, e)
        return None


# ---- parameter searches ---------------------------------------------------------------------


def _child_runs(
    estimator: Any,
    parent_run_id: str,
    max_tuning_runs: int | None,
    flavor: str,
    dataset: Any = None,
    best: tuple[dict[str, Any], str] | None = None,
) -> None:
    """One finished child run per candidate of a parameter search (the best
    `max_tuning_runs`, or all when None), as MLflow makes them from `cv_results_`: the
    training `dataset` is each child's input and names its metrics, and the metrics of a
    candidate whose params are among the best estimator's (`best`: its params and model id)
    are that model's metrics too."""
    import warnings
    from numbers import Number

    import pandas as pd

    from mlrs import _context, _runtime, _tracking

    store = _runtime.get_store()
    parent = _tracking.get_run(store, parent_run_id)
    end_time = _runtime.now_ms()
    seed = estimator.estimator
    base_params = seed.get_params(deep=not is_search(seed))
    results = pd.DataFrame.from_dict(estimator.cv_results_)
    if max_tuning_runs is None:
        chosen = results
    else:
        rank = "rank_test_score"
        if rank not in results.columns:
            rank = next((c for c in results.columns if "rank_test_" in c), rank)
            warnings.warn(
                f"Top {max_tuning_runs} child runs will be created based on ordering in {rank} "
                "column.  You can choose not to limit the number of child runs created by "
                "setting `max_tuning_runs=None`.",
                stacklevel=2,
            )
        chosen = results.nsmallest(max_tuning_runs, rank)
        _log_child_runs_info(max_tuning_runs, len(results))
    context_tags = _context.resolve_tags({})
    for _, row in chosen.iterrows():
        tags = dict(context_tags)
        tags[MLFLOW_AUTOLOGGING] = flavor
        tags["mlflow.parentRunId"] = parent_run_id
        tags.update(estimator_tags(seed))
        child = _tracking.create_run(
            store, parent.info.experiment_id, start_time=parent.info.start_time, tags=tags
        )
        child_id = child.info.run_id
        params = dict(base_params)
        params.update(row.get("params", {}))
        log_params_to(child_id, params)
        metrics = {
            k: v
            for k, v in row.items()
            if not str(k).startswith(("param", "split")) and isinstance(v, Number)
        }
        candidate = row.get("params", {}).items()
        model_id = best[1] if best is not None and candidate <= best[0].items() else None
        log_metrics_to(child_id, metrics, model_id=model_id, dataset=dataset)
        if dataset is not None:
            _records.log_dataset_to(child_id, dataset, "train")
        _tracking.set_terminated(store, child_id, end_time=end_time)


def _log_child_runs_info(max_tuning_runs: int, total: int) -> None:
    logged = min(max_tuning_runs, total)
    rest = total - logged
    phrase = {0: "no runs", 1: "the best run"}.get(logged, f"the {logged} best runs")
    omitted = "no runs" if rest <= 0 else ("one run" if rest == 1 else f"{rest} runs")
    _log.logger().info("Logging %s, %s will be omitted.", phrase, omitted)


def _log_cv_results(estimator: Any) -> None:
    """cv_results.csv, an artifact of the active run."""
    import os
    import tempfile

    import pandas as pd

    from mlrs._artifacts import log_artifact

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cv_results.csv")
        pd.DataFrame.from_dict(estimator.cv_results_).to_csv(path, index=False)
        log_artifact(path)


# ---- post-training metrics ------------------------------------------------------------------


class _PostTraining:
    """Links predictions to the run their model was trained in, so that `model.score(...)` and
    `sklearn.metrics` calls on them log metrics there. Holds ids and names only, never data."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local = threading.local()
        self.predictions: dict[int, tuple[str, str, str | None]] = {}
        self.datasets: dict[str, dict[str, list[int]]] = {}
        self.calls: dict[str, dict[str, list[tuple[str, str]]]] = {}

    def enabled(self) -> bool:
        return not getattr(self.local, "off", 0) and not in_training_session()

    @property
    def off(self) -> Any:
        import contextlib

        @contextlib.contextmanager
        def scope() -> Iterator[None]:
            self.local.off = getattr(self.local, "off", 0) + 1
            try:
                yield
            finally:
                self.local.off -= 1

        return scope()

    def dataset_name(self, run_id: str, dataset: Any) -> str:
        name = var_name(dataset, "unknown_dataset")
        with self.lock:
            seen = self.datasets.setdefault(run_id, {}).setdefault(name, [])
            if id(dataset) not in seen:
                seen.append(id(dataset))
            return _indexed(name, seen.index(id(dataset)))

    def remember_prediction(
        self, run_id: str, dataset_name: str, prediction: Any, model_id: str | None
    ) -> None:
        import weakref

        key = id(prediction)
        with self.lock:
            self.predictions[key] = (dataset_name, run_id, model_id)
        weakref.finalize(prediction, self._forget, key)

    def _forget(self, key: int) -> None:
        with self.lock:
            self.predictions.pop(key, None)

    def find(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[str, str, str | None] | None:
        import numpy as np

        with self.lock:
            for arg in (*args, *kwargs.values()):
                if arg is not None and not np.isscalar(arg) and id(arg) in self.predictions:
                    return self.predictions[id(arg)]
        return None

    def metric_key(self, run_id: str, metric: str, dataset_name: str, command: str) -> str:
        with self.lock:
            calls = self.calls.setdefault(run_id, {}).setdefault(metric, [])
            key = f"{_indexed(metric, len(calls))}_{dataset_name}"
            calls.append((key, command))
            return key

    def log(self, run_id: str, key: str, value: Any, model_id: str | None) -> None:
        from mlrs import _runtime, _tracking

        _tracking.log_metric(_runtime.get_store(), run_id, key, float(value), model_id=model_id)
        with self.lock:
            commands = sorted(c for calls in self.calls[run_id].values() for c in calls)
        _log_metric_info(run_id, dict(commands))


def _log_metric_info(run_id: str, commands: dict[str, str]) -> None:
    """metric_info.json into run `run_id` (active or not, as MLflow's client writes it)."""
    from mlrs import _runtime
    from mlrs._artifacts import log_dict_to

    log_dict_to(_runtime.get_store(), run_id, commands, "metric_info.json")


def _log_eval_dataset(run_id: str, data: Any) -> None:
    """The data a model predicted on, as an "eval" input of the run it was trained in."""
    try:
        dataset = _records.make_dataset(data)
        if dataset is not None:
            _records.log_dataset_to(run_id, dataset, "eval")
    except Exception as e:
        _warn("Failed to log evaluation dataset information to MLflow Tracking. Reason: %s", e)


_POST = _PostTraining()


def _indexed(name: str, index: int) -> str:
    return name if index == 0 else f"{name}-{index + 1}"


def var_name(value: Any, fallback: str) -> str:
    """The name the user's code has for `value`: walking out from the call, past mlrs's own
    frames and past functions that received `value` as an argument, the local variable that
    holds it in the first other frame (MLflow's rule); `fallback` when there is none."""
    import sys

    if value is None:
        return fallback
    try:
        frame = sys._getframe(1)
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if module == "mlrs" or module.startswith("mlrs."):
                frame = frame.f_back  # type: ignore[assignment]
                continue
            code = frame.f_code
            n = code.co_argcount + code.co_kwonlyargcount
            names = list(code.co_varnames[:n])
            f_locals = frame.f_locals
            received = [f_locals.get(a) for a in names]
            if code.co_flags & 0x04:  # *args
                received.extend(f_locals.get(code.co_varnames[n], ()))
                n += 1
            if code.co_flags & 0x08:  # **kwargs
                received.extend(f_locals.get(code.co_varnames[n], {}).values())
            if any(value is r for r in received):
                frame = frame.f_back  # type: ignore[assignment]
                continue
            for name, held in f_locals.items():
                if held is value:
                    return str(name)
            return fallback
    except Exception:
        return fallback
    return fallback


def _call_command(owner: Any, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """`name(arg=value, ...)` for metric_info.json: scalars by repr, data by variable name."""
    import inspect

    import numpy as np

    def text(arg: Any) -> str:
        if arg is None or np.isscalar(arg):
            if isinstance(arg, str) and len(arg) > 32:
                return repr(arg[:32] + "...")
            return repr(arg)
        return var_name(arg, f"<{type(arg).__name__}>")

    names = list(inspect.signature(fn).parameters)
    if owner is not None:
        names = names[1:]
    label = f"{type(owner).__name__}.{fn.__name__}" if owner is not None else fn.__name__
    parts = [f"{n}={text(a)}" for n, a in zip(names, args, strict=False)]
    parts += [f"{n}={text(a)}" for n, a in kwargs.items()]
    return f"{label}({', '.join(parts)})"


def _loggable(value: Any) -> bool:
    import numpy as np

    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _first_arg(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if args:
        return args[0]
    names = arg_names(original)
    return kwargs.get(names[0]) if names else None


# ---- the patches ------------------------------------------------------------------------------


def _estimators_to_patch(flavor: str) -> list[type]:
    import inspect

    if flavor == "xgboost":
        import xgboost.sklearn as xs

        return [
            c
            for _, c in inspect.getmembers(xs, inspect.isclass)
            if issubclass(c, xs.XGBModel) and c is not xs.XGBModel
        ]
    if flavor == "lightgbm":
        import lightgbm.sklearn as ls

        base = getattr(ls, "_LGBMModelBase")  # noqa: B009 (private, not in its stubs)
        return [
            c
            for _, c in inspect.getmembers(ls, inspect.isclass)
            if c.__module__.split(".")[0] == "lightgbm" and issubclass(c, base) and c is not base
        ]
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.utils import all_estimators

    classes = {c for _, c in all_estimators()} | {GridSearchCV, RandomizedSearchCV, Pipeline}
    return sorted(
        (
            c
            for c in classes
            if not c.__module__.startswith(_EXCLUDED_MODULES)
            and f"{c.__module__}.{c.__name__}" not in _EXCLUDED_CLASSES
        ),
        key=lambda c: f"{c.__module__}.{c.__qualname__}",
    )


def _metric_api_names() -> list[str]:
    import inspect

    from sklearn import metrics

    return [
        name
        for name in metrics.__all__
        if name not in _EXCLUDED_METRIC_APIS
        and not name.startswith("plot_")
        and not inspect.isclass(getattr(metrics, name, None))
        and callable(getattr(metrics, name, None))
    ]


def install(
    flavor: str,
    *,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = "cloudpickle",
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: dict[str, str] | None = None,
) -> None:
    """Patches the scikit-learn estimators of `flavor` ("sklearn", or the scikit-learn API of
    "xgboost" / "lightgbm"), the post-training metric APIs and the cross-validation helpers."""
    import sklearn.metrics
    import sklearn.model_selection

    from mlrs.exceptions import MlflowException
    from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    if max_tuning_runs is not None and max_tuning_runs < 0:
        raise MlflowException(
            f"`max_tuning_runs` must be non-negative, instead got {max_tuning_runs}.",
            INVALID_PARAMETER_VALUE,
        )
    cfg = {
        "log_input_examples": log_input_examples,
        "log_model_signatures": log_model_signatures,
        "registered_model_name": registered_model_name,
        "serialization_format": serialization_format,
    }

    def fit_sklearn(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
        x, y, weight = training_data(self.fit, args, kwargs)
        run_id = active_run_id()
        log_params_to(run_id, self.get_params(deep=not is_search(self)))
        set_tags_to(run_id, estimator_tags(self))
        if log_datasets:
            _log_train_dataset(x, y)
        result = original(self, *args, **kwargs)
        # MLflow's order: the model first (it takes the run's metrics logged so far), then the
        # training metrics as the model's metrics, naming the training dataset.
        model_id = None
        if log_models:
            params = self.get_params(deep=not is_search(self))
            if hasattr(self, "best_params_"):
                params |= {f"best_{k}": v for k, v in self.best_params_.items()}
            info = _log_model(flavor, self, "model", x, cfg, params)
            if info is not None:
                model_id = info.model_id
                self._mlflow_model_id = model_id
        dataset = _training_dataset(x, y)
        best = None
        if is_search(self) and hasattr(self, "best_estimator_") and log_models:
            # Logged before the training metrics, which so stay the first model's alone.
            best_params = self.best_estimator_.get_params(deep=True)
            info = _log_model(
                flavor, self.best_estimator_, "best_estimator", x, cfg, dict(best_params)
            )
            if info is not None:
                best = (best_params, info.model_id)
        values = log_estimator_content(
            self, run_id, TRAINING_PREFIX, x, y, weight, pos_label, model_id, dataset
        )
        if y is None and not values:
            _warn(
                "Training metrics will not be recorded because training labels were not "
                "specified. To automatically record training metrics, provide training labels "
                "as inputs to the model training function."
            )
        if is_search(self):
            if hasattr(self, "best_score_"):
                log_metrics_to(
                    run_id, {"best_cv_score": self.best_score_}, model_id=model_id, dataset=dataset
                )
            if hasattr(self, "best_params_"):
                log_params_to(run_id, {f"best_{k}": v for k, v in self.best_params_.items()})
            if hasattr(self, "cv_results_"):
                try:
                    _child_runs(self, run_id, max_tuning_runs, flavor, dataset, best)
                except Exception as e:
                    _warn(
                        "Encountered exception during creation of child runs for parameter "
                        "search. Child runs may be missing. Exception: %s",
                        e,
                    )
                try:
                    _log_cv_results(self)
                except Exception as e:
                    _warn("Failed to log parameter search results as an artifact. Exception: %s", e)
        return result

    def fit_boosting(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
        # Params and per-iteration metrics come from the patched `train` underneath.
        result = original(self, *args, **kwargs)
        if log_models:
            x = training_data(self.fit, args, kwargs)[0]
            _log_model(flavor, self, "model", x, cfg)
        return result

    boosting = flavor in ("xgboost", "lightgbm")
    fit_impl = fit_boosting if boosting else fit_sklearn

    def patched_fit(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
        post = log_post_training_metrics and _POST.enabled()
        with TrainingSession(self, allow_children=boosting) as session:
            if not session.should_log():
                return original(self, *args, **kwargs)
            with _POST.off:
                result = fit_impl(original, self, *args, **kwargs)
            if post:
                self._mlflow_run_id = active_run_id()
            return result

    def patched_predict(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
        run_id = getattr(self, "_mlflow_run_id", None)
        if not (run_id and _POST.enabled()):
            return original(self, *args, **kwargs)
        with _POST.off:
            prediction = original(self, *args, **kwargs)
        dataset = _first_arg(original, args, kwargs)
        name = _POST.dataset_name(run_id, dataset)
        _POST.remember_prediction(run_id, name, prediction, getattr(self, "_mlflow_model_id", None))
        if log_datasets:
            _log_eval_dataset(run_id, dataset)
        return prediction

    def patched_score(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
        run_id = getattr(self, "_mlflow_run_id", None)
        if not (run_id and _POST.enabled()):
            return original(self, *args, **kwargs)
        with _POST.off:
            score = original(self, *args, **kwargs)
        if _loggable(score):
            command = _call_command(self, original, args, kwargs)
            name = _POST.dataset_name(run_id, _first_arg(original, args, kwargs))
            key = _POST.metric_key(run_id, f"{type(self).__name__}_score", name, command)
            _POST.log(run_id, key, score, getattr(self, "_mlflow_model_id", None))
        return score

    def patched_metric(original: Any, *args: Any, **kwargs: Any) -> Any:
        if not _POST.enabled():
            return original(*args, **kwargs)
        with _POST.off:
            value = original(*args, **kwargs)
        if _loggable(value):
            found = _POST.find(args, kwargs)
            if found is not None:
                dataset_name, run_id, model_id = found
                command = _call_command(None, original, args, kwargs)
                key = _POST.metric_key(run_id, original.__name__, dataset_name, command)
                _POST.log(run_id, key, value, model_id)
        return value

    def without_autolog(original: Any, *args: Any, **kwargs: Any) -> Any:
        with disabled_in_thread():
            return original(*args, **kwargs)

    for cls in _estimators_to_patch(flavor):
        for name in ("fit", "fit_transform", "fit_predict"):
            safe_patch(flavor, cls, name, patched_fit, manage_run=True, extra_tags=extra_tags)
        for name in ("predict", "predict_proba", "transform", "predict_log_proba"):
            safe_patch(flavor, cls, name, patched_predict)
        safe_patch(flavor, cls, "score", patched_score)
    if log_post_training_metrics:
        for name in _metric_api_names():
            safe_patch(flavor, sklearn.metrics, name, patched_metric)
        for scoring in sklearn.metrics.get_scorer_names():
            scorer = sklearn.metrics.get_scorer(scoring)
            safe_patch(flavor, scorer, "_score_func", patched_metric)
    for name in _AUTOLOG_DISABLED_APIS:
        safe_patch(flavor, sklearn.model_selection, name, without_autolog)


__all__ = ["autolog", "install"]
