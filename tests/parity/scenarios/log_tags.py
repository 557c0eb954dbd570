"""Run tags: set_tag(s), overwrite, stringification, delete_tag, runName renames, truncation."""

import numpy as np

from _parity import call, captured_logs, mlflow, record

client = mlflow.MlflowClient()
run = mlflow.start_run(run_name="tags")
run_id = run.info.run_id


def tags():
    stored = mlflow.get_run(run_id).data.tags
    return {k: v for k, v in stored.items() if not k.startswith("mlflow.source")}


call("set_tag returns", lambda: mlflow.set_tag("a", "1"))
call("overwrite", lambda: mlflow.set_tag("a", "2"))
call("int value", lambda: mlflow.set_tag("int", 5))
call("None value", lambda: mlflow.set_tag("none", None))
call("list value", lambda: mlflow.set_tag("list", [1, "a"]))
call("float value", lambda: mlflow.set_tag("float", 0.1))
call("empty value", lambda: mlflow.set_tag("empty", ""))
call("numpy value", lambda: mlflow.set_tag("np", np.float32(0.5)))
call("set_tags returns", lambda: mlflow.set_tags({"b": 1, "c": None, "a": "3"}))
call("set_tags empty", lambda: mlflow.set_tags({}))
call("tags now", tags)

call("delete_tag", lambda: mlflow.delete_tag("b"))
call("delete missing tag", lambda: mlflow.delete_tag("b"))
call("delete system tag", lambda: mlflow.delete_tag("mlflow.user"))
call("client delete_tag", lambda: client.delete_tag(run_id, "c"))
call("client delete missing tag", lambda: client.delete_tag(run_id, "c"))
call("client delete_tag unknown run", lambda: client.delete_tag("0" * 32, "c"))
call("tags after deletes", tags)

call("set mlflow.runName renames", lambda: mlflow.set_tag("mlflow.runName", "renamed"))
call("run_name after tag", lambda: mlflow.get_run(run_id).info.run_name)
call("set_tags mlflow.runName renames", lambda: mlflow.set_tags({"mlflow.runName": "again"}))
call("run_name after set_tags", lambda: mlflow.get_run(run_id).info.run_name)
call("client set_tag mlflow.runName", lambda: client.set_tag(run_id, "mlflow.runName", "client"))
call("run_name after client tag", lambda: mlflow.get_run(run_id).info.run_name)
call("update_run renames", lambda: client.update_run(run_id, name="updated"))
call("tag after update_run", lambda: mlflow.get_run(run_id).data.tags["mlflow.runName"])
call("delete mlflow.runName", lambda: mlflow.delete_tag("mlflow.runName"))
call("run_name after deleting the tag", lambda: mlflow.get_run(run_id).info.run_name)
call("active_run snapshot keeps the old name", lambda: mlflow.active_run().info.run_name)

call("value of 8000 chars", lambda: mlflow.set_tag("v8000", "x" * 8000))
with captured_logs() as logs:
    call("value of 8001 chars", lambda: mlflow.set_tag("v8001", "y" * 8001))
record("truncation warned", "truncated" in logs.getvalue())
call("stored length", lambda: len(mlflow.get_run(run_id).data.tags["v8001"]))
with captured_logs() as logs:
    call("set_tags value of 9000 chars", lambda: mlflow.set_tags({"v9000": "z" * 9000}))
record("set_tags truncation warned", "truncated" in logs.getvalue())
call("set_tags stored length", lambda: len(mlflow.get_run(run_id).data.tags["v9000"]))
call("client set_tag 8001 chars", lambda: client.set_tag(run_id, "c8001", "w" * 8001))
call("client stored length", lambda: len(mlflow.get_run(run_id).data.tags["c8001"]))

call(
    "set_tag synchronous=False",
    lambda: type(mlflow.set_tag("async", 1, synchronous=False)).__name__,
)
call(
    "set_tags synchronous=False",
    lambda: type(mlflow.set_tags({"async2": 1}, synchronous=False)).__name__,
)
call("client set_tag returns", lambda: client.set_tag(run_id, "client", "v"))
call("client set_tag unknown run", lambda: client.set_tag("0" * 32, "k", "v"))
mlflow.end_run()
call("final tag keys", lambda: sorted(tags()))
