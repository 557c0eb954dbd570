"""Which experiment a new run goes to: argument, set_experiment, MLFLOW_EXPERIMENT_NAME/_ID.

mlflow reads both variables on every call, so most cases change os.environ between calls; one
child process checks the usual case of a variable exported before the program starts.
"""

import os

from _parity import call, mlflow, record, run_child

client = mlflow.MlflowClient()
existing = mlflow.create_experiment("existing")
gone = mlflow.create_experiment("gone")
mlflow.delete_experiment(gone)


def run_in(label: str, **kwargs) -> None:
    """Start and end a run, recording the experiment it landed in (or the error)."""

    def start():
        with mlflow.start_run(**kwargs) as run:
            return run.info.experiment_id

    call(label, start)


run_in("nothing set -> 0")
run_in("experiment_id argument as str", experiment_id=existing)
run_in("experiment_id argument as int", experiment_id=int(existing))
run_in("unknown experiment_id argument", experiment_id="999")
run_in("float experiment_id argument", experiment_id=1.5)
run_in("non-numeric experiment_id argument", experiment_id="abc")

os.environ["MLFLOW_EXPERIMENT_ID"] = existing
run_in("MLFLOW_EXPERIMENT_ID")
run_in("argument beats env", experiment_id="0")
os.environ["MLFLOW_EXPERIMENT_ID"] = "999"
run_in("MLFLOW_EXPERIMENT_ID unknown")
os.environ["MLFLOW_EXPERIMENT_ID"] = "abc"
run_in("MLFLOW_EXPERIMENT_ID not a number")
del os.environ["MLFLOW_EXPERIMENT_ID"]

os.environ["MLFLOW_EXPERIMENT_NAME"] = "from-env"
run_in("MLFLOW_EXPERIMENT_NAME creates")
call("created by env", lambda: mlflow.get_experiment_by_name("from-env"))
run_in("MLFLOW_EXPERIMENT_NAME again")
os.environ["MLFLOW_EXPERIMENT_ID"] = mlflow.get_experiment_by_name("from-env").experiment_id
run_in("name and matching id")
os.environ["MLFLOW_EXPERIMENT_ID"] = "0"
run_in("name and mismatching id")
os.environ["MLFLOW_EXPERIMENT_NAME"] = "existing"
os.environ["MLFLOW_EXPERIMENT_ID"] = "999"
run_in("existing name, unknown id")
del os.environ["MLFLOW_EXPERIMENT_ID"]
os.environ["MLFLOW_EXPERIMENT_NAME"] = "gone"
run_in("MLFLOW_EXPERIMENT_NAME of a deleted experiment")
call("experiment tag goes to the env experiment", lambda: mlflow.set_experiment_tag("t", "v"))
del os.environ["MLFLOW_EXPERIMENT_NAME"]

# An active experiment beats bad env values and is process-wide.
os.environ["MLFLOW_EXPERIMENT_ID"] = "999"
os.environ["MLFLOW_EXPERIMENT_NAME"] = "another-env-name"
call("set_experiment", lambda: mlflow.set_experiment("active").experiment_id)
record("env id overwritten by set_experiment", os.environ.get("MLFLOW_EXPERIMENT_ID"))
record("env name untouched", os.environ.get("MLFLOW_EXPERIMENT_NAME"))
run_in("active experiment beats env")
call("another-env-name not created", lambda: mlflow.get_experiment_by_name("another-env-name"))
call("set_experiment_tag goes to active", lambda: mlflow.set_experiment_tag("t", "active"))
call("active tags", lambda: mlflow.get_experiment_by_name("active").tags)
del os.environ["MLFLOW_EXPERIMENT_ID"]
del os.environ["MLFLOW_EXPERIMENT_NAME"]

child = """
import os
from _parity import call, mlflow, record
with mlflow.start_run() as run:
    record("experiment", mlflow.get_experiment(run.info.experiment_id).name)
record("env name still set", os.environ.get("MLFLOW_EXPERIMENT_NAME"))
record("env id", os.environ.get("MLFLOW_EXPERIMENT_ID"))
"""
run_child("child_env_name", child, env={"MLFLOW_EXPERIMENT_NAME": "exported"})
run_child("child_env_id", child, env={"MLFLOW_EXPERIMENT_ID": existing})
