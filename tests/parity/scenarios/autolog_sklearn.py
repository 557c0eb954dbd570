"""sklearn autologging: params, training and post-training metrics, tags, search child runs."""

# parity: fresh-db
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from _autolog_common import record_runs
from _parity import mlflow, record

# One child run: mlflow 3.18 inserts the children's dataset inputs from parallel threads, and
# two children race on the datasets table's unique key (the parent run then ends FAILED).
mlflow.sklearn.autolog(
    log_models=False, log_datasets=False, extra_tags={"team": "a"}, max_tuning_runs=1
)
X, y = load_iris(return_X_y=True)
Xr, yr = load_diabetes(return_X_y=True)
model = LogisticRegression(max_iter=200).fit(X, y)
model.score(X, y)
Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=200))]).fit(X, y)
GridSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0, 10.0]}, cv=2).fit(X, y)
with mlflow.start_run():
    ridge = Ridge(alpha=2.0).fit(Xr, yr)
    X_test = Xr[:50]
    ridge.score(X_test, yr[:50])
    ridge.score(X_test, yr[:50])
    from sklearn.metrics import mean_squared_error

    pred = ridge.predict(X_test)
    mean_squared_error(yr[:50], pred)
StandardScaler().fit(X)
record("active run after", mlflow.active_run())
record_runs("sklearn")
