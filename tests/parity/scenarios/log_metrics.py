"""Metrics: value conversion, NaN/inf, step/timestamp, duplicates, latest value, history."""

import numpy as np

from _parity import call, mlflow, record

client = mlflow.MlflowClient()
run = mlflow.start_run()
run_id = run.info.run_id


def history(key):
    return [(m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, key)]


for label, value in [
    ("int", 3),
    ("float", 0.25),
    ("negative", -1.5),
    ("bool", True),
    ("numeric string", "1.5"),
    ("big int", 2**70),
    ("numpy float32", np.float32(0.5)),
    ("numpy int64", np.int64(7)),
    ("numpy 0-d array", np.array(2.5)),
    ("numpy 1-element array", np.array([4.5])),
    ("nan", float("nan")),
    ("inf", float("inf")),
    ("-inf", float("-inf")),
    ("numpy nan", np.nan),
    ("tiny", 5e-324),
    ("max float", 1.7976931348623157e308),
]:
    key = "v_" + label.replace(" ", "_").replace("-", "minus")
    call(
        f"log_metric {label}",
        lambda key=key, value=value: mlflow.log_metric(key, value, step=1, timestamp=10),
    )
    call(f"{label} stored", lambda key=key: history(key))

for label, value in [
    ("None", None),
    ("non-numeric string", "abc"),
    ("list", [1, 2]),
    ("numpy array of 2", np.array([1.0, 2.0])),
    ("dict", {"a": 1}),
    ("complex", 1j),
]:
    call(f"log_metric {label}", lambda value=value: mlflow.log_metric("bad", value, timestamp=10))

call(
    "step default is 0",
    lambda: mlflow.log_metric("defaults", 1.0, timestamp=5) or history("defaults"),
)
call("negative step", lambda: mlflow.log_metric("steps", 1.0, step=-3, timestamp=5))
call("float step", lambda: mlflow.log_metric("steps", 2.0, step=1.5, timestamp=5))
# Not covered: a numpy integer step, which mlflow 3.18 stores as an 8-byte BLOB (a bug that
# then breaks later comparisons on that key).
call("string step", lambda: mlflow.log_metric("steps", 4.0, step="3", timestamp=5))
call("step 2**63", lambda: mlflow.log_metric("steps", 5.0, step=2**63, timestamp=5))
call("step 2**63 - 1", lambda: mlflow.log_metric("bigstep", 6.0, step=2**63 - 1, timestamp=5))
call("bigstep stored", lambda: history("bigstep"))
call("steps stored", lambda: history("steps"))
call(
    "explicit None step and timestamp",
    lambda: mlflow.log_metric("nones", 1.0, step=None, timestamp=None) or history("nones"),
)
call("timestamp 0", lambda: mlflow.log_metric("ts", 1.0, timestamp=0))
call("negative timestamp", lambda: mlflow.log_metric("ts", 1.0, timestamp=-1))
call("float timestamp", lambda: mlflow.log_metric("ts", 2.0, timestamp=7.9))
call("string timestamp", lambda: mlflow.log_metric("ts", 3.0, timestamp="8"))
call("timestamps stored", lambda: history("ts"))
call("default timestamp is now (ms)", lambda: mlflow.log_metric("now", 1.0) or history("now"))

# Duplicates: an identical (key, timestamp, step, value) is dropped; anything else is kept.
for value, step, timestamp in [
    (1.0, 0, 100),
    (1.0, 0, 100),
    (2.0, 0, 100),
    (1.0, 1, 100),
    (1.0, 0, 101),
    (float("nan"), 0, 100),
    (float("nan"), 0, 100),
]:
    mlflow.log_metric("dup", value, step=step, timestamp=timestamp)
call("duplicates", lambda: history("dup"))

# Latest value: the point with the largest (step, timestamp, value), not the last written.
for value, step, timestamp in [
    (1.0, 0, 50),
    (2.0, 0, 60),
    (0.5, 5, 123),
    (0.7, 5, 123),
    (9.0, 2, 999),
    (0.6, 5, 123),
]:
    mlflow.log_metric("latest", value, step=step, timestamp=timestamp)
mlflow.log_metric("latest_nan", 1.0, step=1, timestamp=1)
mlflow.log_metric("latest_nan", float("nan"), step=1, timestamp=1)
mlflow.log_metric("latest_nan", -1.0, step=1, timestamp=1)
mlflow.log_metric("latest_neg", -5.0, step=3, timestamp=1)
mlflow.log_metric("latest_neg", 5.0, step=2, timestamp=9)
call("history order is (timestamp, step, value)", lambda: history("latest"))
call(
    "latest values",
    lambda: {
        k: v for k, v in mlflow.get_run(run_id).data.metrics.items() if k.startswith("latest")
    },
)
call(
    "nan/inf latest values",
    lambda: {
        k: v
        for k, v in mlflow.get_run(run_id).data.metrics.items()
        if k in ("v_nan", "v_inf", "v_minusinf", "v_numpy_nan", "v_max_float")
    },
)

# log_metrics shares one timestamp and step across its keys.
call(
    "log_metrics returns",
    lambda: mlflow.log_metrics({"a": 1.0, "b": 2, "c": np.float64(3)}, step=4),
)
shared = [client.get_metric_history(run_id, key)[0] for key in "abc"]
record("log_metrics shares the timestamp", len({m.timestamp for m in shared}) == 1)
record("log_metrics shares the step", [m.step for m in shared])
call(
    "log_metrics with timestamp",
    lambda: mlflow.log_metrics({"d": 1.0}, step=1, timestamp=42) or history("d"),
)
call("log_metrics with a bad value", lambda: mlflow.log_metrics({"e": 1.0, "f": "x"}, timestamp=1))
call("e not logged after a bad value", lambda: history("e"))
call("log_metrics with None value", lambda: mlflow.log_metrics({"g": None}, timestamp=1))
call("log_metrics empty", lambda: mlflow.log_metrics({}))
call(
    "log_metrics 1500 keys",
    lambda: mlflow.log_metrics({f"k{i}": i for i in range(1500)}, timestamp=1),
)
call("metric count", lambda: len(mlflow.get_run(run_id).data.metrics))

# History entities.
call("history entities", lambda: client.get_metric_history(run_id, "d"))
call("history of unknown key", lambda: client.get_metric_history(run_id, "nope"))
call("history of unknown run", lambda: client.get_metric_history("0" * 32, "d"))
call("history of malformed run id", lambda: client.get_metric_history("../x", "d"))
for step in range(50):
    mlflow.log_metric("curve", step * 0.5, step=step, timestamp=1000 + step)
call("history of 50 points", lambda: [m.value for m in client.get_metric_history(run_id, "curve")])
call("history type", lambda: type(client.get_metric_history(run_id, "curve")).__name__)

call(
    "client log_metric returns",
    lambda: client.log_metric(run_id, "client", 1.0, timestamp=3, step=2),
)
call("client log_metric bad value", lambda: client.log_metric(run_id, "client", "x", timestamp=3))
call(
    "client default step",
    lambda: client.log_metric(run_id, "cdef", 1.0, timestamp=3) or history("cdef"),
)
call(
    "fluent log_metric with run_id",
    lambda: mlflow.log_metric("byid", 1.0, run_id=run_id, timestamp=9),
)
call("log_metric to unknown run_id", lambda: mlflow.log_metric("byid", 1.0, run_id="0" * 32))
call("synchronous=True", lambda: mlflow.log_metric("sync", 1.0, synchronous=True))
call("synchronous=False", lambda: type(mlflow.log_metric("async", 1.0, synchronous=False)).__name__)
call(
    "log_metrics synchronous=False",
    lambda: type(mlflow.log_metrics({"async2": 1.0}, synchronous=False)).__name__,
)
call("async wait", lambda: mlflow.log_metric("async3", 1.0, synchronous=False).wait())
mlflow.end_run()
call(
    "async metrics stored",
    lambda: sorted(k for k in mlflow.get_run(run_id).data.metrics if "sync" in k),
)
