"""search_runs order_by: metrics (NaN and missing last), params, tags, attributes, aliases,
tiebreaks, and the order_by errors."""

import time

from _parity import call, mlflow

exp = mlflow.set_experiment("ordered").experiment_id
RUNS = [
    ("alpha", {"acc": 0.9}, {"opt": "b"}, {"t": "Delta"}),
    ("beta", {"acc": 0.8}, {"opt": "a"}, {}),
    ("gamma", {"acc": 0.95}, {}, {"t": "alpha"}),
    ("delta", {"acc": float("nan")}, {"opt": "c"}, {"t": "beta"}),
    ("eps", {}, {}, {}),
    ("zeta", {"acc": float("-inf")}, {"opt": "a"}, {}),
]
for name, metrics, params, tags in RUNS:
    with mlflow.start_run(run_name=name):
        mlflow.log_metrics(metrics)
        mlflow.log_params(params)
        mlflow.set_tags(tags)
    time.sleep(0.005)  # distinct start times: ties would be ordered by the random run ids


def names(order_by, filter_string=""):
    runs = mlflow.search_runs([exp], filter_string, order_by=order_by, output_format="list")
    return [r.info.run_name for r in runs]


ORDERS = [
    [],
    ["metrics.acc"],
    ["metrics.acc DESC"],
    ["metric.acc asc"],
    ["metrics.`acc` DESC"],
    ["params.opt"],
    ["params.opt DESC"],
    ["tags.t"],
    ["tags.t DESC"],
    ["params.opt", "metrics.acc DESC"],
    ["start_time"],
    ["attributes.start_time ASC"],
    ["created DESC"],
    ["run_name"],
    ["attributes.run_name DESC"],
    ["end_time DESC"],
    ["status", "run_name DESC"],
]
for order_by in ORDERS:
    call(f"order {order_by!r}", lambda o=order_by: names(o))
call("order with filter", lambda: names(["metrics.acc DESC"], "params.opt != 'c'"))

client = mlflow.MlflowClient()
first = client.search_runs([exp], order_by=["metrics.acc DESC"], max_results=2)
call("page 1", lambda: [r.info.run_name for r in first])
call(
    "page 2",
    lambda: [
        r.info.run_name
        for r in client.search_runs(
            [exp], order_by=["metrics.acc DESC"], max_results=2, page_token=first.token
        )
    ],
)

ERRORS = [
    ["metrics.acc sideways"],
    ["experiment_id"],
    ["`Run name`"],
    ["foo.bar"],
    ["datasets.name"],
    ["metrics.acc", "metrics.acc DESC"],
    ["start_time", "created"],
    ["params.opt", "params.opt"],
]
for order_by in ERRORS:
    call(f"error {order_by!r}", lambda o=order_by: names(o))
