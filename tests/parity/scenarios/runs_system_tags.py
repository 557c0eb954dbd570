"""Tags set by start_run: user, source, run name, description, parent; user tags override."""

import json
import os

from _parity import call, mlflow, no_message, record, run_child


def started(label: str, **kwargs):
    """Start and end a run; record its info and tags as stored."""
    with mlflow.start_run(**kwargs) as run:
        pass
    stored = mlflow.get_run(run.info.run_id)
    record(f"{label}: run_name", stored.info.run_name)
    record(f"{label}: user_id", stored.info.user_id)
    record(f"{label}: tags", stored.data.tags)
    return run


started("defaults")
started("run_name", run_name="named")
started("run_name beats the runName tag", run_name="arg", tags={"mlflow.runName": "tag"})
started("runName tag alone", tags={"mlflow.runName": "from-tag"})
started("empty run_name", run_name="")
started("description", description="some *markdown*")
started("empty description", description="")
started(
    "user tags override system tags", tags={"mlflow.user": "someone", "mlflow.source.type": "JOB"}
)
# New runs store tag values as given (SQLite's TEXT affinity turns numbers into text); a list
# fails in the driver, with SQLAlchemy's text in the message (so only the code is compared).
call("int and float tag values", lambda: started("numbers", tags={"int": 1, "float": 0.1}) and None)
call("None tag value", lambda: started("None value", tags={"none": None}) and None)
call("list tag value", lambda: mlflow.start_run(tags={"list": [1, 2]}), msg=no_message)
call("active after list tag", mlflow.active_run)
call(
    "description and note tag",
    lambda: mlflow.start_run(description="d", tags={"mlflow.note.content": "t"}),
)
call("active after conflict", mlflow.active_run)
call(
    "note tag alone", lambda: started("note tag alone", tags={"mlflow.note.content": "t"}) and None
)

os.environ["MLFLOW_TRACKING_USERNAME"] = "tracking-user"
started("MLFLOW_TRACKING_USERNAME")
del os.environ["MLFLOW_TRACKING_USERNAME"]
os.environ["MLFLOW_RUN_CONTEXT"] = json.dumps({"ctx": "from-env", "mlflow.source.name": "ctx"})
started("MLFLOW_RUN_CONTEXT")
del os.environ["MLFLOW_RUN_CONTEXT"]

# start_run validates neither the run name's length nor the tag keys it is given.
for length in (250, 251, 1000):
    call(
        f"run name of {length} chars",
        lambda length=length: len(mlflow.start_run(run_name="r" * length).info.run_name),
    )
    call(
        f"stored name of {length} chars",
        lambda: len(mlflow.get_run(mlflow.active_run().info.run_id).info.run_name),
    )
    mlflow.end_run()
call("run name with odd characters", lambda: started("odd name", run_name="a,b#c/../d") and None)
call("bad tag key at start", lambda: mlflow.start_run(tags={"a,b": "v"}).data.tags.get("a,b"))
call("active after bad tag", lambda: mlflow.active_run() is not None)
mlflow.end_run()

# mlflow.source.name is sys.argv[0] as given.
SOURCE = """
from _parity import mlflow, record
with mlflow.start_run() as run:
    pass
record("source", mlflow.get_run(run.info.run_id).data.tags.get("mlflow.source.name"))
"""
run_child("invoked_absolute", SOURCE, invocation="absolute")
run_child("invoked_dash_c", SOURCE, invocation="-c")
