"""Reads everything back through the public API and records it (for test_interop)."""

from _parity import call, mlflow, record

client = mlflow.MlflowClient()
ALL = mlflow.entities.ViewType.ALL

experiments = sorted(mlflow.search_experiments(view_type=ALL), key=lambda e: e.experiment_id)
record("experiments", experiments)
for experiment in experiments:
    eid = experiment.experiment_id
    runs = client.search_runs([eid], run_view_type=ALL, max_results=1000)
    record(f"exp {eid}: run order", [run.info.run_name for run in runs])
    call(f"exp {eid}: active frame", lambda eid=eid: mlflow.search_runs([eid]))
    for run in sorted(runs, key=lambda run: run.info.run_name):
        name = run.info.run_name
        record(f"{name}: search_runs entry", run)
        record(f"{name}: get_run", mlflow.get_run(run.info.run_id))
        for key in sorted(run.data.metrics):
            history = client.get_metric_history(run.info.run_id, key)
            record(f"{name}: history {key}", [(m.step, m.timestamp, m.value) for m in history])
        call(
            f"{name}: parent",
            lambda run=run: getattr(mlflow.get_parent_run(run.info.run_id), "info", None),
        )
