"""What the full-autolog scenarios record beyond `_autolog_common`: each run's artifact files,
dataset inputs and model outputs, and each logged model's record, files, MLmodel and signature.
Model ids become ``<model0>``, ``<model1>``... by first appearance, like run ids."""

import os
import re
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from _autolog_common import VOLATILE_METRICS, runs
from _parity import mlflow, record

MODEL_ID = re.compile(r"\bm-[0-9a-f]{32}\b")
_model_ids: dict[str, str] = {}
# MLmodel keys whose values are ids, times or versions of the installed packages.
VOLATILE_MLMODEL = ("artifact_path", "model_id", "run_id", "utc_time_created", "mlflow_version")


def _model(text: str) -> str:
    return MODEL_ID.sub(
        lambda m: _model_ids.setdefault(m.group(0), f"<model{len(_model_ids)}>"), text
    )


def artifact_files(client: Any, run_id: str, path: str | None = None) -> list[str]:
    found = []
    for item in client.list_artifacts(run_id, path):
        if item.is_dir:
            found.extend(artifact_files(client, run_id, item.path))
        else:
            found.append(item.path)
    return sorted(found)


def local_files(root: str) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


def record_flavors(flavors: dict[str, Any]) -> dict[str, Any]:
    kept = {}
    for name, conf in flavors.items():
        conf = dict(conf)
        for version_key in ("sklearn_version", "xgb_version", "lgb_version", "python_version"):
            if version_key in conf:
                conf[version_key] = "<version>"
        # MLflow lists these from a set (its order follows the hash seed); mlrs sorts them.
        if conf.get("skops_trusted_types"):
            conf["skops_trusted_types"] = sorted(conf["skops_trusted_types"])
        if name == "python_function" and "env" in conf:
            conf["env"] = dict(conf["env"])
        kept[name] = conf
    return kept


def record_model(label: str, model: Any) -> None:
    record(f"{label} name", model.name)
    record(f"{label} status", str(model.status))
    record(f"{label} params", dict(sorted(model.params.items())))
    record(
        f"{label} metrics",
        sorted(
            (m.key, m.step, m.dataset_name, m.dataset_digest, _model(m.run_id))
            for m in (model.metrics or [])
            if m.key not in VOLATILE_METRICS
        ),
    )
    record(f"{label} tags", sorted(model.tags))
    root = unquote(urlparse(model.artifact_location).path)
    record(f"{label} files", local_files(root))
    with open(os.path.join(root, "MLmodel")) as f:
        mlmodel = yaml.safe_load(f)
    record(f"{label} MLmodel keys", sorted(mlmodel))
    record(f"{label} flavors", record_flavors(mlmodel.get("flavors", {})))
    record(f"{label} signature", mlmodel.get("signature"))
    record(f"{label} saved_input_example_info", mlmodel.get("saved_input_example_info"))


def record_full(label: str) -> None:
    client = mlflow.MlflowClient()
    found = runs()
    experiments = sorted({r.info.experiment_id for r in found})
    models = {
        m.model_id: m
        for m in mlflow.search_logged_models(experiment_ids=experiments, output_format="list")
    }
    for i, run in enumerate(found):
        run_id = run.info.run_id
        record(f"{label} run {i} artifacts", artifact_files(client, run_id))
        inputs = []
        for d in run.inputs.dataset_inputs:
            inputs.append(
                {
                    "name": d.dataset.name,
                    "digest": d.dataset.digest,
                    "source_type": d.dataset.source_type,
                    "schema": d.dataset.schema,
                    "profile": d.dataset.profile,
                    "tags": {t.key: t.value for t in d.tags},
                }
            )
        record(f"{label} run {i} dataset inputs", sorted(inputs, key=repr))
        outputs = run.outputs.model_outputs if run.outputs else []
        # Ordered by name: MLflow lists a run's outputs in an order of its own.
        outputs = sorted(outputs, key=lambda o: (models[o.model_id].name, o.step))
        record(
            f"{label} run {i} model outputs",
            [(_model(o.model_id), o.step) for o in outputs],
        )
        for o in outputs:
            record_model(f"{label} {_model(o.model_id)}", models[o.model_id])
    record(f"{label} logged models", sorted(_model(m) for m in models))
