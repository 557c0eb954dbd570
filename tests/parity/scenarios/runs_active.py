"""active_run / last_active_run snapshots, thread-locality, and implicit run starts."""

import threading

from _parity import call, mlflow, record

call("active_run with none", mlflow.active_run)
call("last_active_run with none", mlflow.last_active_run)

with mlflow.start_run(run_name="snap", tags={"t": "1"}) as run:
    mlflow.log_param("p", 1)
    mlflow.log_metric("m", 2.0)
    mlflow.set_tag("later", "x")
    call("active_run is a start-time snapshot", mlflow.active_run)
    call("active_run type", lambda: type(mlflow.active_run()).__name__)
    call("last_active_run while active has data", mlflow.last_active_run)
    call("last_active_run type while active", lambda: type(mlflow.last_active_run()).__name__)
call("last_active_run after end", mlflow.last_active_run)
call("last_active_run type after end", lambda: type(mlflow.last_active_run()).__name__)

# Thread-locality: another thread sees no active run and no last run, and its own runs are
# separate from this thread's stack.
seen = {}


def worker():
    seen["active"] = mlflow.active_run()
    seen["last"] = mlflow.last_active_run()
    with mlflow.start_run(run_name="in-thread") as thread_run:
        seen["thread active"] = mlflow.active_run().info.run_name
        seen["thread run id"] = thread_run.info.run_id
    seen["thread last"] = mlflow.last_active_run().info.run_name


with mlflow.start_run(run_name="main-thread"):
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    record("main still active", mlflow.active_run().info.run_name)
record("thread saw no active run", seen["active"])
record("thread saw no last run", seen["last"])
record("thread run active in thread", seen["thread active"])
record("thread last run", seen["thread last"])
call("main last_active_run", lambda: mlflow.last_active_run().info.run_name)
call("thread run finished", lambda: mlflow.get_run(seen["thread run id"]).info.status)

# Two threads logging into the same run by id.
with mlflow.start_run(run_name="shared") as shared:
    client = mlflow.MlflowClient()

    def log_many(prefix: str) -> None:
        for step in range(20):
            client.log_metric(shared.info.run_id, f"{prefix}", float(step), step=step)

    threads = [threading.Thread(target=log_many, args=(name,)) for name in ("a", "b")]
    for each in threads:
        each.start()
    for each in threads:
        each.join()
call("metrics from two threads", lambda: mlflow.get_run(shared.info.run_id).data.metrics)
call(
    "history lengths",
    lambda: [len(client.get_metric_history(shared.info.run_id, key)) for key in ("a", "b")],
)


# Implicit starts: each of these starts a run that stays active afterwards.
def implicit(label: str, fn) -> None:
    call(f"{label}: returns", fn)
    active = mlflow.active_run()
    record(f"{label}: started a run", active is not None)
    if active is not None:
        record(f"{label}: run name looks random", active.info.run_name)
        record(f"{label}: status", mlflow.get_run(active.info.run_id).info.status)
        mlflow.end_run()


implicit("log_param", lambda: mlflow.log_param("p", 1))
implicit("log_params", lambda: mlflow.log_params({"p": 1}))
implicit("log_metric", lambda: mlflow.log_metric("m", 1.0))
implicit("log_metrics", lambda: mlflow.log_metrics({"m": 1.0}))
implicit("set_tag", lambda: mlflow.set_tag("t", "v"))
implicit("set_tags", lambda: mlflow.set_tags({"t": "v"}))
implicit("delete_tag of missing key", lambda: mlflow.delete_tag("missing"))
implicit("set_experiment_tag does not", lambda: mlflow.set_experiment_tag("e", "v"))
implicit("log_param with bad key", lambda: mlflow.log_param("a,b", 1))

mlflow.set_experiment("implicit-exp")
implicit("log_param after set_experiment", lambda: mlflow.log_param("p", 1))
call("runs in implicit-exp", lambda: len(mlflow.MlflowClient().search_runs(["1"])))
