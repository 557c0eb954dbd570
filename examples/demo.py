"""Train tiny classifiers and track them with mlrs: a learning-rate sweep written with numpy
(params, per-epoch metrics, the training data as a dataset, a confusion matrix), then
scikit-learn under `autolog` (params, metrics, model), registered and loaded back by alias.

Run from the repository root with `make demo`; it logs to ./mlflow.db, which `mlflow ui` opens.
"""

import time

import numpy as np

import mlrs as mlflow


def make_data(seed: int, n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    true_w = np.array([1.5, -2.0, 0.5, 0.0])
    y = (x @ true_w + rng.normal(scale=0.5, size=n) > 0).astype(float)
    return x, y


def train(x: np.ndarray, y: np.ndarray, lr: float, epochs: int) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for epoch in range(epochs):
        p = 1 / (1 + np.exp(-(x @ w)))
        w -= lr * x.T @ (p - y) / len(y)
        loss = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
        mlflow.log_metric("train_loss", float(loss), step=epoch)
        mlflow.log_metric("train_accuracy", float(np.mean((p > 0.5) == y)), step=epoch)
    return w


def main() -> None:
    mlflow.set_experiment("mlrs-demo")
    x, y = make_data(seed=0)
    x_test, y_test = make_data(seed=1, n=500)
    child_ids, predictions = [], []
    with mlflow.start_run(run_name="logreg-sweep") as parent:
        mlflow.log_input(mlflow.data.from_numpy(x, targets=y, name="synthetic"), context="train")
        started = time.perf_counter()
        for lr in (0.05, 0.2, 1.0):
            with mlflow.start_run(run_name=f"lr={lr}", nested=True) as child:
                child_ids.append(child.info.run_id)
                mlflow.log_params({"lr": lr, "epochs": 200, "features": x.shape[1]})
                mlflow.set_tag("model", "logistic-regression")
                w = train(x, y, lr=lr, epochs=200)
                predicted = ((x_test @ w) > 0).astype(float)
                mlflow.log_metric("test_accuracy", float(np.mean(predicted == y_test)))
                predictions.append(predicted)
    elapsed = time.perf_counter() - started
    for run_id, predicted in zip(child_ids, predictions, strict=True):
        # An mlrs extension: the figure and the table of counts, as artifacts of the run.
        mlflow.log_confusion_matrix(y_test, predicted, run_id=run_id)

    client = mlflow.MlflowClient()
    experiment = mlflow.get_experiment_by_name("mlrs-demo")
    print(f"Tracking URI: {mlflow.get_tracking_uri()}")
    print(f"Experiment:   {experiment.name} (id {experiment.experiment_id})")
    print(f"Parent run:   {parent.info.run_name} ({parent.info.run_id})")
    print(f"Logged 3 runs x 400 metric points in {elapsed * 1000:.0f} ms\n")
    print(f"{'run':<10} {'lr':>5} {'final loss':>11} {'test acc':>9} {'points':>7}")
    for run_id in child_ids:
        run = mlflow.get_run(run_id)
        history = client.get_metric_history(run_id, "train_loss")
        print(
            f"{run.info.run_name:<10} {run.data.params['lr']:>5} "
            f"{run.data.metrics['train_loss']:>11.4f} {run.data.metrics['test_accuracy']:>9.3f} "
            f"{len(history):>7}"
        )
    artifacts = [f.path for f in client.list_artifacts(child_ids[0])]
    print(f"\nArtifacts of {mlflow.get_run(child_ids[0]).info.run_name}: {', '.join(artifacts)}")
    autolog_sklearn(x, y, x_test, y_test)
    print("\nBrowse it with MLflow's UI:  mlflow ui --backend-store-uri sqlite:///mlflow.db")


def autolog_sklearn(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> None:
    """scikit-learn under autolog: the run, its params, metrics and model come on their own."""
    from sklearn.linear_model import LogisticRegression

    mlflow.autolog()
    model = LogisticRegression(C=0.5).fit(x, y)
    mlflow.autolog(disable=True)
    run = mlflow.last_active_run()
    logged = mlflow.last_logged_model()
    version = mlflow.register_model(logged.model_uri, "demo-classifier")
    client = mlflow.MlflowClient()
    client.set_registered_model_alias("demo-classifier", "champion", version.version)
    loaded = mlflow.pyfunc.load_model("models:/demo-classifier@champion")
    agrees = float(np.mean(loaded.predict(x_test) == model.predict(x_test)))
    print(f"\nautolog run:  {run.info.run_name}, {len(run.data.params)} params, metrics:")
    for key, value in sorted(run.data.metrics.items()):
        print(f"  {key:<26} {value:.4f}")
    print(f"Model:        {logged.model_uri}, registered as demo-classifier v{version.version}")
    print(f"Loaded back by alias 'champion': predictions agree on {agrees:.0%} of the test set")


if __name__ == "__main__":
    main()
