"""MlflowClient run methods: create_run, get_run, set_terminated, update_run, paging."""

from _parity import call, mlflow, record, until

client = mlflow.MlflowClient()
exp = client.create_experiment("client-exp")

created = call("create_run", lambda: client.create_run(exp))
run_id = created.info.run_id
record("create_run type", type(created).__name__)
call("create_run leaves no active run", mlflow.active_run)
call("create_run with start_time", lambda: client.create_run(exp, start_time=1234).info.start_time)
call("create_run with run_name", lambda: client.create_run(exp, run_name="named").data.tags)
call(
    "create_run with tags",
    lambda: client.create_run(exp, tags={"a": "1", "mlflow.user": "tagged-user"}),
)
call(
    "run_name and equal runName tag",
    lambda: client.create_run(exp, run_name="x", tags={"mlflow.runName": "x"}).info.run_name,
)
call(
    "run_name and different runName tag",
    lambda: client.create_run(exp, run_name="x", tags={"mlflow.runName": "y"}),
)
call(
    "runName tag alone",
    lambda: client.create_run(exp, tags={"mlflow.runName": "from-tag"}).info.run_name,
)
call("create_run in unknown experiment", lambda: client.create_run("999"))
call("create_run with int experiment id", lambda: client.create_run(int(exp)).info.experiment_id)
call("create_run in experiment 0", lambda: client.create_run("0").info.artifact_uri)

call("get_run", lambda: client.get_run(run_id))
call("fluent get_run", lambda: mlflow.get_run(run_id))
call("get_run unknown", lambda: client.get_run("0" * 32))
call("get_run malformed", lambda: client.get_run("../bad"))
call("get_run empty id", lambda: client.get_run(""))
call("get_run id of 256 chars", lambda: client.get_run("a" * 256))
call("get_run id of 257 chars", lambda: client.get_run("a" * 257), msg=until("supplied"))
call("get_run id with a dash", lambda: client.get_run("a-b"))
call("get_run id starting with _", lambda: client.get_run("_ab"))
call("to_dictionary", lambda: client.get_run(run_id).to_dictionary())
call("inputs", lambda: client.get_run(run_id).inputs.to_dictionary())
call("outputs", lambda: client.get_run(run_id).outputs.to_dictionary())

call("set_terminated default", lambda: client.set_terminated(run_id))
call("after set_terminated", lambda: client.get_run(run_id).info)
call("set_terminated explicit", lambda: client.set_terminated(run_id, "KILLED", end_time=5000))
call(
    "after explicit",
    lambda: [client.get_run(run_id).info.status, client.get_run(run_id).info.end_time],
)
call("set_terminated bogus status", lambda: client.set_terminated(run_id, "BOGUS"))
call("set_terminated unknown run", lambda: client.set_terminated("0" * 32))
call("update_run status", lambda: client.update_run(run_id, status="RUNNING"))
call("after update_run status", lambda: client.get_run(run_id).info)
call("update_run name", lambda: client.update_run(run_id, name="renamed"))
call("update_run nothing", lambda: client.update_run(run_id))
call(
    "after update_run name",
    lambda: [
        client.get_run(run_id).info.run_name,
        client.get_run(run_id).data.tags["mlflow.runName"],
    ],
)
call("update_run bogus status", lambda: client.update_run(run_id, status="BOGUS"))
call("update_run unknown run", lambda: client.update_run("0" * 32, name="x"))
call("delete_run", lambda: client.delete_run(run_id))
call("restore_run", lambda: client.restore_run(run_id))

# Paging through runs of one experiment (no filter): tokens and ordering.
paged_exp = client.create_experiment("paged")
for index in range(5):
    client.create_run(paged_exp, start_time=100 + index, run_name=f"r{index}")
page = call("search_runs page 1", lambda: client.search_runs([paged_exp], max_results=2))
record("page 1 names", [r.info.run_name for r in page])
page = call(
    "search_runs page 2",
    lambda: client.search_runs([paged_exp], max_results=2, page_token=page.token),
)
page = call(
    "search_runs page 3",
    lambda: client.search_runs([paged_exp], max_results=2, page_token=page.token),
)
call("search_runs single str id", lambda: [r.info.run_name for r in client.search_runs(paged_exp)])
call("search_runs unknown experiment", lambda: client.search_runs(["999"]))
call("search_runs max_results=0", lambda: client.search_runs([paged_exp], max_results=0))
call("search_runs bad token", lambda: client.search_runs([paged_exp], page_token="!!"))

call("client tracking_uri", lambda: client.tracking_uri)
call(
    "client with explicit tracking_uri",
    lambda: mlflow.MlflowClient("sqlite:///mlflow.db").tracking_uri,
)
