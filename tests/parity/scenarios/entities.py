"""Entity shapes: attribute types, enums, equality, MlflowException's public surface."""

import json

from _parity import call, mlflow, record

entities = mlflow.entities
MlflowException = mlflow.exceptions.MlflowException


def types_of(obj, names):
    return {name: type(getattr(obj, name)).__name__ for name in names}


with mlflow.start_run() as active:
    running = mlflow.get_run(active.info.run_id)
    record(
        "RunInfo types while running",
        types_of(
            running.info,
            [
                "run_id",
                "run_name",
                "experiment_id",
                "user_id",
                "status",
                "start_time",
                "end_time",
                "lifecycle_stage",
                "artifact_uri",
            ],
        ),
    )
    record("RunData types", types_of(running.data, ["metrics", "params", "tags"]))
    mlflow.log_metric("m", 1)
    mlflow.log_param("p", 1)
    record("metric value type", type(mlflow.get_run(active.info.run_id).data.metrics["m"]).__name__)
finished = mlflow.get_run(active.info.run_id)
record("end_time type when finished", type(finished.info.end_time).__name__)
record("Run has no run_uuid", hasattr(finished.info, "run_uuid"))
call(
    "Run attribute names",
    lambda: sorted(a for a in ("info", "data", "inputs", "outputs") if hasattr(finished, a)),
)
call("RunInfo searchable attributes", entities.RunInfo.get_searchable_attributes)
call("RunInfo orderable attributes", entities.RunInfo.get_orderable_attributes)
exp = mlflow.get_experiment("0")
record(
    "Experiment types",
    types_of(
        exp,
        [
            "experiment_id",
            "name",
            "artifact_location",
            "lifecycle_stage",
            "creation_time",
            "last_update_time",
            "tags",
            "workspace",
        ],
    ),
)

call("RunStatus strings", lambda: [entities.RunStatus.to_string(i) for i in range(1, 6)])
call("RunStatus from_string", lambda: entities.RunStatus.from_string("KILLED"))
call("RunStatus is_terminated", lambda: [entities.RunStatus.is_terminated(i) for i in range(1, 6)])
call("RunStatus all_status", entities.RunStatus.all_status)
call("RunStatus bogus", lambda: entities.RunStatus.from_string("NOPE"))
call(
    "ViewType",
    lambda: [entities.ViewType.ACTIVE_ONLY, entities.ViewType.DELETED_ONLY, entities.ViewType.ALL],
)
call("ViewType from_string", lambda: entities.ViewType.from_string("all"))
call("ViewType to_string", lambda: entities.ViewType.to_string(entities.ViewType.DELETED_ONLY))
call("LifecycleStage", lambda: [entities.LifecycleStage.ACTIVE, entities.LifecycleStage.DELETED])

metric = entities.Metric("a", 1.0, 1, 0)
call("Metric equality", lambda: metric == entities.Metric("a", 1.0, 1, 0))
call("Metric inequality", lambda: metric == entities.Metric("a", 2.0, 1, 0))
call("Metric hashable", lambda: len({metric, entities.Metric("a", 1.0, 1, 0)}))
call("Metric fields", lambda: metric)
call(
    "Metric keyword construction",
    lambda: entities.Metric(key="k", value=2.5, timestamp=3, step=4, run_id="r"),
)
call("Param", lambda: entities.Param("k", "v"))
call("Param equality", lambda: entities.Param("k", "v") == entities.Param("k", "v"))
call("RunTag", lambda: entities.RunTag("k", "v"))
call("RunTag equality", lambda: entities.RunTag("k", "v") == entities.RunTag("k", "v"))
call("Metric to_dictionary", lambda: metric.to_dictionary())

# mlflow's error codes are protobuf ints (databricks_pb2); error_code reads back as the name.
CODES = {
    "INTERNAL_ERROR": 1,
    "BAD_REQUEST": 4,
    "INVALID_PARAMETER_VALUE": 1000,
    "INVALID_STATE": 1003,
    "RESOURCE_ALREADY_EXISTS": 3001,
    "RESOURCE_DOES_NOT_EXIST": 3002,
}
error = MlflowException("boom", error_code=CODES["RESOURCE_DOES_NOT_EXIST"])
call("MlflowException error_code", lambda: error.error_code)
call("MlflowException message", lambda: error.message)
call("MlflowException str", lambda: str(error))
call("MlflowException http status", error.get_http_status_code)
call("MlflowException default code", lambda: MlflowException("x").error_code)
call("MlflowException default status", lambda: MlflowException("x").get_http_status_code())
call("MlflowException json", lambda: json.loads(error.serialize_as_json()))
call("MlflowException is an Exception", lambda: issubclass(MlflowException, Exception))
call("invalid_parameter_value", lambda: MlflowException.invalid_parameter_value("bad").error_code)
for name, code in CODES.items():
    call(f"code {name}", lambda code=code: MlflowException("x", error_code=code).error_code)
    call(
        f"status of {name}",
        lambda code=code: MlflowException("x", error_code=code).get_http_status_code(),
    )
call("mlflow.MlflowException is the same class", lambda: mlflow.MlflowException is MlflowException)
call(
    "mlflow.MlflowClient is the same class",
    lambda: mlflow.MlflowClient is mlflow.tracking.MlflowClient,
)
call("mlflow.ActiveRun", lambda: issubclass(mlflow.ActiveRun, entities.Run))
