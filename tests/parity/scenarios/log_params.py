"""Params: return values, stringification, re-logging, conflicts, length limits."""

import numpy as np

from _parity import call, captured_logs, mlflow, record

client = mlflow.MlflowClient()
run = mlflow.start_run()
run_id = run.info.run_id

for key, value in [
    ("int", 5),
    ("float", 0.1),
    ("bool", True),
    ("none", None),
    ("list", [1, 2]),
    ("dict", {"a": 1}),
    ("str", "text"),
    ("empty", ""),
    ("unicode", "héllo ✓"),
    ("big", 2**70),
    ("tuple", (1, "a")),
    ("numpy float", np.float64(0.1)),
    ("numpy int", np.int64(3)),
    ("numpy bool", np.bool_(True)),
    ("numpy array", np.array([1.5, 2.0])),
]:
    call(f"log_param {key} returns", lambda key=key, value=value: mlflow.log_param(key, value))
call("stored params", lambda: mlflow.get_run(run_id).data.params)

call("re-log the same value", lambda: mlflow.log_param("int", 5))
call("re-log the same string", lambda: mlflow.log_param("int", "5"))
call("re-log a different value", lambda: mlflow.log_param("int", 6))
call("re-log float as equal string", lambda: mlflow.log_param("float", "0.1"))
call("params unchanged", lambda: mlflow.get_run(run_id).data.params["int"])
call("log_params returns", lambda: mlflow.log_params({"a": 1, "b": "two"}))
call("log_params same values", lambda: mlflow.log_params({"a": "1"}))
call("log_params conflict (batch message)", lambda: mlflow.log_params({"a": 7, "c": 3}))
call("c not logged after batch conflict", lambda: "c" in mlflow.get_run(run_id).data.params)
call("log_params empty", lambda: mlflow.log_params({}))
call("log_params 150 params", lambda: mlflow.log_params({f"k{i}": i for i in range(150)}))
call("count after 150", lambda: len(mlflow.get_run(run_id).data.params))
call("client log_param returns", lambda: client.log_param(run_id, "client", 1.5))
call("client log_param conflict", lambda: client.log_param(run_id, "client", 2.5))
call("fluent log_params with run_id", lambda: mlflow.log_params({"other": 1}, run_id=run_id))

# Long values: record whether the original value came back, not the value itself.
call("value of 6000 chars", lambda: mlflow.log_param("v6000", "x" * 6000) == "x" * 6000)
with captured_logs() as logs:
    call("value of 6001 chars", lambda: mlflow.log_param("v6001", "y" * 6001) == "y" * 6001)
record("truncation warned", "truncated" in logs.getvalue())
call("stored length", lambda: len(mlflow.get_run(run_id).data.params["v6001"]))
call("re-log the long value", lambda: len(mlflow.log_param("v6001", "y" * 6001)))
call("re-log the truncated value", lambda: len(mlflow.log_param("v6001", "y" * 6000)))
with captured_logs() as logs:
    call("log_params long value", lambda: mlflow.log_params({"lp": "z" * 7000}))
record("log_params truncation warned", "truncated" in logs.getvalue())
call("log_params stored length", lambda: len(mlflow.get_run(run_id).data.params["lp"]))
call(
    "long str() of an object",
    lambda: mlflow.log_param("longlist", list(range(3000))) == list(range(3000)),
)
call("longlist stored length", lambda: len(mlflow.get_run(run_id).data.params["longlist"]))

call("synchronous=True returns", lambda: mlflow.log_param("sync", 1, synchronous=True))
call(
    "synchronous=False returns",
    lambda: type(mlflow.log_param("async", 1, synchronous=False)).__name__,
)
call(
    "log_params synchronous=False",
    lambda: type(mlflow.log_params({"async2": 1}, synchronous=False)).__name__,
)
mlflow.end_run()
call(
    "async params were stored",
    lambda: {k: v for k, v in mlflow.get_run(run_id).data.params.items() if "sync" in k},
)
