"""Several handles on one store see each other's writes at once.

mlflow writes synchronously, so every client, whatever spelling of the URI it was given, and
every other process reads a write as soon as the call returns.
"""

import os
import time

from _parity import call, mlflow, run_child

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
""",
    )
    call("the other process's write", lambda: mlflow.get_run(run_id).data.params.get("from_child"))
    call("conflict with the other process's param", lambda: mlflow.log_param("from_child", "no"))
call("final", lambda: relative.get_run(run_id).data)
