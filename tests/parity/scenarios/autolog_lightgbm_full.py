"""lightgbm autologging with its defaults: models, datasets and artifacts, for `lightgbm.train`
and LGBMClassifier."""

# parity: fresh-db
import lightgbm as lgb
import numpy as np

from _autolog_common import record_runs
from _autolog_full import record_full
from _parity import mlflow

mlflow.lightgbm.autolog()
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = (X[:, 0] + rng.normal(size=60) > 0).astype(int)
train = lgb.Dataset(X[:40], label=y[:40])
val = lgb.Dataset(X[40:], label=y[40:])
lgb.train(
    {"objective": "binary", "metric": ["binary_logloss"], "verbose": -1, "num_threads": 1},
    train,
    num_boost_round=4,
    valid_sets=[train, val],
    valid_names=["train", "val"],
)
clf = lgb.LGBMClassifier(n_estimators=3, max_depth=2, verbose=-1, n_jobs=1)
clf.fit(X[:40], y[:40], eval_set=[(X[40:], y[40:])])
record_runs("lightgbm")
record_full("lightgbm")
