"""Deleting, restoring and renaming experiments, and what that does to their runs."""

from _parity import call, mlflow, no_message, record

client = mlflow.MlflowClient()
exp = mlflow.create_experiment("lifecycle")
runs = []
for name in ("a", "b", "c"):
    with mlflow.start_run(experiment_id=exp, run_name=name) as run:
        runs.append(run.info.run_id)
mlflow.delete_run(runs[2])  # deleted on its own before the experiment is


def states(label: str) -> None:
    experiment = mlflow.get_experiment(exp)
    record(f"{label}: experiment", experiment.lifecycle_stage)
    for run_id in runs:
        info = mlflow.get_run(run_id).info
        record(f"{label}: run {info.run_name}", [info.lifecycle_stage, info.status])


states("before")
before = mlflow.get_experiment(exp).last_update_time
call("delete_experiment", lambda: mlflow.delete_experiment(exp))
states("after delete")
record("last_update_time bumped", mlflow.get_experiment(exp).last_update_time >= before)
call("search_runs hides runs of a deleted experiment", lambda: len(client.search_runs([exp])))
call("delete twice", lambda: mlflow.delete_experiment(exp))
call("start_run in deleted experiment", lambda: mlflow.start_run(experiment_id=exp))
call("set_experiment deleted by name", lambda: mlflow.set_experiment("lifecycle"))
call("set_experiment deleted by id", lambda: mlflow.set_experiment(experiment_id=exp))
call("set_experiment_tag on deleted", lambda: client.set_experiment_tag(exp, "k", "v"))
call("rename deleted", lambda: client.rename_experiment(exp, "renamed"))
call("log to run of deleted experiment", lambda: client.log_param(runs[0], "p", "1"))

call("restore_experiment", lambda: mlflow.restore_experiment(exp))
states("after restore")
call("restore active", lambda: mlflow.restore_experiment(exp))
call("restore unknown", lambda: mlflow.restore_experiment("4242"))
call("delete unknown", lambda: mlflow.delete_experiment("4242"))
call("delete non-numeric id", lambda: mlflow.delete_experiment("abc"))

call("client rename", lambda: client.rename_experiment(exp, "renamed"))
call("old name gone", lambda: mlflow.get_experiment_by_name("lifecycle"))
call("new name", lambda: mlflow.get_experiment_by_name("renamed").experiment_id)
call("rename to same name", lambda: client.rename_experiment(exp, "renamed"))
other = mlflow.create_experiment("other")
# mlflow reports a taken name with the raw sqlite IntegrityError text: compare the code only.
call("rename to taken name", lambda: client.rename_experiment(exp, "other"), msg=no_message)
call("rename to empty", lambda: client.rename_experiment(exp, ""))
call("rename to None", lambda: client.rename_experiment(exp, None))
call("rename unknown", lambda: client.rename_experiment("4242", "x"))
call("names after renames", lambda: sorted(e.name for e in mlflow.search_experiments()))

call("client delete_experiment", lambda: client.delete_experiment(other))
call("client restore_experiment", lambda: client.restore_experiment(other))
call("experiment 0 can be deleted", lambda: mlflow.delete_experiment("0"))
call("default experiment state", lambda: mlflow.get_experiment("0").lifecycle_stage)
call("implicit run with experiment 0 deleted", lambda: mlflow.start_run())
call("restore experiment 0", lambda: mlflow.restore_experiment("0"))
