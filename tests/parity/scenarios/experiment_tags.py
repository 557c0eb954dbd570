"""Experiment tags through the fluent API (on the current experiment) and the client."""

from _parity import call, mlflow

client = mlflow.MlflowClient()

# With nothing set, the fluent calls act on experiment 0 and start no run.
call("set_experiment_tag on default", lambda: mlflow.set_experiment_tag("k0", "v0"))
call("no run was started", mlflow.active_run)
call("default experiment tags", lambda: mlflow.get_experiment("0").tags)

exp = mlflow.set_experiment("tagged")
eid = exp.experiment_id
call("set_experiment_tag returns", lambda: mlflow.set_experiment_tag("a", "1"))
call("int value is stringified", lambda: mlflow.set_experiment_tag("n", 5))
call("float value", lambda: mlflow.set_experiment_tag("f", 0.5))
call("None value", lambda: mlflow.set_experiment_tag("none", None))
call("list value", lambda: mlflow.set_experiment_tag("list", [1, "x"]))
call("nested key", lambda: mlflow.set_experiment_tag("a/b/c", "nested"))
call("overwrite", lambda: mlflow.set_experiment_tag("a", "2"))
call(
    "set_experiment_tags",
    lambda: mlflow.set_experiment_tags({"t1": "x", "t2": 2, "mlflow.note.content": "doc"}),
)
call("tags now", lambda: mlflow.get_experiment(eid).tags)
call("delete_experiment_tag", lambda: mlflow.delete_experiment_tag("t1"))
call("delete missing tag", lambda: mlflow.delete_experiment_tag("zzz"))
call("delete twice", lambda: mlflow.delete_experiment_tag("t1"))
call("tags after delete", lambda: mlflow.get_experiment(eid).tags)

call("key of 250 chars", lambda: mlflow.set_experiment_tag("k" * 250, "v"))
call("key of 251 chars", lambda: mlflow.set_experiment_tag("k" * 251, "v"))
call("value of 20000 chars", lambda: mlflow.set_experiment_tag("long", "v" * 20000))
call("value of 20001 chars", lambda: mlflow.set_experiment_tag("longer", "v" * 20001))
call("stored long value length", lambda: len(mlflow.get_experiment(eid).tags["long"]))
call("bad key chars", lambda: mlflow.set_experiment_tag("a,b", "v"))
call("key ..", lambda: mlflow.set_experiment_tag("../a", "v"))
call("empty key", lambda: mlflow.set_experiment_tag("", "v"))
call("None key", lambda: mlflow.set_experiment_tag(None, "v"))
call("int key", lambda: mlflow.set_experiment_tag(1, "v"))

other = mlflow.create_experiment("other")
call("client set_experiment_tag", lambda: client.set_experiment_tag(other, "c", 3))
call("client delete_experiment_tag", lambda: client.delete_experiment_tag(other, "c"))
call("client delete missing", lambda: client.delete_experiment_tag(other, "c"))
call("client on unknown experiment", lambda: client.set_experiment_tag("999", "c", "v"))
call("other tags", lambda: client.get_experiment(other).tags)
call("tagged unaffected", lambda: sorted(client.get_experiment(eid).tags))
