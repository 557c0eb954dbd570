"""MLflow 3's model-centred API: initialize/create_external/finalize, tags and params of logged
models, the active model and the metrics linked to it, search_logged_models' filter grammar,
datasets and order_by, deletion, model artifacts, and a run's model path."""

import os

import numpy as np
from sklearn.linear_model import LinearRegression

from _parity import call, mlflow, no_message, record

client = mlflow.MlflowClient()


def names(models):
    return [m.name for m in models]


def search(filter_string=None, **kwargs):
    return names(
        mlflow.search_logged_models(filter_string=filter_string, output_format="list", **kwargs)
    )


with mlflow.start_run() as run:
    first = mlflow.initialize_logged_model(
        name="cats and dogs", params={"lr": "0.1"}, tags={"team": "a"}, model_type="cnn"
    )
    record("initialized", (first.status, first.source_run_id == run.info.run_id, first.params))
    record("last logged", mlflow.last_logged_model().model_id == first.model_id)
    mlflow.log_metric("acc", 0.5, model_id=first.model_id, step=0)
    mlflow.log_metric("acc", 0.9, model_id=first.model_id, step=1)
    second = mlflow.initialize_logged_model(name="second", params={"lr": "0.2"}, tags={"team": "b"})
    mlflow.log_metric("acc", 0.7, model_id=second.model_id)
    external = mlflow.create_external_model(name="ext", model_type="agent")
record(
    "external",
    (external.status, external.tags.get("mlflow.model.isExternal"), external.model_type),
)
record("external files", [f.path for f in client.list_logged_model_artifacts(external.model_id)])
record("finalized", mlflow.finalize_logged_model(first.model_id, "READY").status)
call(
    "finalize bad status",
    lambda: mlflow.finalize_logged_model(first.model_id, "DONE"),
    msg=no_message,
)

mlflow.set_logged_model_tags(first.model_id, {"stage": "dev", "n": 1})
record("tags", mlflow.get_logged_model(first.model_id).tags)
mlflow.delete_logged_model_tag(first.model_id, "stage")
record("tag deleted", mlflow.get_logged_model(first.model_id).tags)
call("delete missing tag", lambda: mlflow.delete_logged_model_tag(first.model_id, "stage"))
call("delete tag unknown model", lambda: client.delete_logged_model_tag("m-nope", "x"))
call("set tags unknown model", lambda: mlflow.set_logged_model_tags("m-nope", {"a": "b"}))
mlflow.log_model_params({"epochs": "3"}, model_id=first.model_id)
client.log_model_params(first.model_id, {"batch": "8"})
record("params", mlflow.get_logged_model(first.model_id).params)
call("log params unknown model", lambda: client.log_model_params("m-nope", {"a": "b"}))
call("log params no model", lambda: mlflow.log_model_params({"a": "b"}), msg=no_message)

# The grammar: strings holding AND, metrics (latest value), params, tags, IN, LIKE, order_by.
record("all", search())
record("name with and", search("name = 'cats and dogs'"))
record("attributes prefix", search("attributes.name != 'second'"))
record("like", search("name LIKE 'cat%'"))
record("ilike", search("name ILIKE 'CAT%'"))
record("in", search("name IN ('second', 'ext')"))
record("not in", search("name NOT IN ('second', 'ext')"))
record("metric latest", search("metrics.acc > 0.8"))
record("metric latest 2", search("metrics.acc < 0.8"))
record("metric and param", search("metrics.acc >= 0.5 AND params.lr = '0.2'"))
record("tag", search("tags.team = 'a'"))
record("tag backticks", search("tags.`team` != 'a'"))
record("model_type", search("model_type = 'agent'"))
record("status", search("status = 'READY'"))
record("status in", search("status IN ('PENDING')"))
record("creation_time", search(f"creation_time >= {first.creation_timestamp}"))
record("order by metric desc", search(order_by=[{"field_name": "metrics.acc", "ascending": False}]))
record("order by metric asc", search(order_by=[{"field_name": "metrics.acc"}]))
record("order by name", search(order_by=[{"field_name": "name", "ascending": True}]))
record("max_results", search(max_results=2))
record("datasets none match", search(datasets=[{"dataset_name": "nope"}]))
call("bad op for metric", lambda: search("metrics.acc LIKE '1'"))
call("bad op for status", lambda: search("status > 'READY'"))
call("unknown status", lambda: search("status = 'SHINY'"))
call("bad entity", lambda: search("foo.bar = 'x'"))
call("or", lambda: search("name = 'a' OR name = 'b'"), msg=no_message)
call("order by param", lambda: search(order_by=[{"field_name": "params.lr"}]))
call("order by unknown", lambda: search(order_by=[{"field_name": "nope"}]), msg=no_message)
call("datasets without name", lambda: search(datasets=[{"dataset_digest": "x"}]))
page = client.search_logged_models([run.info.experiment_id], max_results=1)
rest = client.search_logged_models([run.info.experiment_id], max_results=5, page_token=page.token)
record("pages", (names(page), page.token is not None, names(rest), rest.token))

# The active model: metrics logged without model_id link to it.
with mlflow.start_run():
    record("no active model", mlflow.get_active_model_id())
    active = mlflow.set_active_model(name="second")
    record(
        "active",
        (type(active).__name__, active.name, mlflow.get_active_model_id() == second.model_id),
    )
    mlflow.log_metric("loss", 0.25, step=2)
    mlflow.log_metrics({"f1": 0.5})
    mlflow.clear_active_model()
    record("cleared", mlflow.get_active_model_id())
    mlflow.log_metric("loss", 0.75, step=3)
    with mlflow.set_active_model(model_id=first.model_id):
        record("in with", mlflow.get_active_model_id() == first.model_id)
    record("after with", mlflow.get_active_model_id())
    created = mlflow.set_active_model(name="brand-new")
    record("created by name", (created.name, created.tags.get("mlflow.model.isExternal")))
    mlflow.clear_active_model()
record(
    "linked metrics",
    sorted((m.key, m.value, m.step) for m in mlflow.get_logged_model(second.model_id).metrics),
)
call("set_active_model nothing", lambda: mlflow.set_active_model())
call(
    "set_active_model mismatch",
    lambda: mlflow.set_active_model(name="other", model_id=first.model_id),
)

# Model artifacts and deletion.
os.makedirs("weights/sub")
with open("weights/w.bin", "wb") as f:
    f.write(b"123")
with open("weights/sub/s.txt", "w") as f:
    f.write("s")
client.log_model_artifact(first.model_id, "weights/w.bin")
client.log_model_artifacts(first.model_id, "weights", artifact_path="all")
record(
    "model artifacts",
    sorted((f.path, f.is_dir) for f in client.list_logged_model_artifacts(first.model_id)),
)
record(
    "model artifacts sub",
    sorted(f.path for f in client.list_logged_model_artifacts(first.model_id, "all")),
)
client.delete_logged_model(second.model_id)
call("get deleted", lambda: client.get_logged_model(second.model_id))
record("search after delete", search())
call("delete unknown", lambda: client.delete_logged_model("m-nope"))

# A run's model path, as mlflow 3.18 lists and downloads it.
X = np.array([[0.0], [1.0], [2.0]])
sk = LinearRegression().fit(X, [0.0, 1.0, 2.0])
with mlflow.start_run() as model_run:
    mlflow.sklearn.log_model(sk, name="model")
    mlflow.log_text("t", "notes/n.txt")
rid = model_run.info.run_id
record("list run model", sorted(f.path for f in client.list_artifacts(rid, "model")))
record("list run root", sorted(f.path for f in client.list_artifacts(rid)))
record("list run other", [f.path for f in client.list_artifacts(rid, "nomodel")])
record(
    "list runs uri",
    sorted(f.path for f in mlflow.artifacts.list_artifacts(f"runs:/{rid}/model")),
)
local = mlflow.artifacts.download_artifacts(f"runs:/{rid}/model")
record("download runs uri", (os.path.basename(local), sorted(os.listdir(local))))
one = client.download_artifacts(rid, "model/MLmodel", dst_path="dl")
record("download one file", os.path.relpath(one))
call(
    "download missing",
    lambda: mlflow.artifacts.download_artifacts(f"runs:/{rid}/nothing"),
    msg=no_message,
)
call(
    "log param again, same value",
    lambda: client.log_model_params(first.model_id, {"batch": "8"}),
    msg=no_message,
)
call(
    "log param again, new value",
    lambda: client.log_model_params(first.model_id, {"batch": "9"}),
    msg=no_message,
)
record("params after", mlflow.get_logged_model(first.model_id).params)

# The client's log_metric and log_batch link to the active model too.
linked = mlflow.create_external_model(name="client-linked")
mlflow.set_active_model(model_id=linked.model_id)
with mlflow.start_run() as client_run:
    client.log_metric(client_run.info.run_id, "c1", 1.0)
    client.log_batch(
        client_run.info.run_id,
        metrics=[mlflow.entities.Metric("c2", 2.0, 0, 0), mlflow.entities.Metric("c3", 3.0, 0, 0)],
    )
mlflow.clear_active_model()
record(
    "client linked",
    sorted((m.key, m.value) for m in mlflow.get_logged_model(linked.model_id).metrics),
)

# log_outputs links models to the active run as its outputs.
with mlflow.start_run() as outputs_run:
    mlflow.log_outputs([mlflow.entities.LoggedModelOutput(linked.model_id, 4)])
record(
    "run outputs",
    [
        (o.model_id == linked.model_id, o.step)
        for o in mlflow.get_run(outputs_run.info.run_id).outputs.model_outputs
    ],
)
