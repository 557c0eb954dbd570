"""Bad artifact input: paths that escape the root (.., absolute, dir/..), reserved names, missing
local files, bad images, tables and figures, malformed URIs, unknown runs. Nothing may be
written outside the run's artifact root."""

import io
import os

import numpy as np

from _artifact_files import files
from _parity import call, mlflow, no_message, record

os.makedirs("src", exist_ok=True)
with open("src/a.txt", "w") as f:
    f.write("A")

with mlflow.start_run() as run:
    run_id = run.info.run_id
    for label, path in [
        ("absolute", "/abs.txt"),
        ("dot-dot", "../x.txt"),
        ("escaping through a dir", "a/../../x.txt"),
        ("deep dot-dot", "a/b/../../../x.txt"),
    ]:
        call(f"log_text {label}", lambda p=path: mlflow.log_text("t", p))
        call(f"log_dict {label}", lambda p=path: mlflow.log_dict({"a": 1}, p))
        call(f"log_stream {label}", lambda p=path: mlflow.log_stream(io.BytesIO(b"x"), p))
        call(f"log_image {label}", lambda p=path: mlflow.log_image(np.zeros((2, 2)), p + ".png"))
    for label, path in [
        ("dot-dot", ".."),
        ("absolute", "/tmp"),
        ("dir/..", "a/.."),
        ("dir/../..", "a/../.."),
        ("dot-dot prefix", "../up"),
        ("trailing slash", "a/"),
        ("double slash", "a//b"),
        ("dot", "."),
    ]:
        call(f"log_artifact path {label}", lambda p=path: mlflow.log_artifact("src/a.txt", p))
        call(f"log_artifacts path {label}", lambda p=path: mlflow.log_artifacts("src", p))
    call("log_text empty file name", lambda: mlflow.log_text("t", ""), msg=no_message)
    call("log_text not a str", lambda: mlflow.log_text(5, "five.txt"))
    call(
        "log_text reserved name",
        lambda: mlflow.log_text("t", ".artifact.uploading.x"),
        msg=no_message,
    )
    call("log_artifact missing file", lambda: mlflow.log_artifact("src/nope.txt"))
    call("log_artifact missing file with path", lambda: mlflow.log_artifact("nope", "p"))
    call("log_stream of text", lambda: mlflow.log_stream(io.StringIO("x"), "s.txt"))
    call("log_figure not a figure", lambda: mlflow.log_figure(object(), "f.png"))
    call("log_image a list", lambda: mlflow.log_image([[1, 2]], "l.png"))
    call("log_image no file no key", lambda: mlflow.log_image(np.zeros((2, 2))))
    call("log_image file and key", lambda: mlflow.log_image(np.zeros((2, 2)), "a.png", key="k"))
    call("log_image file and step", lambda: mlflow.log_image(np.zeros((2, 2)), "a.png", step=1))
    call("log_image bad key", lambda: mlflow.log_image(np.zeros((2, 2)), key="a,b"))
    call("log_image ints out of range", lambda: mlflow.log_image(np.full((2, 2), 300), "r.png"))
    call("log_image 5 channels", lambda: mlflow.log_image(np.zeros((2, 2, 5), np.uint8), "c.png"))
    call("log_image 1-D", lambda: mlflow.log_image(np.zeros(4, np.uint8), "d.png"))
    call("log_image complex", lambda: mlflow.log_image(np.zeros((2, 2), complex), "x.png"))
    call("log_table csv", lambda: mlflow.log_table({"a": [1]}, "t.csv"))
    call("log_table list", lambda: mlflow.log_table([1, 2], "t.json"))
    call("log_table forbidden char", lambda: mlflow.log_table({"a": [1]}, "a,b.json"))
    call("log_table dot-dot", lambda: mlflow.log_table({"a": [1]}, "../t.json"))
    call("log_table absolute", lambda: mlflow.log_table({"a": [1]}, "/t.json"))

client = mlflow.MlflowClient()
unknown = "0" * 32
call("client log_text unknown run", lambda: client.log_text(unknown, "t", "t.txt"))
call("client list unknown run", lambda: client.list_artifacts(unknown))
call("client download unknown run", lambda: client.download_artifacts(unknown, "x"))
call("client log_artifact unknown run", lambda: client.log_artifact(unknown, "src/a.txt"))
call("list ..", lambda: client.list_artifacts(run_id, ".."))
call("list absolute", lambda: client.list_artifacts(run_id, "/etc"))
call("list a/../..", lambda: client.list_artifacts(run_id, "a/../.."))
call("download missing", lambda: client.download_artifacts(run_id, "nope", "dst"))
call("download missing, no dst", lambda: client.download_artifacts(run_id, "nope"))
call("download nested missing", lambda: client.download_artifacts(run_id, "a/nope", "dst"))
call("log_artifacts missing dir", lambda: mlflow.log_artifacts("nope", "m", run_id=run_id))
call("log_artifacts of a file", lambda: mlflow.log_artifacts("src/a.txt", "f", run_id=run_id))
call("download ..", lambda: client.download_artifacts(run_id, "../", "dst"))
call("download into a file", lambda: client.download_artifacts(run_id, "src", "src/a.txt"))
A = mlflow.artifacts
call("a.download nothing", lambda: A.download_artifacts())
call("a.download both", lambda: A.download_artifacts(f"runs:/{run_id}/x", run_id=run_id))
call("a.download uri and path", lambda: A.download_artifacts(f"runs:/{run_id}", artifact_path="x"))
call("a.download runs no path", lambda: A.download_artifacts(f"runs:/{run_id}"))
call("a.download runs: no slash", lambda: A.download_artifacts(f"runs:{run_id}"))
call("a.download unknown run", lambda: A.download_artifacts(f"runs:/{unknown}/x"))
call("a.download missing", lambda: A.download_artifacts(run_id=run_id, artifact_path="nope"))
call("a.download plain missing", lambda: A.download_artifacts(run.info.artifact_uri + "/nope"))
call("a.list nothing", lambda: A.list_artifacts())
call("a.list uri and path", lambda: A.list_artifacts(f"runs:/{run_id}/x", artifact_path="x"))
call("a.list runs no path", lambda: A.list_artifacts(f"runs:/{run_id}"))
call("load_text missing", lambda: A.load_text(f"runs:/{run_id}/nope.txt"))
call("load_text a directory", lambda: A.load_text(f"runs:/{run_id}/src"), msg=no_message)
with open("latin1.txt", "wb") as f:
    f.write(b"caf\xe9")
mlflow.log_artifact("latin1.txt", run_id=run_id)
call("load_text not utf-8", lambda: A.load_text(f"runs:/{run_id}/latin1.txt"))
call("load_table bad name", lambda: mlflow.load_table("a:b.json"))

record("run files", files(run.info.artifact_uri))
record(
    "nothing written outside the root",
    sorted(p for p, _ in files(".") if not p.startswith(("mlruns/", "home/", "mlflow.db"))),
)
