"""Reads the models write_models.py logged, through the public API and the files, and records
what it finds, predictions included (for test_interop_models)."""

import os

import numpy as np
import pandas as pd
import yaml

from _parity import call, mlflow, record

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 0.5, 2.5], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
FLAVOR_OF = {"sk": "sklearn", "outside": "sklearn", "xgb": "xgboost", "lgb": "lightgbm"}

experiment = mlflow.get_experiment_by_name("models")
models = mlflow.search_logged_models(
    experiment_ids=[experiment.experiment_id], output_format="list"
)
record("search order", [m.name for m in models])
names = {m.model_id: m.name for m in models}
[run] = mlflow.search_runs([experiment.experiment_id], output_format="list")
outputs = mlflow.get_run(run.info.run_id).outputs.model_outputs
record("run outputs", sorted((names[o.model_id], o.step) for o in outputs))
searched = run.outputs.model_outputs
record("search_runs outputs", sorted((names[o.model_id], o.step) for o in searched))
frame = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id])
record("frame names", list(frame["name"]))
record("frame status", [str(s) for s in frame["status"]])
named = mlflow.search_logged_models(
    experiment_ids=[experiment.experiment_id], filter_string="name = 'xgb'", output_format="list"
)
record("filter by name", [m.name for m in named])

for model in sorted(models, key=lambda m: m.name):
    name = model.name
    got = mlflow.get_logged_model(model.model_id)
    record(
        f"{name}: logged model",
        {
            "status": str(got.status),
            "source_run_id": got.source_run_id,
            "model_type": got.model_type,
            "params": got.params,
            "tags": got.tags,
            "metrics": [(m.key, m.value, m.step, m.run_id) for m in got.metrics or []],
            "artifact_location": got.artifact_location,
            "model_uri_is_models_id": got.model_uri == f"models:/{model.model_id}",
            "experiment_id": got.experiment_id == experiment.experiment_id,
        },
    )
    location = got.artifact_location
    record(f"{name}: files", sorted(os.listdir(location)))
    with open(os.path.join(location, "MLmodel")) as f:
        doc = yaml.safe_load(f)
    flavors = doc.pop("flavors")
    for key in ("utc_time_created", "model_size_bytes"):
        doc.pop(key)
    doc["model_id_matches"] = doc.pop("model_id") == model.model_id
    doc["model_uuid_matches"] = doc.pop("model_uuid") == model.model_id
    record(f"{name}: MLmodel", doc)
    for flavor, conf in flavors.items():
        if conf.get("skops_trusted_types"):
            conf["skops_trusted_types"] = sorted(conf["skops_trusted_types"])
        record(f"{name}: flavor {flavor}", conf)
    with open(os.path.join(location, "python_env.yaml")) as f:
        record(f"{name}: python_env keys", sorted(yaml.safe_load(f)))
    with open(os.path.join(location, "requirements.txt")) as f:
        record(f"{name}: requirements start", f.read().splitlines()[0])
    pyfunc = mlflow.pyfunc.load_model(model.model_uri)
    record(f"{name}: pyfunc predict", np.asarray(pyfunc.predict(X)).tolist())
    record(f"{name}: pyfunc loader", pyfunc.metadata.flavors["python_function"]["loader_module"])
    flavor = getattr(mlflow, FLAVOR_OF[name])
    native = flavor.load_model(model.model_uri)
    record(f"{name}: native type", type(native).__name__)
    record(f"{name}: native predict", np.asarray(native.predict(X)).tolist())
    if hasattr(native, "predict_proba"):
        record(f"{name}: native proba", np.round(native.predict_proba(X), 6).tolist())

record(
    "runs uri",
    mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/sk").predict(X).tolist(),
)
sk_id = next(m.model_id for m in models if m.name == "sk")
record("model info signature", mlflow.models.get_model_info(f"models:/{sk_id}").signature.to_dict())
call(
    "unknown model id",
    lambda: mlflow.pyfunc.load_model("models:/m-0123456789abcdef0123456789abcdef"),
)
call("unknown run", lambda: mlflow.sklearn.load_model("runs:/deadbeef/sk"))
call(
    "no such model in run",
    lambda: mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/nothing"),
)
call("xgb as sklearn", lambda: mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/xgb"))
