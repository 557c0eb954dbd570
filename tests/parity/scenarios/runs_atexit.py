"""What happens to runs still active when the interpreter exits (checked from a new process)."""

from _parity import MARKER, call, mlflow, run_child

PRELUDE = f"""
import os, sys, threading, time
from _parity import mlflow
def say(name, run):
    print({MARKER!r} + '{{"label": "id", "value": "' + name + '"}}', flush=True)
    with open(name + ".id", "w") as f:
        f.write(run.info.run_id)
"""

run_child(
    "plain",
    PRELUDE
    + """
run = mlflow.start_run(run_name="plain")
mlflow.log_param("p", 1)
mlflow.log_metric("m", 1.0)
say("plain", run)
""",
)
run_child(
    "uncaught",
    PRELUDE
    + """
run = mlflow.start_run(run_name="uncaught")
mlflow.log_metric("m", 2.0)
say("uncaught", run)
raise ValueError("boom")
""",
)
run_child(
    "interrupt",
    PRELUDE
    + """
run = mlflow.start_run(run_name="interrupt")
say("interrupt", run)
raise KeyboardInterrupt
""",
)
run_child(
    "sys_exit",
    PRELUDE
    + """
run = mlflow.start_run(run_name="sys_exit")
say("sys_exit", run)
sys.exit(3)
""",
)
run_child(
    "nested",
    PRELUDE
    + """
outer = mlflow.start_run(run_name="outer")
inner = mlflow.start_run(run_name="inner", nested=True)
say("outer", outer)
say("inner", inner)
""",
)
run_child(
    "implicit",
    PRELUDE
    + """
mlflow.log_param("p", "implicit")
say("implicit", mlflow.active_run())
""",
)
run_child(
    "thread",
    PRELUDE
    + """
def work():
    say("thread", mlflow.start_run(run_name="thread"))
worker = threading.Thread(target=work)
worker.start()
worker.join()
""",
)
# os._exit skips atexit: the run stays RUNNING. (The sleep keeps this within mlrs's documented
# loss bound for a killed process.)
run_child(
    "os_exit",
    PRELUDE
    + """
run = mlflow.start_run(run_name="os_exit")
mlflow.log_param("p", 1)
say("os_exit", run)
time.sleep(0.5)
os._exit(0)
""",
)

for name in (
    "plain",
    "uncaught",
    "interrupt",
    "sys_exit",
    "outer",
    "inner",
    "implicit",
    "thread",
    "os_exit",
):
    with open(f"{name}.id") as file:
        run_id = file.read()

    def read(run_id=run_id):
        run = mlflow.get_run(run_id)
        info = run.info
        return {
            "status": info.status,
            "has end_time": info.end_time is not None,
            "params": run.data.params,
            "metrics": run.data.metrics,
        }

    call(f"{name} read back", read)
