"""search_runs over datasets: name, digest and context with every comparator, and the errors."""

import time

from _parity import call, mlflow

exp = mlflow.set_experiment("with datasets").experiment_id
client = mlflow.MlflowClient()
Dataset = mlflow.entities.Dataset
DatasetInput = mlflow.entities.DatasetInput
InputTag = mlflow.entities.InputTag


def dataset(name, digest):
    return Dataset(name, digest, "local", '{"uri": "d.csv"}', None, '{"num_rows": 1}')


RUNS = [
    # run name, [(dataset name, digest, context or None)]
    ("alpha", [("iris", "aaaa1111", "train"), ("iris-test", "bbbb2222", "test")]),
    ("beta", [("Wine", "cccc3333", "Train")]),
    ("gamma", [("iris", "aaaa1111", None)]),
    ("delta", []),
]
for run_name, inputs in RUNS:
    run = client.create_run(exp, run_name=run_name)
    client.log_inputs(
        run.info.run_id,
        [
            DatasetInput(
                dataset(name, digest),
                [InputTag("mlflow.data.context", context)] if context else [],
            )
            for name, digest, context in inputs
        ],
    )
    time.sleep(0.005)  # distinct start times


def names(filter_string):
    runs = mlflow.search_runs([exp], filter_string, output_format="list")
    return sorted(r.info.run_name for r in runs)


FILTERS = [
    "datasets.name = 'iris'",
    "dataset.name = 'iris'",
    "datasets.name != 'iris'",
    "datasets.name LIKE 'iris%'",
    "datasets.name LIKE 'IRIS%'",
    "datasets.name ILIKE 'IRIS%'",
    "datasets.name IN ('Wine', 'iris-test')",
    "datasets.name NOT IN ('iris')",
    "datasets.digest = 'aaaa1111'",
    "datasets.digest LIKE 'c%'",
    "datasets.digest IN ('bbbb2222')",
    "datasets.context = 'train'",
    "datasets.context ILIKE 'train'",
    "datasets.context != 'train'",
    "datasets.context IN ('test', 'Train')",
    "datasets.context NOT IN ('train')",
    "datasets.`name` = 'iris'",
    'datasets."name" = "Wine"',
    "datasets.name = 'iris' AND datasets.context = 'test'",
    "datasets.name = 'iris' AND datasets.digest = 'aaaa1111' AND attributes.run_name != 'gamma'",
    "datasets.name = 'nope'",
]
for filter_string in FILTERS:
    call(f"filter {filter_string!r}", lambda f=filter_string: names(f))
call(
    "frame",
    lambda: sorted(mlflow.search_runs([exp], "datasets.context = 'train'")["tags.mlflow.runName"]),
)

ERRORS = [
    "datasets.foo = 'x'",
    "datasets.name IS NULL",
    "datasets.name > 'a'",
    "datasets.name = 1",
    "datasets.name = iris",
    "datasets.name IN ()",
    "datasets.name IN (1, 2)",
    "datasets.context < 'x'",
]
for filter_string in ERRORS:
    call(f"error {filter_string!r}", lambda f=filter_string: names(f))
call("order by datasets", lambda: mlflow.search_runs([exp], order_by=["datasets.name"]))
