"""Autologging: the registry and its import hook, patch safety, and what each integration logs."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _ci import import_or_unavailable

import mlrs
from mlrs import autologging
from mlrs.autologging import _hooks, _patch


@pytest.fixture(autouse=True)
def clean_autolog() -> Iterator[None]:
    yield
    for flavor in list(_patch._configs):
        _patch.revert_patches(flavor)
    _patch._configs.clear()
    _patch._warned.clear()
    autologging._global_config = None
    for library in ("fakelib_mlrs_test", "fakelib_mlrs_later"):
        autologging.unregister(library)
        _patch._versions.pop(library, None)


def runs() -> list[Any]:
    found = mlrs.search_runs(search_all_experiments=True, output_format="list")
    return sorted(found, key=lambda r: r.info.start_time)


def write_fake_library(tmp_path: Path, name: str) -> None:
    (tmp_path / f"{name}.py").write_text(
        "class Trainer:\n"
        "    def fit(self, n, fail=False):\n"
        "        if fail:\n"
        "            raise ValueError('user error')\n"
        "        return n * 2\n"
    )


def fake_integration(name: str, calls: list[str], fail_logging: bool = False) -> Any:
    @autologging.integration(name)
    def autolog(disable: bool = False, silent: bool = False, exclusive: bool = False) -> None:
        module = sys.modules[name]
        calls.append("installed")

        def patched_fit(original: Any, self: Any, n: int, **kwargs: Any) -> Any:
            mlrs.log_param("n", n)
            result = original(self, n, **kwargs)
            if fail_logging:
                raise RuntimeError("logging broke")
            mlrs.log_metric("result", result)
            return result

        autologging.safe_patch(name, module.Trainer, "fit", patched_fit, manage_run=True)

    return autolog


# ---- registry and import hook ----------------------------------------------------------------


def test_registered_builtins() -> None:
    found = autologging.integrations()
    assert {"sklearn", "xgboost", "lightgbm"} <= set(found)
    assert found["sklearn"].flavor == "sklearn"


def test_post_import_hook_applies_integration_on_later_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_fake_library(tmp_path, "fakelib_mlrs_later")
    monkeypatch.syspath_prepend(str(tmp_path))
    calls: list[str] = []
    autologging.register("fakelib_mlrs_later", fake_integration("fakelib_mlrs_later", calls))
    mlrs.autolog(exclude_flavors=["sklearn", "xgboost", "lightgbm"])
    assert calls == []
    assert "fakelib_mlrs_later" in _hooks.pending()
    import fakelib_mlrs_later  # type: ignore[import-not-found]

    try:
        assert calls == ["installed"]
        # The module sees its own loader, not the hook's wrapper.
        assert type(fakelib_mlrs_later.__loader__).__name__ == "SourceFileLoader"
        assert fakelib_mlrs_later.Trainer().fit(3) == 6
        (run,) = runs()
        assert run.data.params == {"n": "3"}
        assert run.data.metrics == {"result": 6.0}
        assert run.data.tags["mlflow.autologging"] == "fakelib_mlrs_later"
        assert run.info.status == "FINISHED"
    finally:
        sys.modules.pop("fakelib_mlrs_later", None)


def test_register_after_autolog_applies_to_imported_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_fake_library(tmp_path, "fakelib_mlrs_test")
    monkeypatch.syspath_prepend(str(tmp_path))
    import fakelib_mlrs_test  # type: ignore[import-not-found]

    try:
        mlrs.autolog(exclude_flavors=["sklearn", "xgboost", "lightgbm"])
        calls: list[str] = []
        autologging.register("fakelib_mlrs_test", fake_integration("fakelib_mlrs_test", calls))
        assert calls == ["installed"]
        assert fakelib_mlrs_test.Trainer().fit(2) == 4
        assert len(runs()) == 1
    finally:
        sys.modules.pop("fakelib_mlrs_test", None)


@pytest.fixture
def fakelib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    write_fake_library(tmp_path, "fakelib_mlrs_test")
    monkeypatch.syspath_prepend(str(tmp_path))
    import fakelib_mlrs_test

    yield fakelib_mlrs_test
    sys.modules.pop("fakelib_mlrs_test", None)


def test_disable_restores_originals_exactly(fakelib: Any) -> None:
    original = fakelib.Trainer.__dict__["fit"]
    autolog = fake_integration("fakelib_mlrs_test", [])
    autolog()
    assert fakelib.Trainer.__dict__["fit"] is not original
    autolog(disable=True)
    assert fakelib.Trainer.__dict__["fit"] is original
    assert fakelib.Trainer().fit(1) == 2
    assert runs() == []


@pytest.mark.slow
def test_inherited_method_patch_is_removed_on_revert() -> None:
    from sklearn.linear_model import LogisticRegression, Ridge

    assert "score" not in vars(Ridge)
    mlrs.sklearn.autolog()
    assert "score" in vars(Ridge)
    assert "fit" in vars(LogisticRegression)
    mlrs.sklearn.autolog(disable=True)
    assert "score" not in vars(Ridge)
    assert not hasattr(vars(LogisticRegression)["fit"], "_mlrs_cell")


def test_autolog_twice_does_not_double_wrap(fakelib: Any) -> None:
    autolog = fake_integration("fakelib_mlrs_test", [])
    autolog()
    autolog()
    wrapper = fakelib.Trainer.__dict__["fit"]
    assert not hasattr(wrapper._mlrs_cell[0], "_mlrs_cell")
    fakelib.Trainer().fit(5)
    (run,) = runs()
    assert run.data.params == {"n": "5"}


def test_reverting_an_inner_patch_keeps_the_outer_one(fakelib: Any) -> None:
    original = fakelib.Trainer.__dict__["fit"]
    seen: list[str] = []

    def tracing(original: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append("outer")
        return original(*args, **kwargs)

    fake_integration("fakelib_mlrs_test", [])()
    _patch._configs["outer_flavor"] = {"disable": False}
    autologging.safe_patch("outer_flavor", fakelib.Trainer, "fit", tracing)
    _patch.revert_patches("fakelib_mlrs_test")
    assert fakelib.Trainer().fit(1) == 2
    assert seen == ["outer"]
    assert runs() == []
    _patch.revert_patches("outer_flavor")
    assert fakelib.Trainer.__dict__["fit"] is original


def test_logging_failure_warns_once_and_training_goes_on(
    fakelib: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake_integration("fakelib_mlrs_test", [], fail_logging=True)()
    with caplog.at_level(logging.WARNING, logger="mlrs"):
        assert fakelib.Trainer().fit(1) == 2
        assert fakelib.Trainer().fit(2) == 4
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "Encountered unexpected error during fakelib_mlrs_test autologging: logging broke"
    ]
    assert [r.info.status for r in runs()] == ["FAILED", "FAILED"]


def test_user_exception_propagates_unchanged_and_run_fails(fakelib: Any) -> None:
    fake_integration("fakelib_mlrs_test", [])()
    with pytest.raises(ValueError, match="user error"):
        fakelib.Trainer().fit(1, fail=True)
    (run,) = runs()
    assert run.info.status == "FAILED"
    assert mlrs.active_run() is None


def test_fit_inside_user_run_logs_there_without_autologging_tag(fakelib: Any) -> None:
    fake_integration("fakelib_mlrs_test", [])()
    with mlrs.start_run() as run:
        fakelib.Trainer().fit(3)
    (logged,) = runs()
    assert logged.info.run_id == run.info.run_id
    assert logged.data.params == {"n": "3"}
    assert "mlflow.autologging" not in logged.data.tags


def test_exclusive_skips_user_runs(fakelib: Any) -> None:
    fake_integration("fakelib_mlrs_test", [])(exclusive=True)
    with mlrs.start_run():
        fakelib.Trainer().fit(3)
    fakelib.Trainer().fit(4)
    # Told apart by the tag, not by start time: both can start in the same millisecond.
    found = runs()
    [user] = [r for r in found if "mlflow.autologging" not in r.data.tags]
    [managed] = [r for r in found if "mlflow.autologging" in r.data.tags]
    assert user.data.params == {}
    assert managed.data.params == {"n": "4"}


def test_silent_hides_autolog_messages(fakelib: Any, caplog: pytest.LogCaptureFixture) -> None:
    fake_integration("fakelib_mlrs_test", [], fail_logging=True)(silent=True)
    with caplog.at_level(logging.INFO, logger="mlrs"):
        assert fakelib.Trainer().fit(1) == 2
    assert [r for r in caplog.records if r.name == "mlrs"] == []


def test_global_autolog_keeps_explicit_flavor_config(fakelib: Any) -> None:
    calls: list[str] = []
    autolog = fake_integration("fakelib_mlrs_test", calls)
    autologging.register("fakelib_mlrs_test", autolog)
    autolog(disable=True)
    mlrs.autolog(exclude_flavors=["sklearn", "xgboost", "lightgbm"])
    assert calls == []
    assert autologging.is_disabled("fakelib_mlrs_test")


def test_global_disable_reverts_integrations(fakelib: Any) -> None:
    original = fakelib.Trainer.__dict__["fit"]
    autologging.register("fakelib_mlrs_test", fake_integration("fakelib_mlrs_test", []))
    mlrs.autolog(exclude_flavors=["sklearn", "xgboost", "lightgbm"])
    assert fakelib.Trainer.__dict__["fit"] is not original
    mlrs.autolog(disable=True, exclude_flavors=["sklearn", "xgboost", "lightgbm"])
    assert fakelib.Trainer.__dict__["fit"] is original


def test_integration_requires_disable_and_silent() -> None:
    with pytest.raises(Exception, match="must specify a 'disable' argument"):

        @autologging.integration("broken")
        def autolog(silent: bool = False) -> None:
            pass


def test_threads_each_get_their_own_run(fakelib: Any) -> None:
    fake_integration("fakelib_mlrs_test", [])()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                fakelib.Trainer().fit(n * 10 + i)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    found = runs()
    assert len(found) == 20
    assert sorted(int(r.data.params["n"]) for r in found) == sorted(
        n * 10 + i for n in range(4) for i in range(5)
    )
    assert all(r.info.status == "FINISHED" for r in found)


def _shape(function: Any) -> list[tuple[str, Any, Any, str]]:
    """Name, kind, default and annotation text of each parameter (mlrs's annotations are
    strings, from `from __future__ import annotations`; mlflow's are evaluated)."""
    import inspect

    def text(annotation: Any) -> str:
        if isinstance(annotation, str):
            return annotation
        return inspect.formatannotation(annotation)

    parameters = inspect.signature(function).parameters.values()
    return [(p.name, p.kind, p.default, text(p.annotation)) for p in parameters]


def test_autolog_signature_matches_mlflow() -> None:
    mlflow = import_or_unavailable("mlflow")
    assert _shape(mlrs.autolog) == _shape(mlflow.autolog)
    mlflow_sklearn = import_or_unavailable("mlflow.sklearn")
    ours = [shape[:3] for shape in _shape(mlrs.sklearn.autolog)]
    assert ours == [shape[:3] for shape in _shape(mlflow_sklearn.autolog)]


# ---- sklearn -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_sklearn_classifier_params_metrics_tags() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    mlrs.sklearn.autolog(extra_tags={"team": "a"})
    # Imported after autolog, as with mlflow: a name bound earlier is the unpatched function.
    from sklearn.metrics import accuracy_score

    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=200).fit(X, y)
    assert mlrs.active_run() is None
    model.score(X, y)
    accuracy_score(y, model.predict(X))
    (run,) = runs()
    assert run.data.params["C"] == "1.0"
    assert run.data.params["max_iter"] == "200"
    assert set(run.data.metrics) == {
        "training_precision_score",
        "training_recall_score",
        "training_f1_score",
        "training_accuracy_score",
        "training_log_loss",
        "training_roc_auc",
        "training_score",
        "LogisticRegression_score_X",
        "accuracy_score_X",
    }
    tags = run.data.tags
    assert tags["mlflow.autologging"] == "sklearn"
    assert tags["team"] == "a"
    assert tags["estimator_name"] == "LogisticRegression"
    assert tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert run.info.status == "FINISHED"


@pytest.mark.slow
def test_sklearn_pipeline_and_search_are_one_run_each() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    mlrs.sklearn.autolog(max_tuning_runs=2)
    X, y = load_iris(return_X_y=True)
    Pipeline([("s", StandardScaler()), ("lr", LogisticRegression())]).fit(X, y)
    search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0, 10.0]}, cv=2)
    search.fit(X, y)
    found = runs()
    parents = [r for r in found if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in found if "mlflow.parentRunId" in r.data.tags]
    assert [r.data.tags["estimator_name"] for r in parents] == ["Pipeline", "GridSearchCV"]
    assert parents[0].data.params["lr__C"] == "1.0"
    gs = parents[1]
    assert gs.data.params["best_C"] == str(search.best_params_["C"])
    assert gs.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert len(children) == 2
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == gs.info.run_id
        assert child.data.tags["mlflow.autologging"] == "sklearn"
        assert child.data.tags["estimator_name"] == "LogisticRegression"
        assert child.info.status == "FINISHED"
        assert child.info.start_time == gs.info.start_time
        assert child.data.params["max_iter"] == "300"
        assert {"mean_test_score", "rank_test_score", "std_test_score"} <= set(child.data.metrics)
    assert sorted(c.data.metrics["rank_test_score"] for c in children) == [1.0, 2.0]


def test_sklearn_post_training_names_follow_variables() -> None:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    mlrs.sklearn.autolog()
    from sklearn.metrics import mean_squared_error

    X, y = load_diabetes(return_X_y=True)
    model = Ridge().fit(X, y)
    X_eval = X[:40]
    other = X[40:80]
    model.score(X_eval, y[:40])
    model.score(X_eval, y[:40])
    model.score(other, y[40:80])
    pred = model.predict(X_eval)
    mean_squared_error(y[:40], pred)
    (run,) = runs()
    post = {k for k in run.data.metrics if not k.startswith("training_")}
    assert post == {
        "Ridge_score_X_eval",
        "Ridge_score-2_X_eval",
        "Ridge_score-3_other",
        "mean_squared_error_X_eval",
    }


@pytest.mark.slow
def test_sklearn_cross_val_score_is_not_logged() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    mlrs.sklearn.autolog()
    from sklearn.model_selection import cross_val_score

    X, y = load_iris(return_X_y=True)
    cross_val_score(LogisticRegression(max_iter=200), X, y, cv=2)
    assert runs() == []


@pytest.mark.slow
def test_sklearn_autolog_before_import_in_subprocess(tmp_path: Path) -> None:
    import subprocess

    script = (
        "import mlrs, sys\n"
        "mlrs.autolog()\n"
        "assert 'sklearn' not in sys.modules\n"
        "from sklearn.linear_model import LinearRegression\n"
        "LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])\n"
        "run = mlrs.last_active_run()\n"
        "print(run.data.tags['mlflow.autologging'], sorted(run.data.params))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "sklearn ['copy_X', 'fit_intercept', 'n_jobs', 'positive', 'tol']"


# ---- xgboost and lightgbm ------------------------------------------------------------------


def data() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + rng.normal(size=120) > 0).astype(int)
    return X, y


def history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in mlrs.MlflowClient().get_metric_history(run_id, key)]


def test_xgboost_train_logs_iterations_and_early_stopping() -> None:
    import xgboost as xgb

    mlrs.xgboost.autolog(log_models=False)
    X, y = data()
    dtrain = xgb.DMatrix(X[:90], label=y[:90])
    dval = xgb.DMatrix(X[90:], label=y[90:])
    booster = xgb.train(
        {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1},
        dtrain,
        num_boost_round=30,
        evals=[(dval, "val")],
        early_stopping_rounds=2,
        verbose_eval=False,
    )
    (run,) = runs()
    assert run.data.params["objective"] == "binary:logistic"
    assert run.data.params["num_boost_round"] == "30"
    assert run.data.params["early_stopping_rounds"] == "2"
    assert "dtrain" not in run.data.params
    assert "callbacks" not in run.data.params
    assert run.data.tags["mlflow.autologging"] == "xgboost"
    points = history(run.info.run_id, "val-logloss")
    iterations = booster.num_boosted_rounds()
    assert [s for s, _ in points] == [*range(iterations), iterations]
    assert points[-1][1] == points[booster.best_iteration][1]
    assert run.data.metrics["best_iteration"] == booster.best_iteration
    assert run.data.metrics["stopped_iteration"] == iterations - 1


@pytest.mark.slow
def test_xgboost_sklearn_api() -> None:
    import xgboost as xgb

    mlrs.xgboost.autolog(log_models=False)
    X, y = data()
    clf = xgb.XGBClassifier(n_estimators=4, max_depth=2, n_jobs=1)
    clf.fit(X, y, eval_set=[(X, y)], verbose=False)
    (run,) = runs()
    assert run.data.params["max_depth"] == "2"
    assert run.data.params["num_boost_round"] == "4"
    assert [s for s, _ in history(run.info.run_id, "validation_0-logloss")] == [0, 1, 2, 3]
    assert "estimator_name" not in run.data.tags


def test_lightgbm_train_and_sklearn_api() -> None:
    import lightgbm as lgb

    mlrs.lightgbm.autolog(log_models=False)
    X, y = data()
    train = lgb.Dataset(X[:90], label=y[:90])
    valid = lgb.Dataset(X[90:], label=y[90:])
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1},
        train,
        num_boost_round=40,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(2, verbose=False)],
    )
    lgb.LGBMRegressor(n_estimators=3, verbose=-1, n_jobs=1).fit(
        X, y.astype(float), eval_X=(X,), eval_y=(y.astype(float),)
    )
    first, second = runs()
    assert first.data.params["num_boost_round"] == "40"
    assert first.data.params["keep_training_booster"] == "False"
    points = history(first.info.run_id, "valid_0-binary_logloss")
    n = len(points) - 1
    assert [s for s, _ in points] == [*range(n), n]
    assert points[-1][1] == points[booster.best_iteration - 1][1]
    assert first.data.metrics["stopped_iteration"] == n
    assert first.data.metrics["best_iteration"] == booster.best_iteration
    assert second.data.tags["mlflow.autologging"] == "lightgbm"
    assert [s for s, _ in history(second.info.run_id, "valid_0-l2")] == [0, 1, 2]


def test_boosting_callback_failure_keeps_training(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import lightgbm as lgb

    from mlrs.autologging import _boosting

    def broken(self: Any, metrics: Any, step: int) -> None:
        raise RuntimeError("queue gone")

    monkeypatch.setattr(_boosting.IterationLogger, "record", broken)
    mlrs.lightgbm.autolog(log_models=False)
    X, y = data()
    train = lgb.Dataset(X, label=y)
    with caplog.at_level(logging.WARNING, logger="mlrs"):
        booster = lgb.train(
            {"objective": "binary", "verbose": -1, "num_threads": 1},
            train,
            num_boost_round=3,
            valid_sets=[train],
        )
    assert booster.current_iteration() == 3
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert messages == ["Encountered unexpected error during lightgbm autologging: queue gone"]


# ---- supported versions -----------------------------------------------------------------------


def versioned_integration(versions: tuple[str, str]) -> Any:
    """The fake integration with a declared version range and a way to turn it off for versions
    outside it, as the built-in ones have."""
    name = "fakelib_mlrs_test"

    @autologging.integration(name, versions=versions, package="fakelib-mlrs")
    def autolog(
        disable: bool = False, silent: bool = False, disable_for_unsupported_versions: bool = False
    ) -> None:
        def patched_fit(original: Any, self: Any, n: int, **kwargs: Any) -> Any:
            mlrs.log_param("n", n)
            return original(self, n, **kwargs)

        autologging.safe_patch(name, sys.modules[name].Trainer, "fit", patched_fit, manage_run=True)

    return autolog


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("1.9.1", (1, 9, 1)),
        ("2", (2,)),
        ("1.2.post1", (1, 2)),
        ("3.4.1+cu121", (3, 4, 1)),
        ("2.0.0rc1", None),
        ("1.7.dev0", None),
        ("not a version", None),
    ],
)
def test_versions_parse_like_final_releases(text: str, parsed: tuple[int, ...] | None) -> None:
    assert _patch.release(text) == parsed


def test_a_library_older_than_the_minimum_gets_mlflows_warning(
    fakelib: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fakelib.__version__ = "0.5"
    with caplog.at_level(logging.WARNING, logger="mlrs"):
        versioned_integration(("1.0", "2.0"))()
    assert (
        "MLflow fakelib_mlrs_test autologging is known to be compatible with 1.0 <= fakelib-mlrs, "
        "but the installed version is 0.5. If you encounter errors during autologging, try "
        "upgrading / downgrading fakelib-mlrs to a compatible version, or try upgrading MLflow."
    ) in caplog.text
    fakelib.Trainer().fit(3)  # still logged: only a warning
    assert [r.data.params for r in runs()] == [{"n": "3"}]


@pytest.mark.parametrize(("version", "logged"), [("1.5", True), ("0.5", False), ("2.1", False)])
def test_disable_for_unsupported_versions_makes_patches_inert(
    fakelib: Any, caplog: pytest.LogCaptureFixture, version: str, logged: bool
) -> None:
    fakelib.__version__ = version
    with caplog.at_level(logging.WARNING, logger="mlrs"):
        versioned_integration(("1.0", "2.0"))(disable_for_unsupported_versions=True)
    assert "known to be compatible" not in caplog.text
    assert fakelib.Trainer().fit(4) == 8  # training works either way
    assert len(runs()) == (1 if logged else 0)
    assert autologging.is_disabled("fakelib_mlrs_test") is not logged


def test_builtin_integrations_declare_mlflows_version_ranges() -> None:
    import mlrs.lightgbm
    import mlrs.sklearn
    import mlrs.xgboost  # noqa: F401  (each registers its range on import)

    ranges = {k: (v.module, v.package, v.minimum, v.maximum) for k, v in _patch._versions.items()}
    assert ranges["sklearn"] == ("sklearn", "scikit-learn", "1.6.0", "1.9.1")
    assert ranges["xgboost"] == ("xgboost", "xgboost", "2.1.3", "3.4.1")
    assert ranges["lightgbm"] == ("lightgbm", "lightgbm", "4.6.0", "4.7.0")


@pytest.mark.slow
def test_booster_models_get_signature_and_input_example_from_the_training_data() -> None:
    import lightgbm as lgb
    import numpy as np
    import xgboost as xgb

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    mlrs.xgboost.autolog(log_input_examples=True)
    xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(x, label=y), num_boost_round=2)
    mlrs.lightgbm.autolog(log_input_examples=True)
    lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(x, label=y), num_boost_round=2)
    models = mlrs.search_logged_models(output_format="list")
    assert len(models) == 2
    for model in models:
        info = mlrs.models.get_model_info(model.model_uri)
        assert info.signature is not None
        assert info.signature.inputs.to_dict() == [
            {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}
        ]
        assert info.saved_input_example_info is not None
    mlrs.xgboost.autolog(disable=True)
    mlrs.lightgbm.autolog(disable=True)
    assert xgb.DMatrix.__init__.__qualname__ == "DMatrix.__init__"  # the patch is gone
