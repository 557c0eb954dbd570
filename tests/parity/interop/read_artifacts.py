"""Lists, downloads and loads the artifacts write_artifacts.py logged (for
test_interop_artifacts); records everything it sees."""

import os

from _artifact_files import files, infos
from _parity import call, mlflow, record

client = mlflow.MlflowClient()
runs = {r.info.run_name: r for r in client.search_runs(["0"])}
one, two = runs["artifacts-one"].info.run_id, runs["artifacts-two"].info.run_id
A = mlflow.artifacts

record("root", runs["artifacts-one"].info.artifact_uri)
record("files", files(runs["artifacts-one"].info.artifact_uri))
record("tags", {k: v for k, v in runs["artifacts-one"].data.tags.items() if "logged" in k})
call("list root", lambda: infos(client.list_artifacts(one)))
for directory in ("tree", "tree/sub", "one/two", "images", "cfg", "tables"):
    call(f"list {directory}", lambda d=directory: infos(client.list_artifacts(one, d)))
call("a.list runs uri", lambda: infos(A.list_artifacts(f"runs:/{one}/tree")))
call("download tree", lambda: client.download_artifacts(one, "tree", "dst"))
call("download file", lambda: client.download_artifacts(one, "notes/hello.txt", "dst"))
call("a.download all", lambda: A.download_artifacts(run_id=one, dst_path="all"))
record("downloaded", [p for p, _ in files(".") if p.startswith(("dst", "all"))])
call("load_text", lambda: A.load_text(f"runs:/{one}/notes/hello.txt"))
call("load_dict json", lambda: A.load_dict(f"runs:/{one}/cfg/data.json"))
call("load_dict yaml", lambda: A.load_dict(f"runs:/{one}/cfg/data.yaml"))
call("load_image", lambda: A.load_image(f"runs:/{one}/imgs/zero.png").size)
call("load_table", lambda: mlflow.load_table("tables/t.json", extra_columns=["run_id"]))
call("load_table parquet", lambda: mlflow.load_table("tables/t.parquet"))
call("load_table one run", lambda: mlflow.load_table("tables/t.json", run_ids=[two]))
with open(os.path.join("dst", "hello.txt"), encoding="utf-8") as f:
    record("downloaded text", f.read())
