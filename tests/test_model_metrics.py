"""Metrics logged with a model id become the model's metrics, with their dataset's name and
digest, as MLflow's store links them (`logged_model_metrics`)."""

import numpy as np

import mlrs


def test_log_metric_with_model_id_and_dataset_reaches_the_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dataset = mlrs.data.from_numpy(np.zeros((2, 2)))
    with mlrs.start_run() as run:
        model = mlrs.MlflowClient().create_logged_model(run.info.experiment_id, name="m")
        mlrs.log_metric("a", 1.5, step=2, model_id=model.model_id, dataset=dataset)
        mlrs.log_metrics({"b": 2.0}, model_id=model.model_id)
        mlrs.MlflowClient().log_metric(run.info.run_id, "c", 3.0, model_id=model.model_id)
        mlrs.log_metric("plain", 4.0)
    got = mlrs.MlflowClient().get_logged_model(model.model_id).metrics
    seen = sorted((m.key, m.value, m.step, m.dataset_name, m.dataset_digest) for m in got)
    assert seen == [
        ("a", 1.5, 2, dataset.name, dataset.digest),
        ("b", 2.0, 0, None, None),
        ("c", 3.0, 0, None, None),
    ]
    history = mlrs.MlflowClient().get_metric_history(run.info.run_id, "a")
    assert [(m.value, m.step) for m in history] == [(1.5, 2)]
