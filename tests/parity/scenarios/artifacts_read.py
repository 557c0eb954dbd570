"""Reading artifacts back: list_artifacts, download_artifacts (client and mlrs.artifacts, runs:/
URIs, plain paths, file:// URIs), load_text/load_dict/load_image, load_table."""

import os

import numpy as np

from _artifact_files import files, infos
from _parity import call, mlflow, record

with mlflow.start_run(run_name="reader") as run:
    run_id = run.info.run_id
    mlflow.log_text("hello", "tree/sub/hello.txt")
    mlflow.log_text("top", "top.txt")
    mlflow.log_dict({"a": 1, "b": [1, 2]}, "cfg/data.json")
    mlflow.log_dict({"a": 1, "b": [1, 2]}, "cfg/data.yaml")
    mlflow.log_text("[1, 2]", "cfg/list.json")
    mlflow.log_text("not json", "cfg/bad.json")
    mlflow.log_text("a: [", "cfg/bad.yaml")
    mlflow.log_image(np.zeros((2, 3, 3), dtype=np.uint8), "img/i.png")
    mlflow.log_table({"a": [1, 2], "b": ["x", "y"]}, "tables/t.json")
    mlflow.log_table({"z": ["02108"]}, "tables/t.json")
root = run.info.artifact_uri
client = mlflow.MlflowClient()
A = mlflow.artifacts
runs_uri = f"runs:/{run_id}"

call("list root", lambda: infos(client.list_artifacts(run_id)))
call("list dir", lambda: infos(client.list_artifacts(run_id, "tree")))
call("list dir/", lambda: infos(client.list_artifacts(run_id, "tree/")))
call("list nested", lambda: infos(client.list_artifacts(run_id, "tree/sub")))
call("list a file", lambda: infos(client.list_artifacts(run_id, "top.txt")))
call("list missing", lambda: infos(client.list_artifacts(run_id, "nope")))
call("list type", lambda: type(client.list_artifacts(run_id)).__name__)
call(
    "FileInfo", lambda: [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id)][:2]
)
call("a.list run_id", lambda: infos(A.list_artifacts(run_id=run_id)))
call("a.list run_id path", lambda: infos(A.list_artifacts(run_id=run_id, artifact_path="tree/sub")))
call("a.list runs uri", lambda: infos(A.list_artifacts(f"{runs_uri}/tree/sub")))
call("a.list runs uri/", lambda: infos(A.list_artifacts(f"{runs_uri}/tree/")))
call("a.list plain path", lambda: infos(A.list_artifacts(root + "/tree")))
call("a.list file uri", lambda: infos(A.list_artifacts("file://" + root + "/tree")))
call("a.list plain missing", lambda: infos(A.list_artifacts(root + "/nope")))

os.makedirs("dst", exist_ok=True)
call("download dir", lambda: client.download_artifacts(run_id, "tree", "dst"))
call("download file", lambda: client.download_artifacts(run_id, "top.txt", "dst"))
call("download nested", lambda: client.download_artifacts(run_id, "tree/sub", "d_nested"))
call("download root", lambda: client.download_artifacts(run_id, "", "d_root"))
call("download None path", lambda: client.download_artifacts(run_id, None, "d_none"))
call("download into a new dir", lambda: client.download_artifacts(run_id, "top.txt", "new/dir"))
tmp = client.download_artifacts(run_id, "tree")
record("temp dir copy", [os.path.basename(tmp), os.path.isdir(tmp), tmp.startswith(root)])
call("a.download run only", lambda: A.download_artifacts(run_id=run_id))
call("a.download run only dst", lambda: A.download_artifacts(run_id=run_id, dst_path="d_run"))
call("a.download runs uri", lambda: A.download_artifacts(f"{runs_uri}/tree/sub", dst_path="d_u"))
call("a.download runs uri/", lambda: A.download_artifacts(f"{runs_uri}/", dst_path="d_all"))
call("a.download runs file", lambda: A.download_artifacts(f"{runs_uri}/top.txt", dst_path="d_f"))
call("a.download plain path", lambda: A.download_artifacts(root + "/tree"))
call("a.download plain dst", lambda: A.download_artifacts(root + "/tree", dst_path="d_p"))
call("a.download file uri", lambda: A.download_artifacts("file://" + root + "/top.txt"))
record("downloaded files", [p for p, _ in files(".") if p.startswith(("d", "new/"))])

call("load_text", lambda: A.load_text(f"{runs_uri}/tree/sub/hello.txt"))
call("load_text plain", lambda: A.load_text(root + "/top.txt"))
call("load_dict json", lambda: A.load_dict(f"{runs_uri}/cfg/data.json"))
call("load_dict yaml", lambda: A.load_dict(f"{runs_uri}/cfg/data.yaml"))
call("load_dict list", lambda: A.load_dict(f"{runs_uri}/cfg/list.json"))
call("load_dict bad json", lambda: A.load_dict(f"{runs_uri}/cfg/bad.json"))
call("load_dict bad yaml", lambda: A.load_dict(f"{runs_uri}/cfg/bad.yaml"))
call("load_image", lambda: A.load_image(f"{runs_uri}/img/i.png").size)
call("load_image mode", lambda: A.load_image(f"{runs_uri}/img/i.png").mode)
call("load_image not an image", lambda: A.load_image(f"{runs_uri}/top.txt"))

call("load_table", lambda: mlflow.load_table("tables/t.json"))
call(
    "load_table extra columns",
    lambda: mlflow.load_table("tables/t.json", run_ids=[run_id], extra_columns=["run_id"]),
)
call("client load_table", lambda: client.load_table("0", "tables/t.json", extra_columns=["run_id"]))
call("load_table missing", lambda: mlflow.load_table("tables/none.json"))
