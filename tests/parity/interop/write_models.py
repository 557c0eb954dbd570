"""Logs one model of each flavor, in a run and outside one, and records the ModelInfo each
log_model returns (for test_interop_models)."""

import lightgbm as lgb
import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.linear_model import LogisticRegression

from _parity import call, mlflow, record

X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 0.5, 2.5], "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
Y = np.array([0, 0, 1, 1, 0, 1])
sk = LogisticRegression().fit(X, Y)
xg = xgb.XGBClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, Y)
lg = lgb.LGBMClassifier(n_estimators=2, verbose=-1, min_child_samples=1, random_state=0).fit(X, Y)


def info_fields(info):
    signature = info.signature
    return {
        "model_uri_is_models_id": info.model_uri == f"models:/{info.model_id}",
        "name": info.name,
        "run_id": info.run_id,
        "artifact_path": info.artifact_path,
        "flavors": sorted(info.flavors),
        "loader_module": info.flavors["python_function"]["loader_module"],
        "signature": None if signature is None else signature.to_dict(),
        "saved_input_example_info": info.saved_input_example_info,
        "mlflow_version": info.mlflow_version,
        "registered_model_version": info.registered_model_version,
        "params": info.params,
        "tags": info.tags,
        "metrics": [(m.key, m.value, m.step) for m in info.metrics or []],
        "model_uuid_is_id": info.model_uuid == info.model_id,
    }


mlflow.set_experiment("models")
with mlflow.start_run(run_name="train") as run:
    mlflow.log_param("alpha", "0.5")
    mlflow.log_metric("acc", 0.75)
    info = mlflow.sklearn.log_model(
        sk, name="sk", input_example=X.iloc[:2], tags={"kind": "linear"}, model_type="classifier"
    )
    record("sk", info_fields(info))
    signature = mlflow.models.infer_signature(X, xg.predict(X))
    xgb_info = mlflow.xgboost.log_model(xg, name="xgb", signature=signature, step=1)
    record("xgb", info_fields(xgb_info))
    record("lgb", info_fields(mlflow.lightgbm.log_model(lg, name="lgb", params={"leaves": 3})))
    record("active run outputs", [o.step for o in run.outputs.model_outputs])
    call("bad name", lambda: mlflow.sklearn.log_model(sk, name="a.b"))
    call(
        "name and artifact_path",
        lambda: mlflow.sklearn.log_model(sk, "x", name="y"),
    )
outside = mlflow.sklearn.log_model(sk, name="outside", serialization_format="cloudpickle")
record("outside", info_fields(outside))
record("last_logged_model", mlflow.last_logged_model().name)
