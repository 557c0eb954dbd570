"""Nested runs, parent_run_id, and starting a run while another one is active."""

from _parity import call, mlflow, record


def tags_of(run_id: str) -> dict:
    tags = mlflow.get_run(run_id).data.tags
    return {k: v for k, v in tags.items() if k in ("mlflow.parentRunId", "mlflow.runName")}


def active_name():
    run = mlflow.active_run()
    return None if run is None else run.info.run_name


with mlflow.start_run(run_name="parent") as parent:
    call("start_run while active", mlflow.start_run)
    call("still the parent", active_name)
    with mlflow.start_run(run_name="child", nested=True) as child:
        record("child snapshot parent tag", child.data.tags.get("mlflow.parentRunId"))
        # The message names the bottom of the stack, not the top.
        call("start_run while nested active", mlflow.start_run)
        with mlflow.start_run(run_name="grandchild", nested=True) as grandchild:
            call("grandchild active", active_name)
        call("after grandchild, active", active_name)
        call("end_run FAILED in nested with", lambda: mlflow.end_run("FAILED"))
        call("after end_run, active", active_name)
        record("parent still RUNNING", mlflow.get_run(parent.info.run_id).info.status)
    call("after child with, active", active_name)
    call(
        "parent_run_id without nested while active",
        lambda: mlflow.start_run(parent_run_id=parent.info.run_id),
    )
    call(
        "parent_run_id + nested, mismatching the active run",
        lambda: mlflow.start_run(nested=True, parent_run_id=child.info.run_id),
    )
    call("active after mismatch", active_name)
    sibling = call(
        "parent_run_id + nested, matching",
        lambda: mlflow.start_run(run_name="sibling", nested=True, parent_run_id=parent.info.run_id),
    )
    record("sibling tags", tags_of(sibling.info.run_id))
    mlflow.end_run()
    call("back to parent", active_name)
call("active after parent with", mlflow.active_run)

for run in (parent, child, grandchild):
    info = mlflow.get_run(run.info.run_id).info
    record(f"{info.run_name}: status and tags", [info.status, tags_of(info.run_id)])

call("nested=True without an active run", lambda: mlflow.start_run(nested=True).info.run_name)
record("no parent tag", tags_of(mlflow.active_run().info.run_id))
mlflow.end_run()

adopted = call(
    "parent_run_id with no active run",
    lambda: mlflow.start_run(run_name="adopted", parent_run_id=child.info.run_id),
)
record("adopted tags", tags_of(adopted.info.run_id))
mlflow.end_run()
call("get_parent_run", lambda: mlflow.get_parent_run(adopted.info.run_id).info.run_name)
call("get_parent_run of top-level", lambda: mlflow.get_parent_run(parent.info.run_id))
call("get_parent_run unknown", lambda: mlflow.get_parent_run("f" * 32))

call("parent_run_id unknown", lambda: mlflow.start_run(parent_run_id="f" * 32))
call("active after unknown parent", mlflow.active_run)
call("parent_run_id malformed", lambda: mlflow.start_run(parent_run_id="../x"))
mlflow.delete_run(child.info.run_id)
call("parent_run_id deleted", lambda: mlflow.start_run(parent_run_id=child.info.run_id))
call("active after deleted parent", mlflow.active_run)

with mlflow.start_run(run_name="outer") as outer:
    call("explicit run_id while active", lambda: mlflow.start_run(run_id=parent.info.run_id))
    call(
        "nested resume of a finished run",
        lambda: mlflow.start_run(run_id=parent.info.run_id, nested=True).info.status,
    )
    record("resumed run gets no parent tag", tags_of(parent.info.run_id))
    call("nested resume is active", active_name)
    mlflow.end_run()
    call("outer active again", active_name)
record("outer ended", mlflow.get_run(outer.info.run_id).info.status)
