"""Appends to a store written by the other implementation (for test_interop)."""

import time

from _parity import mlflow


def tick() -> None:
    """Runs started in the same millisecond are ordered by their random ids: avoid ties."""
    time.sleep(0.003)


client = mlflow.MlflowClient()
exp = mlflow.get_experiment_by_name("interop").experiment_id
runs = {r.info.run_name: r for r in client.search_runs([exp], run_view_type=3)}

main = runs["main"].info.run_id
with mlflow.start_run(run_id=main, tags={"resumed": "yes"}):
    for step in range(300, 350):
        mlflow.log_metric("loss", 0.001 * step, step=step, timestamp=2000 + step)
    mlflow.log_param("extra", "added")
    mlflow.log_param("lr", 0.01)  # same value as logged: a no-op
    mlflow.set_tag("stage", "appended")
    mlflow.log_metric("nan", 1.0, step=1, timestamp=6)

child = runs["child"].info.run_id
client.log_metric(child, "child_metric", 9.0, timestamp=1, step=0)  # older: latest is unchanged
client.log_metric(child, "child_metric", 0.25, timestamp=8, step=4)  # newer: becomes latest
client.delete_tag(child, "mlflow.parentRunId")

mlflow.restore_run(runs["to-delete"].info.run_id)
mlflow.delete_run(runs["failed"].info.run_id)
client.update_run(runs["client-run"].info.run_id, name="client-run-renamed")

mlflow.set_experiment("interop")
tick()
with mlflow.start_run(run_name="appended-run"):
    mlflow.log_params({"a": 1, "b": 2})
    for step in range(20):
        mlflow.log_metric("acc", step / 20, step=step, timestamp=3000 + step)
    mlflow.log_metric("inf", float("inf"), step=0, timestamp=1)

mlflow.set_experiment_tag("appended", "true")
new_exp = mlflow.create_experiment("appended-exp", tags={"x": "y"})
tick()
with mlflow.start_run(experiment_id=new_exp, run_name="in-new-exp"):
    mlflow.log_metric("m", 2.0, step=0, timestamp=4)
mlflow.restore_experiment(mlflow.get_experiment_by_name("deleted-exp").experiment_id)
