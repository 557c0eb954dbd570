"""Logs artifacts of every kind into two runs (for test_interop_artifacts)."""

import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from _parity import mlflow

os.makedirs("src/sub", exist_ok=True)
with open("src/a.txt", "w") as f:
    f.write("A")
with open("src/sub/b.txt", "w") as f:
    f.write("BB")

with mlflow.start_run(run_name="artifacts-one"):
    mlflow.log_artifact("src/a.txt")
    mlflow.log_artifact("src/a.txt", "one/two")
    mlflow.log_artifacts("src", "tree")
    mlflow.log_text("h\u00e9llo", "notes/hello.txt")
    mlflow.log_dict({"a": 1, "b": [1, 2]}, "cfg/data.json")
    mlflow.log_dict({"a": 1, "b": [1, 2]}, "cfg/data.yaml")
    mlflow.log_stream(io.BytesIO(b"xyz"), "streams/s.bin")
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    mlflow.log_figure(fig, "figs/plot.png")
    mlflow.log_image(np.zeros((4, 6, 3), dtype=np.uint8), "imgs/zero.png")
    mlflow.log_image(np.zeros((4, 6, 3), dtype=np.uint8), key="series", step=2, timestamp=5)
    mlflow.log_table({"a": [1, 2], "b": ["x", "y"]}, "tables/t.json")
    mlflow.log_table({"a": [3], "b": ["z"]}, "tables/t.json")
    mlflow.log_table({"a": [1, 2]}, "tables/t.parquet")

client = mlflow.MlflowClient()
other = client.create_run("0", run_name="artifacts-two").info.run_id
client.log_text(other, "two", "t.txt")
client.log_table(other, {"a": [9], "b": ["w"]}, "tables/t.json")
client.set_terminated(other)
