"""Reads every run's inputs and the dataset filters back (for test_interop_datasets)."""

import sqlite3

from _parity import call, mlflow, record

client = mlflow.MlflowClient()
experiments = sorted(mlflow.search_experiments(), key=lambda e: e.experiment_id)
for experiment in experiments:
    eid = experiment.experiment_id
    for run in sorted(client.search_runs([eid]), key=lambda r: r.info.run_name):
        name = run.info.run_name
        record(f"{name}: search_runs inputs", run.inputs.to_dictionary())
        record(f"{name}: get_run inputs", mlflow.get_run(run.info.run_id).inputs.to_dictionary())
        for d in run.inputs.dataset_inputs:
            call(
                f"{name}: source of {d.dataset.name}",
                lambda d=d: mlflow.data.get_source(d).to_dict(),
            )
    for f in [
        "datasets.name = 'table'",
        "datasets.context = 'training'",
        "datasets.context IN ('eval', 'test')",
        "datasets.digest LIKE '%'",
        "datasets.name != 'table'",
    ]:
        call(
            f"exp {experiment.name}: {f}",
            lambda f=f, eid=eid: sorted(
                r.info.run_name for r in mlflow.search_runs([eid], f, output_format="list")
            ),
        )
with sqlite3.connect("mlflow.db") as db:
    record("datasets rows", db.execute("SELECT count(*) FROM datasets").fetchone()[0])
    record("input rows", db.execute("SELECT count(*) FROM inputs").fetchone()[0])
    record("input tag rows", db.execute("SELECT count(*) FROM input_tags").fetchone()[0])
