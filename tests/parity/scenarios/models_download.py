"""Downloading a logged or registered model by its models:/ URI: where the files land."""

import os

from _parity import mlflow, record


def landed(uri: str, dst: str) -> list[object]:
    os.makedirs(dst)
    returned = mlflow.artifacts.download_artifacts(uri, dst_path=dst)
    files = sorted(
        os.path.relpath(os.path.join(d, f), dst) for d, _, fs in os.walk(dst) for f in fs
    )
    return [os.path.relpath(returned, dst), files]


external = mlflow.create_external_model(name="outside")
record("external model", landed(f"models:/{external.model_id}", "out1"))
version = mlflow.register_model(f"models:/{external.model_id}", "registered")
record("registered version", landed(f"models:/registered/{version.version}", "out3"))
