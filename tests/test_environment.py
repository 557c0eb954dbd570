"""The run's environment, recorded in the background at `start_run` (an mlrs extension):
`environment/requirements.txt`, `environment/system.json` and the `mlrs.env.*` /
`mlrs.source.git.dirty` tags."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mlrs
from mlrs import _environment

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git program")


@pytest.fixture(autouse=True)
def capture_on_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The switch as a user finds it: unset (tests/conftest.py sets it to 0 for other tests)."""
    monkeypatch.delenv("MLRS_CAPTURE_ENV", raising=False)


def artifacts(run_id: str) -> Path:
    return Path(mlrs.get_run(run_id).info.artifact_uri)


def test_a_new_run_records_packages_system_and_tags() -> None:
    with mlrs.start_run() as run:
        pass
    mlrs.flush()
    root = artifacts(run.info.run_id)
    requirements = (root / "environment" / "requirements.txt").read_text().splitlines()
    names = [line.split("==")[0] for line in requirements]
    assert names == sorted(names)
    assert f"numpy=={__import__('numpy').__version__}" in requirements
    assert any(line.startswith("mlrs==") for line in requirements)
    system = json.loads((root / "environment" / "system.json").read_text())
    assert system["python"]["version"] == platform.python_version()
    assert system["os"]["system"] == os.uname().sysname
    assert system["packages"] == len(requirements)
    tags = mlrs.get_run(run.info.run_id).data.tags
    assert tags["mlrs.env.python"] == platform.python_version()
    assert tags["mlrs.env.os"].startswith(os.uname().sysname + " ")


def test_nested_runs_each_get_a_record() -> None:
    with mlrs.start_run() as parent, mlrs.start_run(nested=True) as child:
        pass
    mlrs.flush()
    for run in (parent, child):
        assert (artifacts(run.info.run_id) / "environment" / "system.json").is_file()


@pytest.mark.parametrize("value", ["0", "false", "No", "off"])
def test_env_var_turns_it_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MLRS_CAPTURE_ENV", value)
    with mlrs.start_run() as run:
        pass
    mlrs.flush()
    assert not (artifacts(run.info.run_id) / "environment").exists()
    assert not any(k.startswith("mlrs.") for k in mlrs.get_run(run.info.run_id).data.tags)


def test_keyword_beats_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    with mlrs.start_run(capture_env=False) as off:
        pass
    monkeypatch.setenv("MLRS_CAPTURE_ENV", "0")
    with mlrs.start_run(capture_env=True) as on:
        pass
    mlrs.flush()
    assert not (artifacts(off.info.run_id) / "environment").exists()
    assert (artifacts(on.info.run_id) / "environment" / "requirements.txt").is_file()


def test_resumed_runs_are_not_recorded_again() -> None:
    with mlrs.start_run(capture_env=False) as run:
        pass
    with mlrs.start_run(run_id=run.info.run_id):
        pass
    mlrs.flush()
    assert not (artifacts(run.info.run_id) / "environment").exists()


def test_remote_artifact_location_gets_tags_and_no_files() -> None:
    experiment = mlrs.create_experiment("remote", artifact_location="s3://bucket/path")
    with mlrs.start_run(experiment_id=experiment) as run:
        pass
    mlrs.flush()
    assert "mlrs.env.python" in mlrs.get_run(run.info.run_id).data.tags
    assert not Path("s3:").exists()


def test_unwritable_artifact_root_does_not_disturb_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    experiment = mlrs.create_experiment("blocked", artifact_location=str(blocker / "sub"))
    with mlrs.start_run(experiment_id=experiment) as run:
        mlrs.log_metric("m", 1.0)
    mlrs.flush()
    got = mlrs.get_run(run.info.run_id)
    assert got.data.metrics == {"m": 1.0}
    assert got.info.status == "FINISHED"
    assert "mlrs.env.python" in got.data.tags
    assert blocker.read_text() == "not a directory"


def test_installed_packages_reads_dist_info_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, names in (
        (first, ["Some_Pkg-1.2.3.dist-info", "old_egg-0.9-py3.11.egg-info", "notes.txt"]),
        (second, ["some_pkg-9.9.dist-info", "other.pkg-2.0.dist-info", "broken.dist-info"]),
    ):
        for name in names:
            (folder / name).mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [str(first), "", str(tmp_path / "missing"), str(second)])
    assert _environment.installed_packages() == {
        "some-pkg": "1.2.3",  # the first on sys.path wins
        "old-egg": "0.9",
        "other-pkg": "2.0",
    }


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


SCRIPT = """\
import mlrs
mlrs.set_tracking_uri("sqlite:///{db}")
with mlrs.start_run() as run:
    pass
print(run.info.run_id)
"""


def run_script(repo: Path, db: Path) -> str:
    """Runs train.py of `repo` in a new interpreter, which exits right after its run: what
    the background thread still has to write is written at exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLRS_"))}
    out = subprocess.run(
        [sys.executable, "train.py"], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


@needs_git
def test_git_state_clean_then_dirty(tmp_path: Path) -> None:
    repo, db = tmp_path / "repo", tmp_path / "mlflow.db"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text(SCRIPT.format(db=db))
    (repo / ".gitignore").write_text("mlruns/\nmlflow.db\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    commit = git(repo, "rev-parse", "HEAD").strip()

    clean = run_script(repo, db)
    (repo / "train.py").write_text(SCRIPT.format(db=db) + "# edited\n")
    dirty = run_script(repo, db)

    mlrs.set_tracking_uri(f"sqlite:///{db}")
    for run_id, flag in ((clean, "false"), (dirty, "true")):
        tags = mlrs.get_run(run_id).data.tags
        assert tags["mlrs.source.git.dirty"] == flag
        assert tags["mlflow.source.git.commit"] == commit
        system = json.loads((artifacts(run_id) / "environment" / "system.json").read_text())
        assert system["git"] == {
            "commit": commit,
            "branch": "main",
            "repo_url": None,
            "dirty": flag == "true",
        }
        assert system["entry_point"] == str(repo / "train.py")


def test_a_forked_child_records_its_runs() -> None:
    with mlrs.start_run():  # starts the background thread in the parent
        pass
    mlrs.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read)
            with mlrs.start_run() as run:
                pass
            mlrs.flush()
            os.write(write, run.info.run_id.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        run_id = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert (artifacts(run_id) / "environment" / "requirements.txt").is_file()
