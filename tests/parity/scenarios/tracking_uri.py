# parity: fresh-db
"""Tracking URI resolution: default, env var, set_tracking_uri, file-store refusal, lazy files."""

import os
import pathlib

from _parity import call, mlflow, no_message, record, run_child

record("db exists before any call", os.path.exists("mlflow.db"))
call("get_tracking_uri default", mlflow.get_tracking_uri)
call("is_tracking_uri_set default", mlflow.is_tracking_uri_set)
call("get_registry_uri default", mlflow.get_registry_uri)
record("db exists after get_tracking_uri", os.path.exists("mlflow.db"))

call("search_experiments opens the store", lambda: len(mlflow.search_experiments()))
record("db exists after first store call", os.path.exists("mlflow.db"))
record("mlruns exists after first store call", os.path.exists("mlruns"))
with mlflow.start_run():
    mlflow.log_param("p", 1)
    mlflow.log_metric("m", 1.0)
record("mlruns exists after params and metrics", os.path.exists("mlruns"))

# The default follows the working directory.
os.mkdir("sub")
os.chdir("sub")
call("get_tracking_uri after chdir", mlflow.get_tracking_uri)
with mlflow.start_run() as run:
    pass
record("run artifact_uri after chdir", run.info.artifact_uri)
os.chdir("..")
record("sub/mlflow.db created", os.path.exists("sub/mlflow.db"))
call("get_tracking_uri back", mlflow.get_tracking_uri)
call("the run is not in the first db", lambda: mlflow.get_run(run.info.run_id))

# The env var is read on every call until set_tracking_uri is called.
os.environ["MLFLOW_TRACKING_URI"] = "sqlite:///other.db"
call("get_tracking_uri from env (verbatim)", mlflow.get_tracking_uri)
call("is_tracking_uri_set from env", mlflow.is_tracking_uri_set)
del os.environ["MLFLOW_TRACKING_URI"]
call("get_tracking_uri after env removed", mlflow.get_tracking_uri)
call("is_tracking_uri_set after env removed", mlflow.is_tracking_uri_set)

call("set_tracking_uri relative sqlite", lambda: mlflow.set_tracking_uri("sqlite:///second.db"))
call("get_tracking_uri after set", mlflow.get_tracking_uri)
call("is_tracking_uri_set after set", mlflow.is_tracking_uri_set)
record("set_tracking_uri exports env", os.environ.get("MLFLOW_TRACKING_URI"))
os.environ["MLFLOW_TRACKING_URI"] = "sqlite:///ignored.db"
call("set_tracking_uri beats env", mlflow.get_tracking_uri)
call("experiment in second db", lambda: mlflow.create_experiment("in-second"))
record("second.db exists", os.path.exists("second.db"))
record("ignored.db exists", os.path.exists("ignored.db"))

absolute = f"sqlite:///{os.getcwd()}/third.db"
call("set_tracking_uri absolute sqlite", lambda: mlflow.set_tracking_uri(absolute))
call("get_tracking_uri absolute", mlflow.get_tracking_uri)
call("third db has only Default", lambda: [e.name for e in mlflow.search_experiments()])

# The file store is in maintenance mode: any store call raises. mlrs may word the message
# differently, so only the exception type and error code are compared.
call("set_tracking_uri file:", lambda: mlflow.set_tracking_uri("file:./mlruns-legacy"))
call("get_tracking_uri file:", mlflow.get_tracking_uri)
call("store call under file:", mlflow.search_experiments, msg=no_message)
call("start_run under file:", mlflow.start_run, msg=no_message)
call("set_tracking_uri plain path", lambda: mlflow.set_tracking_uri("plain-dir"))
call("get_tracking_uri plain path", mlflow.get_tracking_uri)
call("store call under plain path", mlflow.search_experiments, msg=no_message)
call("set_tracking_uri pathlib.Path", lambda: mlflow.set_tracking_uri(pathlib.Path("pdir")))
call("get_tracking_uri pathlib.Path", mlflow.get_tracking_uri)

call("set_tracking_uri None", lambda: mlflow.set_tracking_uri(None))
record("env after set_tracking_uri None", os.environ.get("MLFLOW_TRACKING_URI"))
call("get_tracking_uri after None", mlflow.get_tracking_uri)
call("is_tracking_uri_set after None", mlflow.is_tracking_uri_set)

# A user who exports the env var before starting the program.
run_child(
    "child_env_uri",
    """
from _parity import call, mlflow
call("get_tracking_uri", mlflow.get_tracking_uri)
call("is_tracking_uri_set", mlflow.is_tracking_uri_set)
with mlflow.start_run() as run:
    mlflow.log_param("where", "env")
call("experiment", lambda: mlflow.get_experiment(run.info.experiment_id))
""",
    env={"MLFLOW_TRACKING_URI": "sqlite:///from-env.db"},
)
record("from-env.db exists", os.path.exists("from-env.db"))

# A legacy file store in ./mlruns makes it the default, and the file store refuses to work.
os.makedirs("legacy/mlruns/0")
with open("legacy/mlruns/0/meta.yaml", "w") as meta:
    meta.write("experiment_id: '0'\nname: Default\nlifecycle_stage: active\n")
run_child(
    "child_legacy_mlruns",
    """
import os
os.chdir("legacy")
from _parity import call, mlflow, no_message
call("get_tracking_uri", mlflow.get_tracking_uri)
call("is_tracking_uri_set", mlflow.is_tracking_uri_set)
call("store call", mlflow.search_experiments, msg=no_message)
""",
)
record("mlflow.db created in the legacy dir", os.path.exists("legacy/mlflow.db"))
