"""MlflowClient.log_batch: entities, chunking past the store limits, conflicts, validation."""

from _parity import call, mlflow, record

client = mlflow.MlflowClient()
Metric, Param, RunTag = mlflow.entities.Metric, mlflow.entities.Param, mlflow.entities.RunTag
run_id = client.create_run("0").info.run_id


def counts():
    data = mlflow.get_run(run_id).data
    return [len(data.metrics), len(data.params), len(data.tags)]


call("empty batch", lambda: client.log_batch(run_id))
call(
    "basic batch",
    lambda: client.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 10, 0), Metric("m", 2.0, 11, 1)],
        params=[Param("p", "1")],
        tags=[RunTag("t", "v")],
    ),
)
call("after basic batch", lambda: mlflow.get_run(run_id).data)
call(
    "1001 metrics",
    lambda: client.log_batch(run_id, metrics=[Metric(f"k{i}", i, 1, 0) for i in range(1001)]),
)
call(
    "101 params",
    lambda: client.log_batch(run_id, params=[Param(f"p{i}", str(i)) for i in range(101)]),
)
call(
    "101 tags", lambda: client.log_batch(run_id, tags=[RunTag(f"t{i}", str(i)) for i in range(101)])
)
call(
    "801 metrics + 100 params + 100 tags",
    lambda: client.log_batch(
        run_id,
        metrics=[Metric(f"x{i}", i, 1, 0) for i in range(801)],
        params=[Param(f"q{i}", "v") for i in range(100)],
        tags=[RunTag(f"u{i}", "v") for i in range(100)],
    ),
)
call(
    "2500 metrics of one key",
    lambda: client.log_batch(run_id, metrics=[Metric("one", i, i, i) for i in range(2500)]),
)
call("counts", counts)
call("history of the chunked key", lambda: len(client.get_metric_history(run_id, "one")))

call(
    "duplicate param keys, same value",
    lambda: client.log_batch(run_id, params=[Param("dp", "1"), Param("dp", "1")]),
)
call(
    "duplicate param keys, different values",
    lambda: client.log_batch(run_id, params=[Param("dq", "1"), Param("dq", "2")]),
)
call("param conflict with stored", lambda: client.log_batch(run_id, params=[Param("p", "2")]))
call(
    "conflict and new key",
    lambda: client.log_batch(run_id, params=[Param("new", "1"), Param("p", "3")]),
)
call("new key after a conflict", lambda: "new" in mlflow.get_run(run_id).data.params)
call("same param value again", lambda: client.log_batch(run_id, params=[Param("p", "1")]))
call(
    "duplicate tag keys (last wins)",
    lambda: client.log_batch(run_id, tags=[RunTag("dt", "1"), RunTag("dt", "2")]),
)
call("dt", lambda: mlflow.get_run(run_id).data.tags["dt"])
call(
    "metrics in one batch with the same key and step",
    lambda: client.log_batch(
        run_id,
        metrics=[Metric("same", 1.0, 5, 0), Metric("same", 3.0, 5, 0), Metric("same", 2.0, 5, 0)],
    ),
)
call("latest of same", lambda: mlflow.get_run(run_id).data.metrics["same"])

call(
    "bad metric name",
    lambda: client.log_batch(run_id, metrics=[Metric("ok", 1.0, 1, 0), Metric("a,b", 1.0, 1, 0)]),
)
call("None metric name", lambda: client.log_batch(run_id, metrics=[Metric(None, 1.0, 1, 0)]))
call("None metric value", lambda: client.log_batch(run_id, metrics=[Metric("nv", None, 1, 0)]))
call("string metric value", lambda: client.log_batch(run_id, metrics=[Metric("sv", "x", 1, 0)]))
call("negative timestamp", lambda: client.log_batch(run_id, metrics=[Metric("nt", 1.0, -1, 0)]))
call("None timestamp", lambda: client.log_batch(run_id, metrics=[Metric("nts", 1.0, None, 0)]))
call("None step", lambda: client.log_batch(run_id, metrics=[Metric("ns", 1.0, 1, None)]))
call("NaN value", lambda: client.log_batch(run_id, metrics=[Metric("nan", float("nan"), 1, 0)]))
call("bad param key", lambda: client.log_batch(run_id, params=[Param("../p", "v")]))
call("None param value", lambda: client.log_batch(run_id, params=[Param("pn", None)]))
call("int param value", lambda: client.log_batch(run_id, params=[Param("pi", 5)]))
call("long param value", lambda: client.log_batch(run_id, params=[Param("pl", "x" * 6001)]))
call("long param stored", lambda: len(mlflow.get_run(run_id).data.params.get("pl", "")))
call("bad tag key", lambda: client.log_batch(run_id, tags=[RunTag("", "v")]))
call("None tag value", lambda: client.log_batch(run_id, tags=[RunTag("tn", None)]))
call(
    "stored None-ish values",
    lambda: {k: v for k, v in mlflow.get_run(run_id).data.params.items() if k in ("pn", "pi")},
)
call("stored None tag", lambda: mlflow.get_run(run_id).data.tags.get("tn", "<absent>"))
call("unknown run", lambda: client.log_batch("0" * 32, params=[Param("p", "1")]))
call("malformed run id", lambda: client.log_batch("../x", params=[Param("p", "1")]))
call("tuple instead of list", lambda: client.log_batch(run_id, params=(Param("tp", "1"),)))
call(
    "synchronous=True",
    lambda: client.log_batch(run_id, params=[Param("s1", "1")], synchronous=True),
)
ops = call(
    "synchronous=False",
    lambda: type(client.log_batch(run_id, params=[Param("s2", "1")], synchronous=False)).__name__,
)
call(
    "async conflict surfaces in wait()",
    lambda: client.log_batch(run_id, params=[Param("p", "async")], synchronous=False).wait(),
)
client.set_terminated(run_id)
record("final counts", counts())
