"""sklearn autologging with its defaults: models, datasets and artifacts, for a classifier, a
regressor, a Pipeline and a GridSearchCV, with post-training metrics."""

# parity: fresh-db
import sklearn.metrics
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from _autolog_common import record_runs
from _autolog_full import record_full
from _parity import mlflow

# One child run: mlflow 3.18 inserts the children's dataset inputs from parallel threads, and
# two children race on the datasets table's unique key (the parent run then ends FAILED).
mlflow.sklearn.autolog(max_tuning_runs=1)
X, y = load_iris(return_X_y=True)
Xr, yr = load_diabetes(return_X_y=True)
X, y = X[::3], y[::3]
Xr, yr = Xr[:60], yr[:60]
model = LogisticRegression(max_iter=200).fit(X, y)
model.score(X, y)
sklearn.metrics.accuracy_score(y, model.predict(X))
Ridge(alpha=2.0).fit(Xr, yr)
Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(max_iter=200))]).fit(X, y)
GridSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
record_runs("sklearn")
record_full("sklearn")
