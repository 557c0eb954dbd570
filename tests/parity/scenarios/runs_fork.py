"""os.fork: the child sees no active run and logs on its own; the parent is unaffected."""

import json
import os

from _parity import call, mlflow, record

with mlflow.start_run(run_name="parent") as parent:
    mlflow.log_param("who", "parent")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, then leave without atexit hooks
        report = {}
        try:
            report["active"] = mlflow.active_run() is None
            report["last"] = mlflow.last_active_run() is None
            with mlflow.start_run(run_name="child") as child:
                mlflow.log_param("who", "child")
                mlflow.log_metric("m", 1.0, step=0, timestamp=1)
            report["child id"] = child.info.run_id
            report["child status"] = mlflow.get_run(child.info.run_id).info.status
            report["parent seen from child"] = mlflow.get_run(parent.info.run_id).data.params
        except BaseException as error:
            report["error"] = f"{type(error).__name__}: {error}"
        os.write(write_end, json.dumps(report).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        report = json.loads(pipe.read())
    os.waitpid(pid, 0)
    record("child saw no active run", report.get("active"))
    record("child saw no last run", report.get("last"))
    record("child status", report.get("child status"))
    record("child read the parent's params", report.get("parent seen from child"))
    record("child error", report.get("error"))
    call("parent still active", lambda: mlflow.active_run().info.run_name)
    mlflow.log_param("after", "fork")

call("parent run", lambda: mlflow.get_run(parent.info.run_id).data.params)
call("child run as seen by the parent", lambda: mlflow.get_run(report["child id"]))
call(
    "runs in experiment 0",
    lambda: sorted(r.info.run_name for r in mlflow.MlflowClient().search_runs(["0"])),
)
