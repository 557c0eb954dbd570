"""Asynchronous logging as users see it: return types, flushing, the env switch, errors."""

import os

from _parity import call, mlflow, record

with mlflow.start_run() as run:
    ops = call(
        "log_metric synchronous=False",
        lambda: mlflow.log_metric("m", 1.0, step=0, timestamp=1, synchronous=False),
    )
    record("RunOperations type", type(ops).__name__)
    call("wait", ops.wait)
    call("wait twice", ops.wait)
    for step in range(100):
        mlflow.log_metric("curve", float(step), step=step, timestamp=10 + step, synchronous=False)
    call("flush_async_logging", mlflow.flush_async_logging)
    call(
        "all points present after flush",
        lambda: len(mlflow.MlflowClient().get_metric_history(run.info.run_id, "curve")),
    )
    # mlflow validates async values in the worker: the call itself does not raise.
    call(
        "bad value, async",
        lambda: type(mlflow.log_metric("bad", "abc", synchronous=False)).__name__,
    )
    call("first param, async", lambda: mlflow.log_param("p", 1, synchronous=False).wait())
    call("param conflict, async, wait", lambda: mlflow.log_param("p", 2, synchronous=False).wait())
    call("set_tags async wait", lambda: mlflow.set_tags({"t": 1}, synchronous=False).wait())
    call("log_params async wait", lambda: mlflow.log_params({"q": 1}, synchronous=False).wait())
    call(
        "log_metrics async wait",
        lambda: mlflow.log_metrics(
            {"a": 1.0, "b": 2.0}, step=0, timestamp=1, synchronous=False
        ).wait(),
    )
record(
    "a with block with failed async writes still ends FINISHED",
    mlflow.get_run(run.info.run_id).info.status,
)
call("data after the with block", lambda: mlflow.get_run(run.info.run_id).data)

call("enable_async_logging", lambda: mlflow.config.enable_async_logging(True))
record("env after enable", os.environ.get("MLFLOW_ENABLE_ASYNC_LOGGING"))
with mlflow.start_run() as run:
    call("log_metric default is async now", lambda: type(mlflow.log_metric("x", 1.0)).__name__)
    call("log_param default is async now", lambda: type(mlflow.log_param("x", 1)).__name__)
    call("synchronous=True still sync", lambda: mlflow.log_param("y", 1, synchronous=True))
call("async data after end_run", lambda: mlflow.get_run(run.info.run_id).data.params)
call("disable", lambda: mlflow.config.enable_async_logging(False))
record("env after disable", os.environ.get("MLFLOW_ENABLE_ASYNC_LOGGING"))
with mlflow.start_run():
    call("log_param default is sync again", lambda: mlflow.log_param("x", 1))
os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "true"
with mlflow.start_run():
    call("env var switches to async", lambda: type(mlflow.set_tag("x", 1)).__name__)
del os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"]
call("flush with nothing queued", mlflow.flush_async_logging)
