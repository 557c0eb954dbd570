"""xgboost autologging with its defaults: models, datasets and artifacts, for `xgboost.train`
and XGBClassifier."""

# parity: fresh-db
import numpy as np
import xgboost as xgb

from _autolog_common import record_runs
from _autolog_full import record_full
from _parity import mlflow

mlflow.xgboost.autolog()
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = (X[:, 0] + rng.normal(size=60) > 0).astype(int)
dtrain = xgb.DMatrix(X[:40], label=y[:40])
dval = xgb.DMatrix(X[40:], label=y[40:])
xgb.train(
    {"objective": "binary:logistic", "eval_metric": ["logloss"], "nthread": 1},
    dtrain,
    num_boost_round=4,
    evals=[(dtrain, "train"), (dval, "val")],
    verbose_eval=False,
)
clf = xgb.XGBClassifier(n_estimators=3, max_depth=2, n_jobs=1)
clf.fit(X[:40], y[:40], eval_set=[(X[40:], y[40:])], verbose=False)
record_runs("xgboost")
record_full("xgboost")
