"""Logs a tiny sklearn model with real mlflow, in a child process, into ./mlflow.db.

Both sides of a registry scenario register what real mlflow logged, so the LoggedModel rows
they read are mlflow's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

_CODE = """
import json, warnings
warnings.simplefilter("ignore")
import mlflow
import numpy as np
from sklearn.linear_model import LinearRegression
mlflow.set_tracking_uri("sqlite:///mlflow.db")
mlflow.set_experiment(EXPERIMENT)
X = np.arange(8, dtype=float).reshape(-1, 1)
runs = []
for name, count in SPECS:
    with mlflow.start_run() as run:
        ids = [
            mlflow.sklearn.log_model(LinearRegression().fit(X, 2 * X[:, 0] + i), name=name).model_id
            for i in range(count)
        ]
    runs.append({"run_id": run.info.run_id, "model_ids": ids})
print("@@model " + json.dumps(runs))
"""


def log_models(experiment: str, specs: list[tuple[str, int]]) -> list[dict]:
    """For each (name, count), one run that logs `count` models called `name`; returns each
    run's run_id and model_ids (in logging order)."""
    code = _CODE.replace("EXPERIMENT", repr(experiment)).replace("SPECS", repr(specs))
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("@@model "):
            return json.loads(line[len("@@model ") :])
    raise RuntimeError(f"mlflow could not log a model:\n{done.stderr[-3000:]}")
