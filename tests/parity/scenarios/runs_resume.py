"""Resuming runs: start_run(run_id=...), MLFLOW_RUN_ID (consumed), renames, merged tags."""

import os
import time

from _parity import call, mlflow, record, run_child

client = mlflow.MlflowClient()

with mlflow.start_run(run_name="first", tags={"a": "1"}) as run:
    mlflow.log_param("p", "x")
    mlflow.log_metric("m", 1.0, step=0)
run_id = run.info.run_id
first_end = mlflow.get_run(run_id).info.end_time
time.sleep(0.01)

resumed = call("resume by id", lambda: mlflow.start_run(run_id=run_id))
record("resumed snapshot has data", resumed)
info = mlflow.get_run(run_id).info
record("status while resumed", info.status)
record("end_time kept while resumed", info.end_time == first_end)
mlflow.log_metric("m", 2.0, step=1)
call("params cannot change on resume", lambda: mlflow.log_param("p", "y"))
mlflow.end_run()
info = mlflow.get_run(run_id).info
record("status after second end", info.status)
record("end_time moved forward", info.end_time > first_end)
record("start_time unchanged", info.start_time == run.info.start_time)
record("metrics after resume", mlflow.get_run(run_id).data.metrics)

with mlflow.start_run(run_id=run_id, run_name="renamed", tags={"b": 2}, description="doc"):
    pass
data = mlflow.get_run(run_id)
record("renamed on resume", [data.info.run_name, data.data.tags.get("mlflow.runName")])
record("tags merged on resume", {k: v for k, v in data.data.tags.items() if len(k) == 1})
record("description on resume", data.data.tags.get("mlflow.note.content"))
call(
    "description and note tag on resume",
    lambda: mlflow.start_run(run_id=run_id, description="d", tags={"mlflow.note.content": "t"}),
)
call("active after failed resume", mlflow.active_run)
record("status after failed resume", mlflow.get_run(run_id).info.status)
mlflow.end_run()

with mlflow.start_run(run_id=run_id, run_name=None):
    pass
record("resume without run_name keeps the name", mlflow.get_run(run_id).info.run_name)

call("resume unknown id", lambda: mlflow.start_run(run_id="0" * 32))
call("resume malformed id", lambda: mlflow.start_run(run_id="../bad"))
call("resume id with dashes", lambda: mlflow.start_run(run_id="a-b_c"))
call("active after failed resumes", mlflow.active_run)

os.environ["MLFLOW_RUN_ID"] = run_id
call("resume via MLFLOW_RUN_ID", lambda: mlflow.start_run().info.run_id == run_id)
record("MLFLOW_RUN_ID consumed by start_run", os.environ.get("MLFLOW_RUN_ID"))
mlflow.end_run()
record("status after env resume", mlflow.get_run(run_id).info.status)

other = client.create_run("0", run_name="other").info.run_id
os.environ["MLFLOW_RUN_ID"] = other
call("argument beats MLFLOW_RUN_ID", lambda: mlflow.start_run(run_id=run_id).info.run_name)
record("MLFLOW_RUN_ID kept when the argument wins", os.environ.get("MLFLOW_RUN_ID") == other)
mlflow.end_run()
record("end_run unsets MLFLOW_RUN_ID", os.environ.get("MLFLOW_RUN_ID"))

os.environ["MLFLOW_RUN_ID"] = "deadbeef"
call("MLFLOW_RUN_ID unknown", mlflow.start_run)
record("MLFLOW_RUN_ID consumed even on error", os.environ.get("MLFLOW_RUN_ID"))

os.environ["MLFLOW_RUN_ID"] = other
call("implicit start via log_param resumes MLFLOW_RUN_ID", lambda: mlflow.log_param("k", "v"))
call("implicitly resumed run", lambda: mlflow.active_run().info.run_name)
mlflow.end_run()

mlflow.delete_run(other)
call("resume deleted run", lambda: mlflow.start_run(run_id=other))
call("active after deleted resume", mlflow.active_run)
record("deleted run status untouched", mlflow.get_run(other).info.status)

exp = mlflow.set_experiment("elsewhere")
call("resume a run of another experiment", lambda: mlflow.start_run(run_id=run_id))
call("active after experiment mismatch", mlflow.active_run)
call(
    "resume with explicit matching experiment_id",
    lambda: mlflow.start_run(run_id=run_id, experiment_id="0"),
)
mlflow.end_run()
with mlflow.start_run() as in_exp:
    pass
call(
    "resume a run of the active experiment",
    lambda: mlflow.start_run(run_id=in_exp.info.run_id).info.experiment_id,
)
mlflow.end_run()
record("active experiment", exp.experiment_id)

# A program started with MLFLOW_RUN_ID exported logs into that run.
mlflow.set_experiment(experiment_id="0")
run_child(
    "child_env_run_id",
    """
import os
from _parity import call, mlflow, record
with mlflow.start_run() as run:
    mlflow.log_param("from", "child")
record("resumed the exported run", run.info.run_name)
record("MLFLOW_RUN_ID consumed", os.environ.get("MLFLOW_RUN_ID"))
call("status", lambda: mlflow.get_run(run.info.run_id).info.status)
""",
    env={"MLFLOW_RUN_ID": run_id},
)
call("param logged by the child", lambda: mlflow.get_run(run_id).data.params.get("from"))
