"""search_runs without filters: the DataFrame and list shapes, view types, default order.

Filters and order_by belong to the search suite; this covers what reading runs back needs.
"""

import time

from _parity import call, mlflow

exp = mlflow.set_experiment("searched").experiment_id
client = mlflow.MlflowClient()
call("empty experiment frame", lambda: mlflow.search_runs([exp]))

for index, (acc, opt) in enumerate([(0.9, "adam"), (float("nan"), None), (None, "sgd")]):
    with mlflow.start_run(run_name=f"run{index}") as run:
        if acc is not None:
            mlflow.log_metric("acc", acc, step=1, timestamp=10)
        if opt is not None:
            mlflow.log_param("opt", opt)
        mlflow.set_tag("my tag", f"v{index}")
    client.set_terminated(run.info.run_id, end_time=2000 + index)
    client.update_run(run.info.run_id, status="FINISHED")
    time.sleep(0.005)  # distinct start times: ties would be ordered by the random run ids
deleted = client.create_run(exp, start_time=1, run_name="deleted").info.run_id
mlflow.delete_run(deleted)

call("frame", lambda: mlflow.search_runs([exp]))
call("frame by default experiment", lambda: mlflow.search_runs().shape)
call("frame ALL", lambda: list(mlflow.search_runs([exp], run_view_type=3)["tags.mlflow.runName"]))
call(
    "frame DELETED_ONLY",
    lambda: list(mlflow.search_runs([exp], run_view_type=2)["tags.mlflow.runName"]),
)
call(
    "frame max_results=1",
    lambda: list(mlflow.search_runs([exp], max_results=1)["tags.mlflow.runName"]),
)
call("list output", lambda: mlflow.search_runs([exp], output_format="list"))
call("int experiment id", lambda: len(mlflow.search_runs([int(exp)], output_format="list")))
call(
    "experiment_names",
    lambda: len(mlflow.search_runs(experiment_names=["searched"], output_format="list")),
)
call(
    "unknown experiment name",
    lambda: len(mlflow.search_runs(experiment_names=["nope"], output_format="list")),
)
call("ids and names", lambda: mlflow.search_runs([exp], experiment_names=["searched"]))
call("unknown experiment id", lambda: mlflow.search_runs(["999"]).shape)
call("bad output_format", lambda: mlflow.search_runs([exp], output_format="json"))
call(
    "search_all_experiments",
    lambda: len(mlflow.search_runs(search_all_experiments=True, output_format="list")),
)
call(
    "empty filter string",
    lambda: len(mlflow.search_runs([exp], filter_string="", output_format="list")),
)

# Only running runs: end_time is all None.
running = mlflow.create_experiment("running-only")
client.create_run(running, start_time=5, run_name="still-running")
call("frame of running runs", lambda: mlflow.search_runs([running]))

# Running and finished runs together: end_time mixes None and timestamps.
finished = client.create_run(running, start_time=6, run_name="finished")
client.set_terminated(finished.info.run_id, end_time=9)
call("frame of running and finished runs", lambda: mlflow.search_runs([running]))
