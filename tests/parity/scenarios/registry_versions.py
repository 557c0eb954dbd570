"""Model versions: sources (paths, runs:/ with an MLmodel, runs:/ of a LoggedModel that real
mlflow logged, models:/m-<id>, models:/<name>/<version>), update, delete, tags, stages."""

import os
import sqlite3
import warnings

from _mlflow_model import log_models
from _parity import call, captured_logs, mlflow, record
from _registry_parity import rcall

warnings.simplefilter("ignore", FutureWarning)
client = mlflow.MlflowClient()
client.create_registered_model("m")

rcall("version from path", lambda: client.create_model_version("m", "/data/model"))
rcall(
    "version with everything",
    lambda: client.create_model_version(
        "m", "s3://bucket/x", run_id="r1", tags={"k": 1}, run_link="http://l", description="d"
    ),
)
rcall("version of missing model", lambda: client.create_model_version("nope", "/x"))
rcall("get version 2", lambda: client.get_model_version("m", "2"))
rcall("get version int", lambda: client.get_model_version("m", 2))
rcall("get version 99", lambda: client.get_model_version("m", "99"))
rcall("get version x", lambda: client.get_model_version("m", "x"))
rcall("download uri", lambda: client.get_model_version_download_uri("m", "1"))

rcall("update version", lambda: client.update_model_version("m", "1", description="new"))
rcall("update without description", lambda: client.update_model_version("m", "1"))
rcall("update missing version", lambda: client.update_model_version("m", "9", description="x"))

call("set version tag", lambda: client.set_model_version_tag("m", "1", "a", "b"))
call("set version tag int value", lambda: client.set_model_version_tag("m", "1", "n", 3))
call("delete version tag", lambda: client.delete_model_version_tag("m", "1", "n"))
call("delete absent version tag", lambda: client.delete_model_version_tag("m", "1", "zz"))
call("tag without version", lambda: client.set_model_version_tag("m", key="a", value="b"))
call(
    "tag with version and stage",
    lambda: client.set_model_version_tag("m", "1", "a", "b", stage="None"),
)
call("fluent set_model_version_tag", lambda: mlflow.set_model_version_tag("m", "2", "f", "g"))
rcall("tags now", lambda: client.get_model_version("m", "1").tags)

rcall("latest versions", lambda: client.get_latest_versions("m"))
rcall("transition", lambda: client.transition_model_version_stage("m", "1", "production"))
rcall("latest production", lambda: client.get_latest_versions("m", stages=["Production"]))
rcall("latest bad stage", lambda: client.get_latest_versions("m", stages=["bogus"]))
rcall("model after transition", lambda: client.get_registered_model("m").latest_versions)

client.set_registered_model_alias("m", "a1", "1")
call("delete version 1", lambda: client.delete_model_version("m", "1"))
rcall("deleted version", lambda: client.get_model_version("m", "1"))
rcall("alias of deleted version", lambda: client.get_registered_model("m").aliases)
rcall("next version after delete", lambda: client.create_model_version("m", "/z").version)
call("delete deleted version", lambda: client.delete_model_version("m", "1"))
db = sqlite3.connect("mlflow.db")
record(
    "deleted row",
    db.execute(
        "SELECT current_stage, source, run_id, run_link, description, storage_location, status "
        "FROM model_versions WHERE name = 'm' AND version = 1"
    ).fetchall(),
)
record(
    "deleted row keeps tags",
    db.execute("SELECT key FROM model_version_tags WHERE version = 1").fetchall(),
)

# runs:/ of a run whose artifacts hold an MLmodel: the run's artifact directory.
with mlflow.start_run() as run:
    pass
model_dir = os.path.join(run.info.artifact_uri, "packaged")
os.makedirs(model_dir)
with open(os.path.join(model_dir, "MLmodel"), "w") as f:
    f.write("flavors: {}\n")
rcall(
    "register runs:/ with MLmodel",
    lambda: mlflow.register_model(f"runs:/{run.info.run_id}/packaged", "fromrun"),
)
rcall(
    "register runs:/ nothing there",
    lambda: mlflow.register_model(f"runs:/{run.info.run_id}/nothing", "fromrun"),
)
rcall(
    "register runs:/ unknown run",
    lambda: mlflow.register_model("runs:/0123456789abcdef0123456789abcdef/model", "fromrun"),
)
rcall("register bad runs uri", lambda: mlflow.register_model("runs:/", "fromrun"))

# Real mlflow logs LoggedModels; both implementations register them.
logged, two = log_models("logged", [("model", 1), ("twice", 2)])
run_id, model_id = logged["run_id"], logged["model_ids"][0]
with captured_logs() as logs:
    rcall(
        "register runs:/ of a logged model",
        lambda: mlflow.register_model(f"runs:/{run_id}/model", "lm"),
    )
record("fallback warning", "registering model based on models:/" in logs.getvalue())
rcall("register models:/<id>", lambda: mlflow.register_model(f"models:/{model_id}", "lm"))
rcall(
    "client version from models:/<id>",
    lambda: client.create_model_version("lm", f"models:/{model_id}"),
)
rcall(
    "client version from models:/<id> keeps run",
    lambda: client.create_model_version("lm", f"models:/{model_id}", run_id="explicit"),
)
rcall(
    "client version with model_id",
    lambda: client.create_model_version("lm", "/p", model_id=model_id),
)
rcall("register models:/<name>/<version>", lambda: mlflow.register_model("models:/lm/1", "copy"))
rcall(
    "register models:/ missing id",
    lambda: mlflow.register_model("models:/m-00000000000000000000000000000000", "copy"),
)
rcall("register models:/ missing version", lambda: mlflow.register_model("models:/lm/42", "copy"))
rcall(
    "version from models:/name@alias", lambda: client.create_model_version("copy", "models:/lm@x")
)
rcall("version from bad models uri", lambda: client.create_model_version("copy", "models:/a/b/c"))
rcall(
    "logged model link tag",
    lambda: db.execute(
        "SELECT tag_value FROM logged_model_tags WHERE model_id = ? "
        "AND tag_key = 'mlflow.modelVersions'",
        (model_id,),
    ).fetchall(),
)
record(
    "stored versions",
    db.execute(
        "SELECT name, version, source, storage_location, run_id, user_id, current_stage, status, "
        "run_link, workspace FROM model_versions WHERE name IN ('lm', 'copy', 'fromrun') "
        "ORDER BY name, version"
    ).fetchall(),
)
rcall(
    "runs:/ of two logged models",
    lambda: mlflow.register_model(f"runs:/{two['run_id']}/twice", "two"),
)
record(
    "picks the later one",
    client.get_model_version("two", "1").source == f"models:/{two['model_ids'][1]}",
)
