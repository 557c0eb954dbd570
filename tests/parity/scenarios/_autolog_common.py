"""What autolog scenarios record of a run: params, metric names with their steps, and tags,
leaving out what differs between runs by nature (timings, ids, user and source tags)."""

from typing import Any

from _parity import mlflow, record

VOLATILE_METRICS = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")
KEPT_TAGS = ("mlflow.autologging", "estimator_name", "estimator_class", "team")


def runs() -> list[Any]:
    """Every run, parents before their children, children by rank (as logged: best first)."""
    found = mlflow.search_runs(search_all_experiments=True, output_format="list")
    return sorted(
        found,
        key=lambda r: (
            r.info.start_time,
            "mlflow.parentRunId" in r.data.tags,
            r.data.metrics.get("rank_test_score", 0),
        ),
    )


def record_runs(label: str) -> None:
    client = mlflow.MlflowClient()
    for i, run in enumerate(runs()):
        data = run.data
        record(f"{label} run {i} status", run.info.status)
        record(f"{label} run {i} is child", "mlflow.parentRunId" in data.tags)
        record(f"{label} run {i} params", dict(sorted(data.params.items())))
        record(
            f"{label} run {i} tags",
            {k: v for k, v in sorted(data.tags.items()) if k in KEPT_TAGS},
        )
        steps = {}
        for key in sorted(data.metrics):
            if key in VOLATILE_METRICS:
                continue
            history = client.get_metric_history(run.info.run_id, key)
            steps[key] = [(m.step, round(m.value, 6)) for m in history]
        record(f"{label} run {i} metrics", steps)
