"""Creating and reading experiments: set_experiment, create_experiment, get_experiment(_by_name)."""

import os
import threading

from _parity import call, captured_logs, mlflow, record, until

call("default experiment", lambda: mlflow.get_experiment("0"))
call("default by name", lambda: mlflow.get_experiment_by_name("Default"))
call("DEFAULT_EXPERIMENT_NAME", lambda: mlflow.entities.Experiment.DEFAULT_EXPERIMENT_NAME)

with captured_logs() as logs:
    created = call("set_experiment creates", lambda: mlflow.set_experiment("first"))
record("creation is logged", "does not exist. Creating a new experiment" in logs.getvalue())
record("set_experiment exports MLFLOW_EXPERIMENT_ID", os.environ.get("MLFLOW_EXPERIMENT_ID"))
call("set_experiment returns existing", lambda: mlflow.set_experiment("first"))
call("set_experiment by id", lambda: mlflow.set_experiment(experiment_id="0"))
record("env follows set_experiment", os.environ.get("MLFLOW_EXPERIMENT_ID"))
call("set_experiment by int id", lambda: mlflow.set_experiment(experiment_id=1))
call("set_experiment by unknown id", lambda: mlflow.set_experiment(experiment_id="999"))
call("set_experiment with both", lambda: mlflow.set_experiment("first", experiment_id="1"))
call("set_experiment with neither", lambda: mlflow.set_experiment())
with mlflow.start_run() as run:
    record("run goes to the active experiment", run.info.experiment_id)

call("create_experiment plain", lambda: mlflow.create_experiment("plain"))
call(
    "create_experiment with tags",
    lambda: mlflow.create_experiment("tagged", tags={"team": "ml", "nested/a:b": "x y"}),
)
call("get tagged", lambda: mlflow.get_experiment_by_name("tagged"))
# mlflow does not stringify create_experiment tag values (set_experiment_tag does).
call("create_experiment with int tag", lambda: mlflow.create_experiment("t2", tags={"n": 3}))
call("int-tag experiment not created", lambda: mlflow.get_experiment_by_name("t2"))
call(
    "create_experiment relative artifact_location",
    lambda: mlflow.create_experiment("rel-art", artifact_location="some/where"),
)
call("get rel-art", lambda: mlflow.get_experiment_by_name("rel-art").artifact_location)
call(
    "create_experiment s3 artifact_location",
    lambda: mlflow.create_experiment("s3-art", artifact_location="s3://bucket/prefix"),
)
call("get s3-art", lambda: mlflow.get_experiment_by_name("s3-art").artifact_location)
call(
    "create_experiment absolute artifact_location",
    lambda: mlflow.create_experiment("abs-art", artifact_location=f"{os.getcwd()}/abs-art"),
)
call("get abs-art", lambda: mlflow.get_experiment_by_name("abs-art").artifact_location)
with mlflow.start_run(experiment_id=mlflow.get_experiment_by_name("abs-art").experiment_id) as r:
    record("artifact_uri under explicit location", r.info.artifact_uri)
record("mlruns not created by experiments", os.path.exists("mlruns"))

# Duplicates: the message ends with SQLAlchemy's rendering of the IntegrityError.
call("duplicate name", lambda: mlflow.create_experiment("plain"), msg=until("already exists."))
call(
    "delete plain",
    lambda: mlflow.delete_experiment(mlflow.get_experiment_by_name("plain").experiment_id),
)
call(
    "duplicate of deleted name",
    lambda: mlflow.create_experiment("plain"),
    msg=until("already exists."),
)
call("Default is taken", lambda: mlflow.create_experiment("Default"), msg=until("already exists."))
call("names are case-sensitive", lambda: mlflow.create_experiment("PLAIN"))
call("names keep spaces", lambda: mlflow.create_experiment("  spaced  "))
call("get spaced", lambda: mlflow.get_experiment_by_name("  spaced  ").name)
call("unicode name", lambda: mlflow.create_experiment("expérience/ü"))

for label, name in [
    ("empty name", ""),
    ("blank name", "   "),
    ("None name", None),
    ("int name", 5),
    ("name of 500 chars", "n" * 500),
    ("name of 501 chars", "n" * 501),
]:
    call(f"create_experiment {label}", lambda name=name: mlflow.create_experiment(name))
call("set_experiment empty name", lambda: mlflow.set_experiment(""))

call("get_experiment unknown", lambda: mlflow.get_experiment("12345"))
call("get_experiment non-numeric", lambda: mlflow.get_experiment("abc"))
call("get_experiment int", lambda: mlflow.get_experiment(1))
call("get_experiment_by_name unknown", lambda: mlflow.get_experiment_by_name("nope"))
call("get_experiment_by_name None", lambda: mlflow.get_experiment_by_name(None))
call("get_experiment None", lambda: mlflow.get_experiment(None))
call(
    "get deleted by id",
    lambda: mlflow.get_experiment(mlflow.get_experiment_by_name("plain").experiment_id),
)
call("get deleted by name", lambda: mlflow.get_experiment_by_name("plain"))
call(
    "all experiment names",
    lambda: sorted(e.name[:20] for e in mlflow.search_experiments(view_type=3)),
)
call("return type of create", lambda: type(mlflow.create_experiment("typed")).__name__)

# set_experiment is safe under threads: both get the experiment, created once.
results = []
threads = [
    threading.Thread(target=lambda: results.append(mlflow.set_experiment("raced").experiment_id))
    for _ in range(2)
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
record("threads got one experiment", len(set(results)) == 1 and len(results) == 2)
record("raced exists once", [e.name for e in mlflow.search_experiments()].count("raced"))

client = mlflow.MlflowClient()
via_client = call(
    "client create_experiment", lambda: client.create_experiment("via-client", tags={"a": "b"})
)
call("client get_experiment", lambda: client.get_experiment(via_client))
call("client get_experiment_by_name", lambda: client.get_experiment_by_name("via-client"))
call("client get_experiment_by_name unknown", lambda: client.get_experiment_by_name("nope"))
call("client get_experiment unknown", lambda: client.get_experiment("777"))
