"""What a newcomer meets first: the modules users import by path (utils.mlflow_tags,
environment_variables, utils.time, tracking.fluent, tracking's registry URI), SQLite URIs with a
missing directory or two slashes, and the messages for empty model ids and trace ids."""

import importlib
import os

from _parity import call, mlflow, record, run_child

name = mlflow.__name__
tags = importlib.import_module(f"{name}.utils.mlflow_tags")
for constant in (
    "MLFLOW_RUN_NAME",
    "MLFLOW_PARENT_RUN_ID",
    "MLFLOW_USER",
    "MLFLOW_SOURCE_NAME",
    "MLFLOW_SOURCE_TYPE",
    "MLFLOW_GIT_COMMIT",
    "MLFLOW_GIT_BRANCH",
    "MLFLOW_GIT_REPO_URL",
    "MLFLOW_RUN_NOTE",
    "MLFLOW_LOGGED_MODELS",
    "MLFLOW_LOGGED_ARTIFACTS",
    "MLFLOW_LOGGED_IMAGES",
    "MLFLOW_AUTOLOGGING",
    "MLFLOW_DATASET_CONTEXT",
    "MLFLOW_MODEL_IS_EXTERNAL",
    "MLFLOW_ARTIFACT_LOCATION",
    "MLFLOW_DATABRICKS_NOTEBOOK_PATH",
    "MLFLOW_EXPERIMENT_SOURCE_TYPE",
):
    record(f"tag {constant}", getattr(tags, constant))

env = importlib.import_module(f"{name}.environment_variables")
variables = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_RUN_ID",
    "MLFLOW_ENABLE_ASYNC_LOGGING",
    "MLFLOW_CONFIGURE_LOGGING",
    "MLFLOW_LOGGING_LEVEL",
    "MLFLOW_TRUNCATE_LONG_VALUES",
    "MLFLOW_ALLOW_PICKLE_DESERIALIZATION",
    "MLFLOW_ALLOW_FILE_STORE",
)
for variable in variables:
    record(f"env {variable} unset", getattr(env, variable).get())
record("env name", env.MLFLOW_RUN_ID.name)
record("env defined", env.MLFLOW_RUN_ID.defined)
os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "TRUE"
record("env bool set", env.MLFLOW_ENABLE_ASYNC_LOGGING.get())
os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "maybe"
call("env bool bad", env.MLFLOW_ENABLE_ASYNC_LOGGING.get)
del os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"]
os.environ["MLFLOW_EXPERIMENT_NAME"] = "from-env"
record("env str set", env.MLFLOW_EXPERIMENT_NAME.get())
record("env is_set", env.MLFLOW_EXPERIMENT_NAME.is_set())
env.MLFLOW_EXPERIMENT_NAME.unset()
record("env unset", (env.MLFLOW_EXPERIMENT_NAME.is_set(), "MLFLOW_EXPERIMENT_NAME" in os.environ))
record("env format", f"{env.MLFLOW_RUN_ID}")

now = importlib.import_module(f"{name}.utils.time").get_current_time_millis()
record("time millis", (type(now).__name__, now > 1_700_000_000_000))

fluent = importlib.import_module(f"{name}.tracking.fluent")
for function in ("start_run", "log_metric", "search_runs", "active_run", "get_logged_model"):
    record(
        f"fluent {function} is top-level", getattr(fluent, function) is getattr(mlflow, function)
    )

tracking = importlib.import_module(f"{name}.tracking")
call("tracking.get_registry_uri default", tracking.get_registry_uri)
call("set_registry_uri", lambda: tracking.set_registry_uri("sqlite:///registry.db"))
call("get_registry_uri after set", mlflow.get_registry_uri)
record("registry env", os.environ.get("MLFLOW_REGISTRY_URI"))
call("set_registry_uri None", lambda: mlflow.set_registry_uri(None))
call("get_registry_uri after None (env kept)", mlflow.get_registry_uri)
del os.environ["MLFLOW_REGISTRY_URI"]
call("get_registry_uri after env removed", mlflow.get_registry_uri)
call("set_registry_uri empty", lambda: mlflow.set_registry_uri(""))
call("get_registry_uri after empty", mlflow.get_registry_uri)

# A missing directory of a SQLite file is created; two slashes is not a file URI.
mlflow.set_tracking_uri("sqlite:///no/such/dir/mlflow.db")
call("missing dir", lambda: [e.name for e in mlflow.search_experiments()])
record("missing dir created", os.path.exists("no/such/dir/mlflow.db"))
mlflow.set_tracking_uri("sqlite://two-slashes.db")
try:
    mlflow.search_experiments()
except Exception as e:  # SQLAlchemy's ArgumentError under mlflow, MlflowException under mlrs
    record("two slashes", str(e))
record("two slashes wrote nothing", os.path.exists("two-slashes.db"))
mlflow.set_tracking_uri("sqlite:///mlflow.db")

client = mlflow.MlflowClient()
call("get_logged_model empty id", lambda: client.get_logged_model(""))
call("fluent get_logged_model empty id", lambda: mlflow.get_logged_model(""))
call("finalize empty id", lambda: client.finalize_logged_model("", "READY"))
call("set tags empty id", lambda: client.set_logged_model_tags("", {"a": "b"}))
call("delete tag empty id", lambda: client.delete_logged_model_tag("", "a"))
call("delete model empty id", lambda: client.delete_logged_model(""))
call("log params empty id", lambda: client.log_model_params("", {"a": "b"}))
with open("f.txt", "w") as f:
    f.write("x")
trace_id = "tr-0123456789abcdef0123456789abcdef"
call("log_artifact trace id", lambda: client.log_artifact(trace_id, "f.txt"))
call("fluent log_artifact trace id", lambda: mlflow.log_artifact("f.txt", run_id=trace_id))

# The package logger writes INFO lines to stderr in mlflow's format once imported.
run_child(
    "logger",
    f"""
import logging, sys
import {name}
from _parity import record
logger = logging.getLogger({name!r})
record("handlers", [type(h).__name__ for h in logger.handlers])
record("level", logging.getLevelName(logger.level))
record("propagate", logger.propagate)
fmt = logger.handlers[0].formatter
record("format", (fmt._fmt, fmt.datefmt))
""",
)
run_child(
    "logger off",
    f"""
import logging
import {name}
from _parity import record
record("handlers", logging.getLogger({name!r}).handlers)
""",
    env={"MLFLOW_CONFIGURE_LOGGING": "false"},
)
run_child(
    "logger level",
    f"""
import logging
import {name}
from _parity import record
record("level", logging.getLevelName(logging.getLogger({name!r}).level))
""",
    env={"MLFLOW_LOGGING_LEVEL": "warning"},
)

# Dataset schemas are the types module's Schema; MetaDataset and the filesystem source base.
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

types = importlib.import_module(f"{name}.types")
frame = mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), name="f")
record("schema is types.Schema", isinstance(frame.schema, types.Schema))
record("schema == its JSON", frame.schema == types.Schema.from_json(frame.schema.to_json()))
record("JSON == schema", types.Schema.from_json(frame.schema.to_json()) == frame.schema)
one_column = types.Schema.from_json('[{"type": "long", "name": "a", "required": true}]')
record("schema != other", frame.schema == one_column)
tensors = mlflow.data.from_numpy(np.zeros((3, 2))).schema.features
record("tensor schema == its JSON", tensors == types.Schema.from_json(tensors.to_json()))
meta_module = importlib.import_module(f"{name}.data.meta_dataset")
http = importlib.import_module(f"{name}.data.http_dataset_source")
source = http.HTTPDatasetSource("https://example.com/data.csv")
meta = meta_module.MetaDataset(source, name="remote")
record("meta digest", meta.digest)
record("meta dict", meta.to_dict())
with_schema = meta_module.MetaDataset(source, name="remote", schema=one_column)
record("meta schema digest", with_schema.digest)
record("meta schema dict", with_schema.to_dict())
with mlflow.start_run() as meta_run:
    mlflow.log_input(with_schema, context="training")
logged = mlflow.get_run(meta_run.info.run_id).inputs.dataset_inputs[0].dataset
record("meta logged", (logged.name, logged.digest, logged.source_type, logged.schema))
fs = importlib.import_module(f"{name}.data.filesystem_dataset_source")
record("filesystem base", fs.FileSystemDatasetSource.__name__)
