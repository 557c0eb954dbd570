"""search_runs filter strings: every entity type, comparator and quoting, and the errors."""

import time

from _parity import call, mlflow, until

exp = mlflow.set_experiment("filtered").experiment_id
client = mlflow.MlflowClient()

RUNS = [
    # name, metrics, params, tags
    ("alpha", {"acc": 0.9, "loss": 0.3}, {"opt": "adam", "lr": "0.1"}, {"team": "Red", "a.b": "x"}),
    ("beta", {"acc": 0.8, "loss": float("nan")}, {"opt": "SGD"}, {"team": "blue"}),
    ("gamma", {"acc": 0.95}, {"opt": "adamw", "lr": "0.01"}, {"my tag": "v 1"}),
    ("Delta", {"loss": float("inf")}, {}, {"team": "red%"}),
]
for name, metrics, params, tags in RUNS:
    with mlflow.start_run(run_name=name) as run:
        for key, value in metrics.items():
            mlflow.log_metric(key, -1.0, step=0, timestamp=5)  # older value: filters see the latest
            mlflow.log_metric(key, value, step=1, timestamp=10)
        mlflow.log_params(params)
        mlflow.set_tags(tags)
    time.sleep(0.005)  # distinct start times: ties would be ordered by the random run ids
deleted = client.create_run(exp, run_name="gone")
client.log_metric(deleted.info.run_id, "acc", 0.99)
client.delete_run(deleted.info.run_id)
alpha = mlflow.search_runs([exp], "tags.mlflow.runName = 'alpha'", output_format="list")[0]


def names(filter_string, **kwargs):
    runs = mlflow.search_runs([exp], filter_string, output_format="list", **kwargs)
    return [r.info.run_name for r in runs]


FILTERS = [
    "metrics.acc > 0.85",
    "metric.acc >= 0.9",
    "metrics.acc < 0.9",
    "metrics.acc <= 0.9",
    "metrics.acc = 0.8",
    "metrics.acc != 0.8",
    "metrics.acc > -1",
    "metrics.acc > 1e-3",
    "metrics.loss != 0.3",
    "metrics.loss = 0",
    "metrics.loss >= 0",
    "metrics.loss > 100",
    "metrics.`acc` > 0.1",
    'metrics."acc" > 0.1',
    "`metrics`.acc > 0.1",
    "metrics.acc > 0.85 and metrics.acc < 0.92",
    "metrics.acc > 0.85 AND params.opt = 'adam'",
    "params.opt = 'adam'",
    'param.opt = "adam"',
    "parameters.opt != 'adam'",
    "parameter.opt LIKE 'adam%'",
    "params.opt LIKE 'ADAM%'",
    "params.opt ILIKE 'ADAM%'",
    "params.opt ILIKE '%g%'",
    "params.lr IS NULL",
    "params.lr IS NOT NULL",
    "params.lr is not null",
    "params.lr = '0.1'",
    "tags.team = 'red'",
    "tags.team ILIKE 'red'",
    "tags.team LIKE 'red%'",
    "tags.team ILIKE 'red_'",
    "tag.team != 'blue'",
    "tags.`my tag` = 'v 1'",
    "tags.\"my tag\" LIKE 'v%'",
    "tags.a.b = 'x'",
    "tags.`a.b` = 'x'",
    "tags.mlflow.runName = 'beta'",
    "tags.team IS NULL",
    "tags.nope IS NOT NULL",
    "attributes.run_name = 'gamma'",
    "attribute.run_name LIKE '%a'",
    "attr.run_name ILIKE 'd%'",
    "run.run_name != 'alpha'",
    "run_name = 'alpha'",
    "`Run name` = 'alpha'",
    "`run name` = 'beta'",
    "`Run Name` LIKE 'g%'",
    "attributes.status = 'FINISHED'",
    "status != 'RUNNING'",
    "attributes.user_id LIKE '%'",
    "attributes.artifact_uri LIKE '%artifacts'",
    "attributes.start_time > 0",
    "start_time >= 1",
    "attributes.end_time > 0",
    "created > 0",
    "Created < 1",
    "attributes.end_time = 0",
    "start_time != 5",
    f"attributes.run_id = '{alpha.info.run_id}'",
    f"run_id IN ('{alpha.info.run_id}', 'x')",
    f"attributes.run_id NOT IN ('{alpha.info.run_id}')",
    f"attributes.run_id not in ('{alpha.info.run_id}')",
    "metrics.nope > 0",
    "params.nope = 'x'",
    "  metrics.acc>0.85  ",
]
for filter_string in FILTERS:
    call(f"filter {filter_string!r}", lambda f=filter_string: names(f))

call("filter ALL view", lambda: names("metrics.acc > 0.85", run_view_type=3))
call("filter DELETED view", lambda: names("metrics.acc > 0.85", run_view_type=2))
call(
    "client filter",
    lambda: [
        r.info.run_name for r in client.search_runs([exp], "params.opt LIKE 'adam%'", max_results=1)
    ],
)
call(
    "client filter page 2",
    lambda: [
        r.info.run_name
        for r in client.search_runs(
            [exp],
            "params.opt LIKE 'adam%'",
            max_results=1,
            page_token=client.search_runs([exp], "params.opt LIKE 'adam%'", max_results=1).token,
        )
    ],
)
call(
    "filter frame", lambda: mlflow.search_runs([exp], "metrics.acc > 0.85")["metrics.acc"].tolist()
)

ERRORS = [
    "metrics.acc > '0.9'",
    "metrics.acc LIKE 0.9",
    "metrics.acc IS NULL",
    "metrics.acc = abc",
    "params.opt = 1",
    "params.opt > 'a'",
    "params.opt IN ('a')",
    "tags.team = 1",
    "tags.team < 'a'",
    "attributes.run_name IN ('alpha')",
    "attributes.run_name > 'a'",
    "attributes.run_name = 1",
    "attributes.start_time = 'a'",
    "attributes.start_time LIKE 1",
    "attributes.end_time IN (1)",
    "attributes.experiment_id = '0'",
    "lifecycle_stage = 'active'",
    "attributes.nope = 'a'",
    "foo.bar = 'a'",
    "metrics.acc > 0.1 OR metrics.acc < 0.5",
    "metrics.acc > 0.1;",
    "metrics.acc > 0.1; metrics.acc < 0.5",
    "metrics.acc",
    "metrics.acc >",
    "metrics.acc > 0.1 AND",
    "run_id IN ()",
    "run_id IN (1, 2)",
    "status IS NULL",
    "datasets.name = 'x'",
    "dataset.nope = 'x'",
]
for filter_string in ERRORS:
    call(f"error {filter_string!r}", lambda f=filter_string: names(f))

# sqlparse names malformed text in its own way; the start of the message is the contract.
for filter_string in ["(metrics.acc > 0.1)", "tags.team = 'unterminated"]:
    call(
        f"error {filter_string!r}",
        lambda f=filter_string: names(f),
        msg=until("Invalid clause(s) in filter string"),
    )
