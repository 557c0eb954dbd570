"""xgboost autologging: params, per-iteration metrics with steps, early stopping."""

# parity: fresh-db
import numpy as np
import xgboost as xgb

from _autolog_common import record_runs
from _parity import mlflow

mlflow.xgboost.autolog(log_models=False, log_datasets=False)
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 4))
y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
dtrain = xgb.DMatrix(X[:150], label=y[:150])
dval = xgb.DMatrix(X[150:], label=y[150:])
xgb.train(
    {"objective": "binary:logistic", "eval_metric": ["logloss", "error"], "nthread": 1},
    dtrain,
    num_boost_round=20,
    evals=[(dtrain, "train"), (dval, "val")],
    early_stopping_rounds=3,
    verbose_eval=False,
)
xgb.train({"objective": "reg:squarederror", "nthread": 1}, dtrain, 5, evals=[(dval, "v")])
clf = xgb.XGBClassifier(n_estimators=30, max_depth=2, early_stopping_rounds=2, n_jobs=1)
clf.fit(X[:150], y[:150], eval_set=[(X[:150], y[:150]), (X[150:], y[150:])], verbose=False)
X_test = X[150:]
clf.score(X_test, y[150:])
record_runs("xgboost")
