"""Writes a varied set of experiments and runs (run by mlflow or mlrs, for test_interop)."""

import time

from _parity import mlflow

client = mlflow.MlflowClient()
Metric, Param, RunTag = mlflow.entities.Metric, mlflow.entities.Param, mlflow.entities.RunTag


def tick() -> None:
    """Runs started in the same millisecond are ordered by their random ids: avoid ties."""
    time.sleep(0.003)


exp = mlflow.create_experiment("interop", tags={"team": "parity", "n": "1"})
mlflow.set_experiment("interop")
tick()
with mlflow.start_run(run_name="main", description="the *main* run", tags={"k": "v"}):
    mlflow.log_params({"lr": 0.01, "layers": 3, "name": "net", "none": None})
    for step in range(300):
        mlflow.log_metric("loss", 1 / (step + 1), step=step, timestamp=1000 + step)
    mlflow.log_metrics(
        {"nan": float("nan"), "inf": float("inf"), "neginf": float("-inf")}, step=0, timestamp=5
    )
    mlflow.log_metric("same_point", 1.0, step=0, timestamp=1)
    mlflow.log_metric("same_point", 2.0, step=0, timestamp=1)
    mlflow.log_metric("same_point", 2.0, step=0, timestamp=1)
    mlflow.log_metric("neg_step", 3.0, step=-5, timestamp=2)
    mlflow.set_tags({"stage": "train", "unicode": "héllo ✓", "empty": ""})
    tick()
    with mlflow.start_run(run_name="child", nested=True):
        mlflow.log_metric("child_metric", 0.5, step=3, timestamp=7)
        tick()
        with mlflow.start_run(run_name="grandchild", nested=True):
            mlflow.log_param("depth", 2)

try:
    tick()
    with mlflow.start_run(run_name="failed"):
        mlflow.log_param("p", "x")
        raise ValueError("boom")
except ValueError:
    pass

tick()
with mlflow.start_run(run_name="to-delete") as doomed:
    mlflow.log_param("p", "y")
mlflow.delete_run(doomed.info.run_id)

tick()
manual = client.create_run(exp, start_time=1000, run_name="client-run", tags={"src": "client"})
client.log_batch(
    manual.info.run_id,
    metrics=[Metric(f"batch{i % 7}", float(i), 2000 + i, i) for i in range(1200)],
    params=[Param(f"bp{i}", str(i)) for i in range(120)],
    tags=[RunTag(f"bt{i}", "x" * i) for i in range(110)],
)
client.set_terminated(manual.info.run_id, "KILLED", end_time=5000)

other = mlflow.create_experiment("deleted-exp")
tick()
client.create_run(other, run_name="in-deleted-exp")
mlflow.delete_experiment(other)
tick()
with mlflow.start_run(experiment_id="0", run_name="in-default"):
    mlflow.log_metric("m", 1.0, step=0, timestamp=3)
mlflow.set_experiment_tag("exp-tag", "v")
