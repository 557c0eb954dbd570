"""Run lifecycle: the ActiveRun context manager, plain start/end, end_run statuses."""

from _parity import call, mlflow, record


def final(run_id: str, label: str) -> None:
    info = mlflow.get_run(run_id).info
    record(f"{label}: status", info.status)
    record(f"{label}: has end_time", [type(info.end_time).__name__, info.end_time is not None])
    if info.end_time is not None:
        record(f"{label}: ends after it starts", info.start_time <= info.end_time)


with mlflow.start_run() as run:
    record("ActiveRun type", type(run).__name__)
    record("ActiveRun is a Run", isinstance(run, mlflow.entities.Run))
    record("snapshot inside", run)
    record("active_run is the same run", mlflow.active_run().info.run_id == run.info.run_id)
final(run.info.run_id, "clean exit")
record("snapshot after exit is unchanged", run.info.status)
call("active_run after exit", mlflow.active_run)


def body_raises(error: BaseException):
    holder = {}

    def go():
        with mlflow.start_run() as inner:
            holder["id"] = inner.info.run_id
            raise error

    call(f"{type(error).__name__} propagates", go)
    final(holder["id"], f"after {type(error).__name__}")


body_raises(ValueError("boom"))
body_raises(KeyboardInterrupt())
body_raises(RuntimeError("x"))


def exits():
    with mlflow.start_run() as inner:
        exits.run_id = inner.info.run_id
        raise SystemExit(0)


try:
    exits()
except SystemExit as stop:
    record("SystemExit propagates", stop.code)
final(exits.run_id, "after SystemExit(0)")

with mlflow.start_run() as run:
    call("end_run KILLED inside with", lambda: mlflow.end_run("KILLED"))
    call("active_run after inner end", mlflow.active_run)
final(run.info.run_id, "ended KILLED inside with")

with mlflow.start_run() as run:
    mlflow.end_run()
    call(
        "restart same id inside with", lambda: mlflow.start_run(run_id=run.info.run_id).info.status
    )
final(run.info.run_id, "restarted inside with")

pending = mlflow.start_run()
call("ActiveRun used later as context manager", lambda: pending.__enter__() is pending)
call("__exit__ returns", lambda: pending.__exit__(None, None, None))
final(pending.info.run_id, "manual __exit__")
pending = mlflow.start_run()
call("__exit__ with exception returns", lambda: pending.__exit__(ValueError, ValueError(), None))
final(pending.info.run_id, "manual __exit__ with exception")

plain = mlflow.start_run()
record("plain start_run type", type(plain).__name__)
call("end_run returns", mlflow.end_run)
final(plain.info.run_id, "plain end_run")
call("end_run with no active run", mlflow.end_run)
call("end_run status with no active run", lambda: mlflow.end_run("FAILED"))

for status in ("FAILED", "KILLED", "FINISHED", "RUNNING", "SCHEDULED"):
    run = mlflow.start_run()
    call(f"end_run {status}", lambda status=status: mlflow.end_run(status))
    final(run.info.run_id, f"end_run({status!r})")

for status in ("BOGUS", "finished", None, 3):
    run = mlflow.start_run()
    call(f"end_run {status!r}", lambda status=status: mlflow.end_run(status))
    call(f"active after end_run {status!r}", lambda: mlflow.active_run() is not None)
    final(run.info.run_id, f"end_run({status!r})")
    mlflow.end_run()

call("keyword status", lambda: mlflow.start_run() and mlflow.end_run(status="KILLED"))
call("last run status", lambda: mlflow.last_active_run().info.status)
