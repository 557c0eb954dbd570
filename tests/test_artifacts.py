"""Artifacts: every logging and reading call, bad input, and that nothing is ever written outside
the run's artifact root (or, for downloads, outside the destination)."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _ci import import_or_unavailable

import mlrs
from mlrs import MlflowClient
from mlrs.entities import FileInfo
from mlrs.exceptions import MlflowException


def tree(top: Path) -> list[str]:
    """Every path under `top`, relative, sorted (directories end with /)."""
    out = []
    for directory, dirs, names in os.walk(top):
        rel = Path(directory).relative_to(top)
        out += [f"{rel / d}/" for d in dirs] + [str(rel / n) for n in names]
    return sorted(p.removeprefix("./") for p in out)


@pytest.fixture
def run_root() -> Path:
    """An active run; its artifact root (not created yet)."""
    run = mlrs.start_run()
    return Path(run.info.artifact_uri)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to mlruns that no artifact call may write into."""
    path = tmp_path / "outside"
    path.mkdir()
    return path


def test_root_is_experiment_location_run_id_artifacts(tmp_path: Path) -> None:
    run = mlrs.start_run()
    assert run.info.artifact_uri == f"{tmp_path}/mlruns/0/{run.info.run_id}/artifacts"
    assert mlrs.get_artifact_uri() == run.info.artifact_uri
    assert mlrs.get_artifact_uri("a/b.txt") == run.info.artifact_uri + "/a/b.txt"
    assert not (tmp_path / "mlruns").exists()  # created by the first artifact only
    mlrs.log_text("x", "x.txt")
    assert (tmp_path / "mlruns").is_dir()


def test_get_artifact_uri_starts_a_run() -> None:
    assert mlrs.active_run() is None
    uri = mlrs.get_artifact_uri()
    assert mlrs.active_run() is not None
    assert uri == _active().info.artifact_uri


def test_log_text_dict_stream(run_root: Path) -> None:
    mlrs.log_text("h\u00e9", "notes/a.txt")
    mlrs.log_dict({"b": 1, "a": [1, 2]}, "cfg/d.json")
    mlrs.log_dict({"b": 1, "a": {"x": "y"}}, "cfg/d.yaml")
    mlrs.log_dict({"s": {1}}, "cfg/other.txt")
    mlrs.log_stream(io.BytesIO(b"\0\1" * 10), "bin/s.bin")
    assert (run_root / "notes/a.txt").read_text(encoding="utf-8") == "h\u00e9"
    assert json.loads((run_root / "cfg/d.json").read_text()) == {"b": 1, "a": [1, 2]}
    assert (run_root / "cfg/d.json").read_text().startswith('{\n  "b": 1,')
    assert (run_root / "cfg/d.yaml").read_text() == "a:\n  x: y\nb: 1\n"
    assert json.loads((run_root / "cfg/other.txt").read_text()) == {"s": "{1}"}
    assert (run_root / "bin/s.bin").read_bytes() == b"\0\1" * 10
    assert mlrs.artifacts.load_dict(str(run_root / "cfg/d.yaml")) == {"b": 1, "a": {"x": "y"}}


def test_log_artifact_and_artifacts(tmp_path: Path, run_root: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "sub/b.txt").write_text("BB")
    mlrs.log_artifact(str(src / "a.txt"))
    mlrs.log_artifact(src / "a.txt", "one/two")  # type: ignore[arg-type]  # a PathLike works
    mlrs.log_artifact(str(src), "dirs")
    mlrs.log_artifacts(str(src), "tree")
    mlrs.log_artifacts(str(src))
    assert tree(run_root) == [
        "a.txt",
        "dirs/",
        "dirs/src/",
        "dirs/src/a.txt",
        "dirs/src/sub/",
        "dirs/src/sub/b.txt",
        "one/",
        "one/two/",
        "one/two/a.txt",
        "sub/",
        "sub/b.txt",
        "tree/",
        "tree/a.txt",
        "tree/sub/",
        "tree/sub/b.txt",
    ]
    with pytest.raises(FileNotFoundError, match=r"\[Errno 2\] No such file or directory: 'nope'"):
        mlrs.log_artifact("nope")
    with pytest.raises(FileNotFoundError):
        mlrs.log_artifacts("nope")
    with pytest.raises(NotADirectoryError):
        mlrs.log_artifacts(str(src / "a.txt"))


def test_relogging_the_artifact_itself_is_a_no_op(run_root: Path) -> None:
    mlrs.log_text("same", "f.txt")
    mlrs.log_artifact(str(run_root / "f.txt"))
    assert (run_root / "f.txt").read_text() == "same"


def test_large_file_is_copied_by_rust_without_python_memory(tmp_path: Path) -> None:
    """A 64 MiB file is copied in a child process whose peak memory stays far below it."""
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(64 << 20)  # sparse: cheap to make
        f.seek((64 << 20) - 4)
        f.write(b"tail")
    code = (
        "import resource, sys, mlrs\n"
        "mlrs.set_tracking_uri('sqlite:///' + sys.argv[2])\n"
        "mlrs.start_run()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "mlrs.log_artifact(sys.argv[1], 'big')\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(after - before, mlrs.get_artifact_uri('big/big.bin'))\n"
        "mlrs.end_run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(big), str(tmp_path / "child.db")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    grown_kib, copied = done.stdout.split()
    assert int(grown_kib) < 16 * 1024  # ru_maxrss is in KiB on Linux
    assert os.path.getsize(copied) == 64 << 20
    with open(copied, "rb") as f:
        f.seek(-4, os.SEEK_END)
        assert f.read() == b"tail"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0


# ---- traversal -----------------------------------------------------------------------------

ESCAPING_FILES = ["../x.txt", "/abs.txt", "a/../../x.txt", "a/b/../../../x.txt", "../../x.txt"]
ESCAPING_DIRS = ["..", "../up", "/tmp", "a/..", "a/../..", ".", "a//b", "a/"]


@pytest.mark.parametrize("artifact_file", ESCAPING_FILES)
def test_artifact_file_cannot_escape(artifact_file: str, tmp_path: Path, run_root: Path) -> None:
    before = tree(tmp_path)
    calls = [
        lambda: mlrs.log_text("t", artifact_file),
        lambda: mlrs.log_dict({"a": 1}, artifact_file),
        lambda: mlrs.log_stream(io.BytesIO(b"x"), artifact_file),
        lambda: mlrs.log_image(np.zeros((2, 2), np.uint8), artifact_file + ".png"),
        lambda: mlrs.log_table({"a": [1]}, artifact_file + ".json"),
    ]
    for call in calls:
        with pytest.raises(MlflowException) as info:
            call()  # type: ignore[no-untyped-call]
        assert info.value.message.startswith(("Invalid artifact path: ", "Invalid path: "))
    assert tree(tmp_path) == before  # not even the run's root was created


def test_artifact_path_message_and_code_match_mlflow(run_root: Path) -> None:
    repo = import_or_unavailable("mlflow.store.artifact.artifact_repo")
    # log_text checks the directory part of the artifact file, as mlflow's does.
    for artifact_file, directory in (("../x.txt", ".."), ("/abs.txt", "/")):
        with pytest.raises(MlflowException) as ours:
            mlrs.log_text("t", artifact_file)
        with pytest.raises(Exception, match=r"^Invalid artifact path") as theirs:
            repo.verify_artifact_path(directory)
        assert (ours.value.error_code, ours.value.message) == (
            theirs.value.error_code,  # type: ignore[attr-defined]
            theirs.value.message,  # type: ignore[attr-defined]
        )


@pytest.mark.parametrize("artifact_path", ESCAPING_DIRS)
def test_artifact_path_cannot_escape(
    artifact_path: str, tmp_path: Path, run_root: Path, outside: Path
) -> None:
    src = outside / "a.txt"
    src.write_text("A")
    before = tree(tmp_path)
    with pytest.raises(MlflowException, match=r"^Invalid artifact path: "):
        mlrs.log_artifact(str(src), artifact_path)
    with pytest.raises(MlflowException, match=r"^Invalid artifact path: "):
        mlrs.log_artifacts(str(outside), artifact_path)
    assert tree(tmp_path) == before


def test_normalised_dir_dot_dot_stays_inside(run_root: Path) -> None:
    mlrs.log_text("n", "d/../n.txt")
    mlrs.log_text("m", "d/./e/m.txt")
    assert tree(run_root) == ["d/", "d/e/", "d/e/m.txt", "n.txt"]


def test_symlink_in_root_pointing_outside_refuses_writes(run_root: Path, outside: Path) -> None:
    mlrs.log_text("x", "x.txt")
    (run_root / "link").symlink_to(outside)
    (run_root / "file-link.txt").symlink_to(outside / "target.txt")
    src = outside.parent / "src.txt"
    src.write_text("s")
    calls = [
        lambda: mlrs.log_text("t", "link/t.txt"),
        lambda: mlrs.log_text("t", "link/deeper/t.txt"),
        lambda: mlrs.log_text("t", "file-link.txt"),
        lambda: mlrs.log_dict({}, "link/d.json"),
        lambda: mlrs.log_stream(io.BytesIO(b"x"), "link/s.bin"),
        lambda: mlrs.log_artifact(str(src), "link"),
        lambda: mlrs.log_artifact(str(src), "link/sub"),
        lambda: mlrs.log_image(np.zeros((2, 2), np.uint8), "link/i.png"),
        lambda: mlrs.log_table({"a": [1]}, "link/t.json"),
    ]
    for call in calls:
        with pytest.raises(MlflowException, match="outside the artifact directory"):
            call()  # type: ignore[no-untyped-call]
    assert tree(outside) == []


def test_symlinked_dir_in_destination_of_a_tree_is_refused(
    tmp_path: Path, run_root: Path, outside: Path
) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub/b.txt").write_text("b")
    mlrs.log_text("x", "tree/x.txt")
    (run_root / "tree/sub").symlink_to(outside)
    with pytest.raises(MlflowException, match="outside the artifact directory"):
        mlrs.log_artifacts(str(src), "tree")
    assert tree(outside) == []


def test_symlinks_inside_a_logged_dir_are_copied_as_files(
    tmp_path: Path, run_root: Path, outside: Path
) -> None:
    (outside / "secret.txt").write_text("S")
    (outside / "d").mkdir()
    (outside / "d/in.txt").write_text("I")
    src = tmp_path / "src"
    src.mkdir()
    (src / "link.txt").symlink_to(outside / "secret.txt")
    (src / "dirlink").symlink_to(outside / "d")
    (src / "loop").symlink_to(src)
    mlrs.log_artifacts(str(src), "t")
    assert (run_root / "t/link.txt").read_text() == "S"
    assert (run_root / "t/dirlink/in.txt").read_text() == "I"
    assert not any(p.is_symlink() for p in run_root.rglob("*"))
    assert tree(run_root / "t/loop") == []  # a loop is cut, not followed forever
    (src / "dangling").symlink_to(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        mlrs.log_artifacts(str(src), "u")


def test_logging_a_dir_that_contains_the_root_does_not_recurse(tmp_path: Path) -> None:
    mlrs.start_run()
    (tmp_path / "a.txt").write_text("a")
    mlrs.log_text("x", "x.txt")
    mlrs.log_artifacts(str(tmp_path), "snapshot")
    root = Path(mlrs.get_artifact_uri())
    assert (root / "snapshot/a.txt").read_text() == "a"
    rel = root.relative_to(tmp_path)
    assert (root / "snapshot" / rel / "x.txt").read_text() == "x"  # the root as it was
    assert not list((root / "snapshot").glob("**/snapshot"))  # but not copied into itself


def test_downloads_cannot_escape(tmp_path: Path, run_root: Path, outside: Path) -> None:
    run_id = _active().info.run_id
    mlrs.log_text("x", "d/x.txt")
    client = MlflowClient()
    dst = tmp_path / "dst"
    for path in ["..", "../", "../..", "d/../..", "/etc/passwd", "../x"]:
        with pytest.raises(MlflowException) as info:
            client.download_artifacts(run_id, path, str(dst))
        assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
        with pytest.raises(MlflowException):
            mlrs.artifacts.load_text(f"runs:/{run_id}/{path}")
    for path in ["..", "/etc", "a/../.."]:
        with pytest.raises(MlflowException, match="outside the artifact directory") as info:
            client.list_artifacts(run_id, path)
        assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    # A symlink in the root that leads out of it is not followed by downloads and loads.
    (outside / "secret.txt").write_text("S")
    (run_root / "d/secret.txt").symlink_to(outside / "secret.txt")
    (run_root / "leak").symlink_to(outside)
    for path in ["d", "d/secret.txt", "leak"]:
        with pytest.raises(MlflowException):
            client.download_artifacts(run_id, path, str(tmp_path / "dst2"))
    with pytest.raises(MlflowException):
        mlrs.artifacts.load_text(f"runs:/{run_id}/d/secret.txt")
    with pytest.raises(MlflowException):
        client.list_artifacts(run_id, "leak")
    # Nothing was written outside the destinations.
    assert tree(outside) == ["secret.txt"]


def test_download_into_symlinked_destination_is_refused(tmp_path: Path, outside: Path) -> None:
    run_id = mlrs.start_run().info.run_id
    mlrs.log_text("x", "d/x.txt")
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "d").symlink_to(outside)
    with pytest.raises(MlflowException, match="Failed to download artifacts from path 'd'"):
        MlflowClient().download_artifacts(run_id, "d", str(dst))
    assert tree(outside) == []


# ---- listing and downloading ---------------------------------------------------------------


def test_list_and_download(tmp_path: Path, run_root: Path) -> None:
    run_id = _active().info.run_id
    client = MlflowClient()
    assert client.list_artifacts(run_id) == []  # no root yet: no error
    mlrs.log_text("hello", "tree/sub/hello.txt")
    mlrs.log_text("top", "top.txt")
    (run_root / ".artifact.uploading.leftover").write_text("hidden")
    assert client.list_artifacts(run_id) == [
        FileInfo("top.txt", False, 3),
        FileInfo("tree", True, None),
    ]
    assert client.list_artifacts(run_id, "tree/") == [FileInfo("tree/sub", True, None)]
    assert client.list_artifacts(run_id, "top.txt") == []
    assert client.list_artifacts(run_id, "missing") == []
    assert mlrs.artifacts.list_artifacts(f"runs:/{run_id}/tree/sub") == [
        FileInfo("sub/hello.txt", False, 5)
    ]
    got = client.download_artifacts(run_id, "tree/sub", str(tmp_path / "d1"))
    assert got == str(tmp_path / "d1/sub")
    assert (tmp_path / "d1/sub/hello.txt").read_text() == "hello"
    got = mlrs.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "d2"))
    assert tree(Path(got)) == ["top.txt", "tree/", "tree/sub/", "tree/sub/hello.txt"]
    assert mlrs.artifacts.download_artifacts(run_id=run_id) == str(run_root)  # in place
    copied = mlrs.artifacts.download_artifacts(f"runs:/{run_id}/top.txt")
    assert Path(copied).read_text() == "top"
    assert not copied.startswith(str(run_root))
    assert mlrs.artifacts.load_text(f"runs:/{run_id}/top.txt") == "top"
    assert mlrs.artifacts.load_text("file://" + str(run_root / "top.txt")) == "top"
    with pytest.raises(MlflowException, match="Failed to download artifacts from path 'nope'"):
        client.download_artifacts(run_id, "nope")


def test_other_schemes_are_refused_clearly() -> None:
    experiment_id = mlrs.create_experiment("s3", artifact_location="s3://bucket/path")
    run = MlflowClient().create_run(experiment_id)
    with pytest.raises(MlflowException, match="local file system only") as info:
        MlflowClient().log_text(run.info.run_id, "x", "x.txt")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="local file system only"):
        mlrs.artifacts.list_artifacts("gs://bucket/x")


def test_a_file_uri_on_another_host_is_refused() -> None:
    # Its path must not be taken as a local one (it was, once, before models and artifacts
    # shared one parser of artifact locations).
    experiment_id = mlrs.create_experiment("remote-file", artifact_location="file://host/data")
    run = MlflowClient().create_run(experiment_id)
    with pytest.raises(MlflowException, match="local file system only") as info:
        MlflowClient().log_text(run.info.run_id, "x", "x.txt")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert not (Path("/data") / run.info.run_id).exists()


def test_file_uri_artifact_location(tmp_path: Path) -> None:
    location = (tmp_path / "elsewhere").as_uri()
    experiment_id = mlrs.create_experiment("file-uri", artifact_location=location)
    with mlrs.start_run(experiment_id=experiment_id) as run:
        mlrs.log_text("x", "x.txt")
    assert (tmp_path / f"elsewhere/{run.info.run_id}/artifacts/x.txt").read_text() == "x"
    assert MlflowClient().list_artifacts(run.info.run_id) == [FileInfo("x.txt", False, 1)]


# ---- images, figures, tables ---------------------------------------------------------------


def test_log_image_files_and_series(run_root: Path) -> None:
    from PIL import Image

    mlrs.log_image(np.zeros((4, 6, 3), np.uint8), "i/rgb.png")
    mlrs.log_image(np.full((3, 3), 0.5), "i/gray.png")
    mlrs.log_image(Image.new("RGBA", (2, 5)), "i/pil.png")
    with pytest.warns(UserWarning, match="Rescaling values"):
        mlrs.log_image(np.arange(4.0).reshape(2, 2), "i/scaled.png")
    with Image.open(run_root / "i/rgb.png") as rgb, Image.open(run_root / "i/gray.png") as gray:
        assert rgb.size == (6, 4)
        assert np.asarray(gray).tolist() == [[127] * 3] * 3
    mlrs.log_image(np.zeros((10, 40, 3), np.uint8), key="a/b", step=2, timestamp=99)
    names = sorted(os.listdir(run_root / "images"))
    assert len(names) == 2
    assert names[0].startswith("a~b+step+2+timestamp+99+")
    assert names[0].endswith("+compressed.webp")
    assert names[1] == names[0].replace("+compressed.webp", ".png")
    with Image.open(run_root / "images" / names[0]) as thumbnail:
        assert thumbnail.size == (256, 64)
    run = mlrs.get_run(_active().info.run_id)
    assert run.data.tags["mlflow.loggedImages"] == "True"
    assert run.data.metrics == {}
    with pytest.raises(TypeError, match="exactly one of `artifact_file` or `key`"):
        mlrs.log_image(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Integer pixel values out of acceptable range"):
        mlrs.log_image(np.full((2, 2), 256), "bad.png")
    with pytest.raises(ValueError, match="Invalid channel length: 2"):
        mlrs.log_image(np.zeros((2, 2, 2), np.uint8), "bad.png")
    with pytest.raises(TypeError, match="Unsupported image object type"):
        mlrs.log_image("not an image", "bad.png")
    assert not (run_root / "bad.png").exists()
    loaded = mlrs.artifacts.load_image(f"runs:/{run.info.run_id}/i/pil.png")
    assert (loaded.size, loaded.mode) == ((2, 5), "RGBA")


def test_log_figure_matplotlib(run_root: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().plot([1, 2])
    mlrs.log_figure(figure, "figs/f.png")
    mlrs.log_figure(figure, "figs/f.svg", save_kwargs={"dpi": 30})
    assert (run_root / "figs/f.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (run_root / "figs/f.svg").read_bytes()
    with pytest.raises(TypeError, match="Unsupported figure object type"):
        mlrs.log_figure(object(), "figs/x.png")
    with pytest.raises(ValueError, match="Format 'html' is not supported"):
        mlrs.log_figure(figure, "figs/x.html")
    assert tree(run_root) == ["figs/", "figs/f.png", "figs/f.svg"]  # no staging leftovers


def test_log_figure_plotly(run_root: Path) -> None:
    go = pytest.importorskip("plotly.graph_objects")
    figure = go.Figure(go.Scatter(x=[0, 1], y=[2, 3]))
    mlrs.log_figure(figure, "p.html")
    assert "cdn.plot.ly" in (run_root / "p.html").read_text()
    with pytest.raises(TypeError, match=r"Unsupported file extension for plotly figure: '\.txt'"):
        mlrs.log_figure(figure, "p.txt")


def test_log_table_and_load_table(run_root: Path) -> None:
    pd = pytest.importorskip("pandas")
    run_id = _active().info.run_id
    mlrs.log_table({"a": [1, 2], "b": ["x", "y"]}, "t/t.json")
    mlrs.log_table(pd.DataFrame({"a": [3], "b": ["02108"]}), "t/t.json")
    stored = json.loads((run_root / "t/t.json").read_text())
    assert stored == {"columns": ["a", "b"], "data": [[1, "x"], [2, "y"], [3, "02108"]]}
    mlrs.log_table({"a": [1]}, "t/t.parquet")
    mlrs.log_table({"a": [2]}, "t/t.parquet")
    tag = mlrs.get_run(run_id).data.tags["mlflow.loggedArtifacts"]
    assert json.loads(tag) == [
        {"path": "t/t.json", "type": "table"},
        {"path": "t/t.parquet", "type": "table"},
    ]
    assert mlrs.load_table("t/t.parquet")["a"].tolist() == [1, 2]
    frame = mlrs.load_table("t/t.json", run_ids=[run_id], extra_columns=["run_id"])
    assert frame["run_id"].tolist() == [run_id] * 3
    with pytest.raises(ValueError, match=r"Invalid artifact file path 't\.csv'"):
        mlrs.log_table({"a": [1]}, "t.csv")
    with pytest.raises(ValueError, match="forbidden character: ,"):
        mlrs.log_table({"a": [1]}, "a,b.json")
    with pytest.raises(MlflowException, match=r"data must be a pandas\.DataFrame or a dictionary"):
        mlrs.log_table([1, 2], "l.json")
    with pytest.raises(MlflowException, match="No runs found") as info:
        mlrs.load_table("none.json")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_client_methods_on_a_run_that_is_not_active(tmp_path: Path) -> None:
    client = MlflowClient()
    run_id = client.create_run("0").info.run_id
    root = Path(client.get_run(run_id).info.artifact_uri)
    (tmp_path / "f.txt").write_text("f")
    client.log_artifact(run_id, str(tmp_path / "f.txt"), "a")
    client.log_text(run_id, "t", "b/t.txt")
    client.log_dict(run_id, {"k": 1}, "b/d.yml")
    client.log_stream(run_id, io.BytesIO(b"s"), "b/s.bin")
    client.log_image(run_id, np.zeros((2, 2), np.uint8), "b/i.png")
    client.log_table(run_id, {"a": [1]}, "b/t.json")
    assert tree(root) == [
        "a/",
        "a/f.txt",
        "b/",
        "b/d.yml",
        "b/i.png",
        "b/s.bin",
        "b/t.json",
        "b/t.txt",
    ]
    assert mlrs.active_run() is None
    assert client.load_table("0", "b/t.json")["a"].tolist() == [1]


def test_log_confusion_matrix(run_root: Path) -> None:
    counts = mlrs.log_confusion_matrix(["a", "b", "a", "c"], ["a", "a", "a", "c"])
    assert counts.tolist() == [[2, 0, 0], [1, 0, 0], [0, 0, 1]]
    assert (run_root / "confusion_matrix.png").read_bytes().startswith(b"\x89PNG")
    table = mlrs.load_table("confusion_matrix.json")
    assert table.shape == (9, 3)
    assert table[(table.true_label == "b") & (table.predicted_label == "a")]["count"].item() == 1
    counts = mlrs.log_confusion_matrix(
        [0, 1, 2], [0, 2, 2], labels=[2, 1, 0], artifact_file="cm/m.svg"
    )
    assert counts.tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 1]]
    assert (run_root / "cm/m.svg").exists()
    assert (run_root / "cm/m.json").exists()
    with pytest.raises(ValueError, match="same length"):
        mlrs.log_confusion_matrix([1, 2], [1])
    with pytest.raises(ValueError, match="empty"):
        mlrs.log_confusion_matrix([], [])


def _active() -> Any:
    run = mlrs.active_run()
    assert run is not None
    return run
