"""LoggedModel records and model errors: the client's create/finalize/get/search, log_model's
argument checks and warnings, save_model's refusals, and bad model URIs."""

import os

import numpy as np
from sklearn.linear_model import LinearRegression

from _parity import call, captured_logs, mlflow, no_message, record

X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
model = LinearRegression().fit(X, [0.0, 1.0, 2.0])
client = mlflow.MlflowClient()


def fields(m):
    return {
        "name": m.name,
        "status": str(m.status),
        "experiment_id": m.experiment_id,
        "model_type": m.model_type,
        "source_run_id": m.source_run_id,
        "params": m.params,
        "tags": m.tags,
        "artifact_location": m.artifact_location,
        "model_uri_is_id": m.model_uri == f"models:/{m.model_id}",
        "id_shape": (m.model_id[:2], len(m.model_id)),
    }


created = client.create_logged_model("0", name="ext", params={"k": "v"}, tags={"t": "1"})
record("created", fields(created))
record("finalized", fields(client.finalize_logged_model(created.model_id, "READY")))
record("get", fields(client.get_logged_model(created.model_id)))
call("get unknown", lambda: client.get_logged_model("m-0123456789abcdef0123456789abcdef"))
call("create in unknown experiment", lambda: client.create_logged_model("42"), msg=no_message)
call("bad name", lambda: client.create_logged_model("0", name="a:b"))
call(
    "finalize bad status",
    lambda: client.finalize_logged_model(created.model_id, "DONE"),
    msg=no_message,
)

with captured_logs() as logs:
    info = mlflow.sklearn.log_model(model, artifact_path="legacy", serialization_format="pickle")
record(
    "artifact_path warnings",
    [line.split(": ", 1)[-1] for line in logs.getvalue().splitlines() if "deprecated" in line],
)
record("legacy name", info.name)
record("no run", (info.run_id, mlflow.active_run()))
call("both names", lambda: mlflow.sklearn.log_model(model, "a", name="b"))
call("bad format", lambda: mlflow.sklearn.log_model(model, name="m", serialization_format="x"))
record(
    "statuses",
    sorted((m.name, str(m.status)) for m in mlflow.search_logged_models(output_format="list")),
)
record("last logged", mlflow.last_logged_model().name)

os.makedirs("full")
with open(os.path.join("full", "x"), "w") as f:
    f.write("x")
call("save into non-empty dir", lambda: mlflow.sklearn.save_model(model, "full"))
call(
    "env args together",
    lambda: mlflow.sklearn.save_model(
        model, "env", pip_requirements=["a"], extra_pip_requirements=["b"]
    ),
)
mlflow.sklearn.save_model(model, "saved")
call("sklearn flavor of a saved model", lambda: type(mlflow.sklearn.load_model("saved")).__name__)
call("xgboost flavor of a sklearn model", lambda: mlflow.xgboost.load_model("saved"))

for uri in [
    "models:/m-0123456789abcdef0123456789abcdef",
    "models:/",
    "models:/a/b/c",
    "runs:/",
    "runs:/deadbeef/model",
    "nowhere/model",
]:
    call(f"pyfunc {uri}", lambda uri=uri: mlflow.pyfunc.load_model(uri))
    call(f"sklearn {uri}", lambda uri=uri: mlflow.sklearn.load_model(uri))
with mlflow.start_run() as run:
    pass
call("run without model", lambda: mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model"))
