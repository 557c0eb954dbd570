"""lightgbm autologging: params, per-iteration metrics with steps, early stopping."""

# parity: fresh-db
import lightgbm as lgb
import numpy as np

from _autolog_common import record_runs
from _parity import mlflow

mlflow.lightgbm.autolog(log_models=False, log_datasets=False)
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 4))
y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
train = lgb.Dataset(X[:150], label=y[:150])
val = lgb.Dataset(X[150:], label=y[150:])
lgb.train(
    {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1, "num_threads": 1},
    train,
    num_boost_round=20,
    valid_sets=[train, val],
    valid_names=["train", "val"],
    callbacks=[lgb.early_stopping(3, verbose=False)],
)
clf = lgb.LGBMClassifier(n_estimators=8, max_depth=2, verbose=-1, n_jobs=1)
clf.fit(X[:150], y[:150], eval_X=(X[150:],), eval_y=(y[150:],))
record_runs("lightgbm")
