"""Logging artifacts: log_artifact(s), log_text, log_dict, log_stream, log_figure, log_image,
log_table; which files each writes under the run's root, and the tags they set."""

import io
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from _artifact_files import files, infos
from _parity import call, mlflow, record

os.makedirs("src/sub", exist_ok=True)
with open("src/a.txt", "w") as f:
    f.write("A")
with open("src/sub/b.txt", "w") as f:
    f.write("BB")

record("no mlruns before a run", os.path.exists("mlruns"))
with mlflow.start_run() as run:
    run_id = run.info.run_id
    record("no mlruns before the first artifact", os.path.exists("mlruns"))
    call("get_artifact_uri", mlflow.get_artifact_uri)
    call("get_artifact_uri with path", lambda: mlflow.get_artifact_uri("x/y.txt"))
    call("get_artifact_uri empty", lambda: mlflow.get_artifact_uri(""))
    call("get_artifact_uri ..", lambda: mlflow.get_artifact_uri("../y.txt"))
    call("log_text", lambda: mlflow.log_text("hello", "notes/hello.txt"))
    call("log_text unicode", lambda: mlflow.log_text("h\u00e9llo \u2713", "notes/u.txt"))
    call("log_text dir/.. normalised", lambda: mlflow.log_text("n", "d/../n.txt"))
    call("log_text dir/./", lambda: mlflow.log_text("n2", "d/./n2.txt"))
    call("log_text backslash", lambda: mlflow.log_text("b", "d\\x.txt"))
    call("log_text overwrite", lambda: mlflow.log_text("hello again", "notes/hello.txt"))
    call("log_artifact", lambda: mlflow.log_artifact("src/a.txt"))
    call("log_artifact into a path", lambda: mlflow.log_artifact("src/a.txt", "dir1/deep"))
    call("log_artifact a directory", lambda: mlflow.log_artifact("src", "asdir"))
    call("log_artifact a directory, no path", lambda: mlflow.log_artifact("src/sub"))
    call("log_artifacts", lambda: mlflow.log_artifacts("src", "tree"))
    call("log_artifacts, no path", lambda: mlflow.log_artifacts("src"))
    call("log_dict json", lambda: mlflow.log_dict({"a": 1, "b": [1, 2]}, "cfg/data.json"))
    call("log_dict yaml", lambda: mlflow.log_dict({"z": 1, "a": {"q": "x"}}, "cfg/data.yaml"))
    call("log_dict yml", lambda: mlflow.log_dict({"k": [1, 2]}, "cfg/data.yml"))
    call("log_dict other extension", lambda: mlflow.log_dict({"a": 1}, "cfg/data.txt"))
    call("log_dict unserialisable", lambda: mlflow.log_dict({"s": {1, 2}}, "cfg/set.json"))
    call("log_dict a list", lambda: mlflow.log_dict([1, 2], "cfg/list.json"))
    call("log_stream", lambda: mlflow.log_stream(io.BytesIO(b"xyz" * 1000), "streams/s.bin"))
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    call("log_figure", lambda: mlflow.log_figure(fig, "figs/plot.png"))
    call("log_figure kwargs", lambda: mlflow.log_figure(fig, "figs/p.pdf", save_kwargs={"dpi": 50}))
    image = np.zeros((4, 6, 3), dtype=np.uint8)
    call("log_image array", lambda: mlflow.log_image(image, "imgs/zero.png"))
    call("log_image gray float", lambda: mlflow.log_image(np.full((3, 3), 0.5), "imgs/f.png"))
    call("log_image 1-channel", lambda: mlflow.log_image(np.ones((3, 3, 1), bool), "imgs/b.png"))
    call("log_image PIL", lambda: mlflow.log_image(Image.new("RGB", (5, 3)), "imgs/pil.jpg"))
    call("log_image series", lambda: mlflow.log_image(image, key="train img", step=3, timestamp=7))
    call("log_image series slash", lambda: mlflow.log_image(image, key="a/b", timestamp=8))
    call("log_table dict", lambda: mlflow.log_table({"a": [1, 2], "b": ["x", "y"]}, "t/t.json"))
    call("log_table appends", lambda: mlflow.log_table({"a": [3], "b": ["z"]}, "t/t.json"))
    call("log_table new column", lambda: mlflow.log_table({"c": ["01"]}, "t/t.json"))
    call("log_table scalars", lambda: mlflow.log_table({"q": "one row"}, "top.json"))
    call("log_table parquet", lambda: mlflow.log_table({"a": [1, 2]}, "t/t.parquet"))
    call("log_table parquet appends", lambda: mlflow.log_table({"a": [3]}, "t/t.parquet"))
    import pandas as pd

    frame = pd.DataFrame({"x": [1.5, 2.5], "y": ["p", "q"]})
    call("log_table DataFrame", lambda: mlflow.log_table(frame, "t/frame.json"))

client = mlflow.MlflowClient()
tags = client.get_run(run_id).data.tags
record("tags", {k: v for k, v in tags.items() if k.startswith("mlflow.logged")})
record("metrics", client.get_run(run_id).data.metrics)
root = client.get_run(run_id).info.artifact_uri
record("files", files(root))
with open(os.path.join(root, "t/t.json")) as f:
    record("table json", f.read())
for name in ("cfg/data.json", "cfg/data.yaml", "cfg/data.yml", "cfg/set.json", "notes/u.txt"):
    with open(os.path.join(root, name), encoding="utf-8") as f:
        record(f"content {name}", f.read())
call("list_artifacts", lambda: infos(client.list_artifacts(run_id)))
call("list_artifacts images", lambda: infos(client.list_artifacts(run_id, "images")))

# The client forms, on a run that is not active.
other = client.create_run(run.info.experiment_id).info.run_id
call("client log_artifact", lambda: client.log_artifact(other, "src/a.txt", "c"))
call("client log_artifacts", lambda: client.log_artifacts(other, "src"))
call("client log_text", lambda: client.log_text(other, "t", "c/t.txt"))
call("client log_dict", lambda: client.log_dict(other, {"k": "v"}, "c/d.json"))
call("client log_stream", lambda: client.log_stream(other, io.BytesIO(b"s"), "c/s.bin"))
call("client log_figure", lambda: client.log_figure(other, fig, "c/f.png"))
call("client log_image", lambda: client.log_image(other, image, "c/i.png"))
call("client log_image series", lambda: client.log_image(other, image, key="k", step=1))
call("client log_table", lambda: client.log_table(other, {"a": [1]}, "c/t.json"))
call("client run files", lambda: files(client.get_run(other).info.artifact_uri))
call("client run tags", lambda: sorted(k for k in client.get_run(other).data.tags))
call("no active run after client calls", mlflow.active_run)

# A fluent artifact call starts a run, as the other log calls do.
call("log_text starts a run", lambda: mlflow.log_text("x", "x.txt"))
record("active after log_text", mlflow.active_run() is not None)
mlflow.end_run()
call("log_artifact with run_id", lambda: mlflow.log_artifact("src/a.txt", run_id=other))
record("no active run after run_id", mlflow.active_run() is None)
record(
    "cwd files",
    [p for p, _ in files(".") if not p.startswith(("mlruns/", "home/", "mlflow.db"))],
)
