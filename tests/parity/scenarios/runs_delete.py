"""delete_run / restore_run, and logging to deleted and to finished runs."""

from _parity import call, mlflow, record

client = mlflow.MlflowClient()
with mlflow.start_run(run_name="victim") as run:
    mlflow.log_param("p", 1)
run_id = run.info.run_id


def state():
    info = mlflow.get_run(run_id).info
    return [info.lifecycle_stage, info.status, info.end_time is not None]


call("delete_run", lambda: mlflow.delete_run(run_id))
call("state after delete", state)
call("delete twice", lambda: mlflow.delete_run(run_id))
call("get_run of deleted run still works", lambda: mlflow.get_run(run_id).data.params)
call("client search_runs hides it", lambda: len(client.search_runs(["0"])))
call("client search_runs DELETED_ONLY", lambda: len(client.search_runs(["0"], run_view_type=2)))

call("log_param to deleted", lambda: client.log_param(run_id, "q", 1))
call("log_metric to deleted", lambda: client.log_metric(run_id, "m", 1.0))
call("set_tag to deleted", lambda: client.set_tag(run_id, "t", "v"))
call("delete_tag on deleted", lambda: client.delete_tag(run_id, "mlflow.runName"))
call(
    "log_batch to deleted",
    lambda: client.log_batch(run_id, params=[mlflow.entities.Param("q", "1")]),
)
call("set_terminated on deleted", lambda: client.set_terminated(run_id, "KILLED"))
call("update_run on deleted", lambda: client.update_run(run_id, name="x"))
call("state after attempts", state)
call("get_metric_history of deleted run", lambda: client.get_metric_history(run_id, "m"))

with mlflow.start_run():
    call(
        "fluent log_metric with run_id of a deleted run",
        lambda: mlflow.log_metric("m", 1.0, run_id=run_id),
    )
    call(
        "fluent log_params with run_id of a deleted run",
        lambda: mlflow.log_params({"a": 1}, run_id=run_id),
    )

call("restore_run", lambda: mlflow.restore_run(run_id))
call("state after restore", state)
call("restore twice", lambda: mlflow.restore_run(run_id))
call("log after restore", lambda: client.log_param(run_id, "q", 1))

# Logging to a FINISHED run is allowed; only the lifecycle stage is checked.
call("log_param to finished", lambda: client.log_param(run_id, "late", "yes"))
call("log_metric to finished", lambda: client.log_metric(run_id, "late", 1.0))
call("set_tag to finished", lambda: client.set_tag(run_id, "late", "yes"))
call("finished run data", lambda: mlflow.get_run(run_id).data.params)
call("status unchanged", state)

call("delete unknown run", lambda: mlflow.delete_run("0" * 32))
call("restore unknown run", lambda: mlflow.restore_run("0" * 32))
call("delete malformed id", lambda: mlflow.delete_run("../x"))
call("client delete_run", lambda: client.delete_run(run_id))
call("client restore_run", lambda: client.restore_run(run_id))


def delete_inside_with():
    with mlflow.start_run() as active:
        delete_inside_with.run_id = active.info.run_id
        call("delete the active run", lambda: mlflow.delete_run(active.info.run_id))
        call("log to the deleted active run", lambda: mlflow.log_param("x", 1))
        call("active_run still set", lambda: mlflow.active_run() is not None)


# Leaving the block cannot end the deleted run: __exit__ raises.
call("with block around a deleted run", delete_inside_with)
call("active after that with", mlflow.active_run)
record("deleted active run after with", mlflow.get_run(delete_inside_with.run_id).info.status)
