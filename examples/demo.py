"""Train a tiny logistic-regression model with numpy and track it with mlrs.

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
    started = time.perf_counter()
    child_ids = []
    with mlflow.start_run(run_name="logreg-sweep") as parent:
        for lr in (0.05, 0.2, 1.0):
            with mlflow.start_run(run_name=f"lr={lr}", nested=True) as child:
                child_ids.append(child.info.run_id)
                mlflow.log_params({"lr": lr, "epochs": 200, "features": x.shape[1]})
                mlflow.set_tag("model", "logistic-regression")
                w = train(x, y, lr=lr, epochs=200)
                accuracy = float(np.mean(((x_test @ w) > 0) == y_test))
                mlflow.log_metric("test_accuracy", accuracy)
    elapsed = time.perf_counter() - started

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
    print("\nBrowse it with MLflow's UI:  mlflow ui --backend-store-uri sqlite:///mlflow.db")


if __name__ == "__main__":
    main()
