"""System metrics: the switches and their variables, the metric names, units and steps, resumed
runs, node ids, and that sampling stops with the run.

How many steps a run gets depends on timing, so the script waits (polling the store) until a
run has the steps it needs and records facts about them, not their count."""

import os
import time

import psutil

from _parity import call, mlflow, record

ENV = (
    "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING",
    "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL",
    "MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING",
    "MLFLOW_SYSTEM_METRICS_NODE_ID",
)
CPU = "system/cpu_utilization_percentage"


def env() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in ENV}


call("enable", mlflow.enable_system_metrics_logging)
record("after enable", env())
call("disable", mlflow.disable_system_metrics_logging)
record("after disable", env())
call("interval", lambda: mlflow.set_system_metrics_sampling_interval(0.5))
call("samples", lambda: mlflow.set_system_metrics_samples_before_logging(3))
call("node id", lambda: mlflow.set_system_metrics_node_id("node_0"))
record("after setters", env())
for setter in (
    mlflow.set_system_metrics_sampling_interval,
    mlflow.set_system_metrics_samples_before_logging,
    mlflow.set_system_metrics_node_id,
):
    setter(None)
record("after unsetting", env())

client = mlflow.MlflowClient()


def steps(run_id: str, key: str = CPU) -> list[int]:
    return sorted(m.step for m in client.get_metric_history(run_id, key))


def wait_for_steps(run_id: str, count: int, key: str = CPU) -> None:
    deadline = time.monotonic() + 120
    while len(steps(run_id, key)) < count and time.monotonic() < deadline:
        time.sleep(0.05)


mlflow.set_system_metrics_sampling_interval(0.05)
mlflow.set_system_metrics_samples_before_logging(2)
with mlflow.start_run(log_system_metrics=True) as run:
    run_id = run.info.run_id
    with mlflow.start_run(nested=True, log_system_metrics=False) as quiet:
        pass
    wait_for_steps(run_id, 3)
metrics = client.get_run(run_id).data.metrics
record("names", sorted(metrics))
histories = {key: steps(run_id, key) for key in metrics}
first = histories[CPU]
record("steps start at 0 and follow each other", first == list(range(len(first))))
record("every metric has the same steps", all(h == first for h in histories.values()))
record(
    "a run with log_system_metrics=False has none", client.get_run(quiet.info.run_id).data.metrics
)
memory = psutil.virtual_memory()
disk = psutil.disk_usage(os.sep)
record(
    "units",
    {
        "percentages within 0-100": all(
            0 <= value <= 100 for key, value in metrics.items() if key.endswith("_percentage")
        ),
        "memory in MB": abs(metrics["system/system_memory_usage_megabytes"] - memory.used / 1e6)
        < memory.total / 1e6 * 0.1,
        "disk used in MB": abs(metrics["system/disk_usage_megabytes"] - disk.used / 1e6) < 1000,
        "disk available in MB": abs(metrics["system/disk_available_megabytes"] - disk.free / 1e6)
        < 1000,
        "disk percent": abs(metrics["system/disk_usage_percentage"] - disk.percent) < 1,
        "network counted from the start": all(
            0 <= metrics[k] < 1000
            for k in ("system/network_receive_megabytes", "system/network_transmit_megabytes")
        ),
        "values rounded to one decimal": all(
            round(v, 1) == v for k, v in metrics.items() if "network" not in k
        ),
    },
)

# Sampling stops with the run: while another run gets three more steps, the ended one gets none.
ended_steps = steps(run_id)
with mlflow.start_run(log_system_metrics=True) as clock:
    wait_for_steps(clock.info.run_id, 3)
record("no step after the run ended", steps(run_id) == ended_steps)

# A resumed run continues after its last system step.
with mlflow.start_run(run_id=run_id, log_system_metrics=True):
    wait_for_steps(run_id, len(ended_steps) + 2)
resumed = steps(run_id)
record(
    "resumed steps continue",
    resumed[: len(ended_steps)] == ended_steps
    and resumed[len(ended_steps)] == ended_steps[-1] + 1
    and resumed == list(range(len(resumed))),
)

# The variable turns it on for runs that do not say; node ids go into the names.
os.environ["MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING"] = "true"
mlflow.set_system_metrics_node_id("node_0")
with mlflow.start_run() as by_env:
    wait_for_steps(by_env.info.run_id, 1, key="system/node_0/cpu_utilization_percentage")
record("names with a node id", sorted(client.get_run(by_env.info.run_id).data.metrics))
os.environ["MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING"] = "maybe"
call("a bad variable", lambda: mlflow.start_run().info.status)
mlflow.end_run()
