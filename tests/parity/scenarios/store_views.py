"""Several handles on one store see each other's writes at once.

mlflow writes synchronously, so every client, whatever spelling of the URI it was given, and
every other process reads a write as soon as the call returns.
"""

import os
import time

from _parity import call, mlflow, run_child, until

cwd = os.getcwd()
fluent = mlflow.MlflowClient()
relative = mlflow.MlflowClient("sqlite:///mlflow.db")
absolute = mlflow.MlflowClient(f"sqlite:///{cwd}/mlflow.db")

with mlflow.start_run() as run:
    run_id = run.info.run_id
    mlflow.log_param("p", "fluent")
    for step in range(5):
        mlflow.log_metric("m", float(step), step=step, timestamp=step)
    call("relative-URI client sees fluent writes", lambda: relative.get_run(run_id).data.params)
    call(
        "absolute-URI client sees the history",
        lambda: [m.value for m in absolute.get_metric_history(run_id, "m")],
    )
    relative.log_param(run_id, "q", "relative")
    call("fluent sees the relative client's write", lambda: mlflow.get_run(run_id).data.params)
    call("conflict with another client's param", lambda: mlflow.log_param("q", "other"))
    absolute.set_tag(run_id, "t", "absolute")
    call("fluent set_tags after a client set_tag", lambda: mlflow.set_tags({"t": "fluent"}))
    call("tag now", lambda: relative.get_run(run_id).data.tags["t"])
    absolute.log_metric(run_id, "m", 99.0, step=99, timestamp=99)
    call("latest across clients", lambda: fluent.get_run(run_id).data.metrics["m"])
    call("search through another client", lambda: len(relative.search_runs(["0"])))
    time.sleep(0.5)  # a write is on disk within this (DESIGN.md: loss bound ~100 ms)
    run_child(
        "child_reader",
        f"""
from _parity import call, mlflow
client = mlflow.MlflowClient()
call("params seen by another process", lambda: client.get_run({run_id!r}).data.params)
call("metric seen by another process", lambda: client.get_run({run_id!r}).data.metrics)
call("status seen by another process", lambda: client.get_run({run_id!r}).info.status)
client.log_param({run_id!r}, "from_child", "yes")
client.log_metric({run_id!r}, "m", 7.0, step=200, timestamp=200)
client.set_tag({run_id!r}, "mlflow.runName", "named-by-child")
""",
    )
    call("the other process's write", lambda: mlflow.get_run(run_id).data.params.get("from_child"))
    call("conflict with the other process's param", lambda: mlflow.log_param("from_child", "no"))
    call("latest after the other process's metric", lambda: mlflow.get_run(run_id).data.metrics)
    mlflow.log_metric("m", 5.0, step=150, timestamp=150)
    call("an older step does not replace it", lambda: mlflow.get_run(run_id).data.metrics)
    call("renamed by the other process", lambda: mlflow.get_run(run_id).info.run_name)
call("final", lambda: relative.get_run(run_id).data)

# A run deleted by another process refuses further writes here.
with mlflow.start_run() as second:
    mlflow.log_param("before", 1)
    time.sleep(0.5)
    run_child(
        "child_deleter",
        f"""
from _parity import call, mlflow
call("delete from another process", lambda: mlflow.delete_run({second.info.run_id!r}))
""",
    )
    call("log_param to a run deleted elsewhere", lambda: mlflow.log_param("after", 1))
    call("log_metric to a run deleted elsewhere", lambda: mlflow.log_metric("after", 1.0))
    call("lifecycle", lambda: mlflow.get_run(second.info.run_id).info.lifecycle_stage)
    mlflow.restore_run(second.info.run_id)

# Experiments changed by another process.
doomed = mlflow.create_experiment("doomed")
mlflow.set_experiment("doomed")
run_child(
    "child_experiments",
    f"""
from _parity import call, mlflow
call("create elsewhere", lambda: mlflow.create_experiment("made-elsewhere"))
call("delete elsewhere", lambda: mlflow.delete_experiment({doomed!r}))
""",
)
call(
    "create a name taken elsewhere",
    lambda: mlflow.create_experiment("made-elsewhere"),
    msg=until("already exists."),
)
call("set_experiment to it", lambda: mlflow.set_experiment("made-elsewhere").experiment_id)
call("run in an experiment deleted elsewhere", lambda: mlflow.start_run(experiment_id=doomed))
call("set_experiment to the deleted one", lambda: mlflow.set_experiment(experiment_id=doomed))
