"""Wheels, the sdist, the release workflow and a source build without Rust (issue 16).

The slow tests run the Linux build steps of .github/workflows/release.yml for real (`make wheel`,
`make sdist`), once per session, then install the wheel into a fresh venv without cargo and run
the demo, and build a wheel again from the sdist. The fast ones check that the workflow runs those
same steps and that a user without cargo gets one line instead of a toolchain download.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
UI_ASSETS = ROOT / "python" / "mlrs" / "ui_assets"
BACKEND_DIR = ROOT / "build_backend"
IS_LINUX = sys.platform.startswith("linux")
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
needs_cargo = pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")

sys.path.insert(0, str(BACKEND_DIR))
import mlrs_build_backend  # type: ignore[import-not-found]  # noqa: E402

sys.path.remove(str(BACKEND_DIR))


# ---- helpers -----------------------------------------------------------------------------------


def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return data


def steps_running(job: dict[str, Any]) -> list[str]:
    return [step["run"].strip() for step in job["steps"] if "run" in step]


def action(job: dict[str, Any], name: str) -> dict[str, Any]:
    found = [step for step in job["steps"] if step.get("uses", "").startswith(name + "@")]
    assert len(found) == 1, (name, job["steps"])
    step: dict[str, Any] = found[0]
    return step


def make_commands(target: str, *variables: str) -> list[list[str]]:
    """The commands `make TARGET` would run here, from `make -n`, split like a shell would."""
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", target, *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [shlex.split(line) for line in out.stdout.splitlines() if line.strip()]


def maturin_arguments(target: str, *variables: str) -> list[str]:
    """The arguments after `maturin build`/`maturin sdist` in what `make TARGET` runs."""
    for words in make_commands(target, *variables):
        words = [w for w in words if "=" not in w or w.startswith("-")]  # drop `PATH=...`
        if words and words[0].endswith("/maturin"):
            return words[1:]
    raise AssertionError(f"make {target} runs no maturin")


def without_cargo_path(*first: Path) -> str:
    """The given directories, then this PATH without the directories that hold cargo."""
    rest = os.environ.get("PATH", "").split(os.pathsep)
    kept = [d for d in rest if d and shutil.which("cargo", path=d) is None]
    path = os.pathsep.join([*(str(p) for p in first), *kept])
    assert shutil.which("cargo", path=path) is None, f"cargo on {path}"
    return path


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MATURIN_"))}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env.update(extra)
    return env


# ---- the release workflow runs the steps that run here -------------------------------------------


@needs_make
def test_linux_jobs_build_with_make_wheel_for_both_architectures() -> None:
    jobs = workflow()["jobs"]
    linux = jobs["linux"]
    runners = {entry["runner"]: entry["arch"] for entry in linux["strategy"]["matrix"]["include"]}
    assert sorted(runners.values()) == ["aarch64", "x86_64"]
    assert linux["runs-on"] == "${{ matrix.runner }}"
    assert steps_running(linux) == ["make wheel"]
    assert action(linux, "actions/upload-artifact")["with"]["path"] == "dist/*.whl"
    assert steps_running(jobs["sdist"]) == ["make sdist"]
    assert action(jobs["sdist"], "actions/upload-artifact")["with"]["path"] == "dist/*.tar.gz"
    if IS_LINUX:
        # What `make wheel` runs on a Linux runner: manylinux via zig, release, abi3, into dist.
        args = maturin_arguments("wheel")
        assert args[:1] == ["build"]
        assert "--release" in args
        assert args[args.index("--out") + 1] == "dist"
        assert args[args.index("--compatibility") + 1] == "manylinux2014"
        assert "--zig" in args
        assert maturin_arguments("sdist")[:3] == ["sdist", "--out", "dist"]


@needs_make
def test_macos_and_windows_use_the_arguments_of_make_wheel() -> None:
    data = workflow()
    jobs = data["jobs"]
    expected = maturin_arguments("wheel")[1:]
    if IS_LINUX:  # the Linux-only part: zig and the manylinux policy
        at = expected.index("--compatibility")
        del expected[at : at + 2]
        expected.remove("--zig")
    assert shlex.split(data["env"]["MATURIN_ARGS"]) == expected
    requirements = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert f"maturin=={data['env']['MATURIN_VERSION']}" in requirements
    targets = []
    for name in ("macos", "windows"):
        step = action(jobs[name], "PyO3/maturin-action")["with"]
        assert step["args"] == "${{ env.MATURIN_ARGS }}"
        assert step["maturin-version"] == "${{ env.MATURIN_VERSION }}"
        matrix = jobs[name].get("strategy", {}).get("matrix", {}).get("include", [])
        targets += [entry["target"] for entry in matrix] or [step["target"]]
    assert sorted(targets) == ["aarch64", "x64", "x86_64"]
    cargo = (ROOT / "Cargo.toml").read_text()
    assert f'rust-version = "{data["env"]["RUST_VERSION"]}"' in cargo


def test_wheels_are_tested_installed_then_published_on_a_tag_with_trusted_publishing() -> None:
    data = workflow()
    jobs = data["jobs"]
    # PyYAML reads the bare key `on` as True.
    keys: dict[Any, Any] = data
    triggers = keys["on"] if "on" in keys else keys[True]
    assert triggers["push"] == {"tags": ["v*"]}

    test = jobs["test"]
    assert set(test["needs"]) == {"linux", "macos", "windows"}
    assert len(test["strategy"]["matrix"]["runner"]) == 5
    runs = "\n".join(steps_running(test))
    assert "pip install --no-index --find-links dist mlrs" in runs
    assert "rm -rf python/mlrs" in runs  # the tests must import the wheel, not the checkout
    assert "pytest" in runs
    assert 'python -m pytest -q -p no:cacheprovider -m "not slow"' in runs

    publish = jobs["publish"]
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert set(publish["needs"]) == {"linux", "macos", "windows", "sdist", "test"}
    assert publish["permissions"] == {"id-token": "write"}
    step = action(publish, "pypa/gh-action-pypi-publish")
    assert "password" not in step.get("with", {})  # trusted publishing, no token
    assert data["permissions"] == {"contents": "read"}


# ---- building from source without Rust ---------------------------------------------------------


def backend_hook(hook: str, *, opt_in: bool) -> subprocess.CompletedProcess[str]:
    """Calls a hook of the build backend in a fresh process as a frontend would, without cargo."""
    code = (
        f"import sys; sys.path.insert(0, {str(BACKEND_DIR)!r}); import mlrs_build_backend as b; "
        f"print(b.{hook}())"
    )
    env = clean_env(PATH=without_cargo_path(Path(sys.executable).parent))
    if opt_in:
        env[mlrs_build_backend.OPT_IN] = "1"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "hook",
    [
        "get_requires_for_build_wheel",
        "get_requires_for_build_editable",
        "get_requires_for_build_sdist",
    ],
)
def test_without_cargo_the_backend_says_what_is_needed_in_one_line(hook: str) -> None:
    result = backend_hook(hook, opt_in=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == mlrs_build_backend.MESSAGE + "\n"
    assert "https://rustup.rs" in result.stderr
    assert "wheels need none" in result.stderr


def test_opting_in_hands_the_toolchain_download_back_to_maturin() -> None:
    # maturin asks for puccinialin, its toolchain installer, only when cargo is missing; nothing
    # is downloaded by this hook itself (it only names the build requirements).
    result = backend_hook("get_requires_for_build_wheel", opt_in=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['puccinialin']"


def pip_install_without_cargo(source: Path, target: Path) -> subprocess.CompletedProcess[str]:
    """`pip install SOURCE` as a user without cargo runs it (the build requirement, maturin, is
    this venv's, so no index is needed), into a directory of its own."""
    env = clean_env(PATH=without_cargo_path(Path(sys.executable).parent))
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"]
    command += ["--no-build-isolation", "--no-index", "--no-deps", "--target", str(target)]
    return subprocess.run(
        [*command, str(source)], env=env, capture_output=True, text=True, timeout=120
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], target: Path) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert mlrs_build_backend.MESSAGE in output
    for noise in ("Traceback", "puccinialin", "httpx", "static.rust-lang.org"):
        assert noise not in output
    assert not list(target.glob("mlrs*"))


def test_pip_install_from_the_checkout_without_cargo(tmp_path: Path) -> None:
    result = pip_install_without_cargo(ROOT, tmp_path / "site")
    assert_one_clear_line(result, tmp_path / "site")


# A release build with zig (all dependencies compiled afresh) or a source build takes minutes
# on a 2-core machine; the session fixture's build counts against the first test that uses it.
_BUILDS = pytest.mark.timeout(1800)


# ---- the real builds (once per session) --------------------------------------------------------


def make_with_ui(target: str, out: Path) -> list[str]:
    """Runs `make TARGET DIST=out` with the UI's built files in place, and names them as the
    package must carry them. Until the UI is built here, one probe file stands in for them,
    present only while make runs (the directory is gitignored either way)."""
    created = not UI_ASSETS.exists()
    if created:
        UI_ASSETS.mkdir()
        (UI_ASSETS / "index.html").write_text("<!doctype html><title>probe</title>\n")
    try:
        files = sorted(
            p.relative_to(UI_ASSETS.parent.parent).as_posix()
            for p in UI_ASSETS.rglob("*")
            if p.is_file()
        )
        subprocess.run(
            ["make", "--no-print-directory", target, f"DIST={out}"], cwd=ROOT, check=True
        )
    finally:
        if created:
            shutil.rmtree(UI_ASSETS)
    return files


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """`make wheel`, exactly as the workflow's Linux jobs run it, into a directory of its own."""
    out = tmp_path_factory.mktemp("wheel")
    ui_files = make_with_ui("wheel", out)
    (wheel,) = out.glob("mlrs-*.whl")
    return wheel, ui_files


@pytest.fixture(scope="session")
def built_sdist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("sdist")
    ui_files = make_with_ui("sdist", out)
    (sdist,) = out.glob("mlrs-*.tar.gz")
    return sdist, ui_files


@pytest.mark.slow
@_BUILDS
@needs_make
@needs_cargo
@pytest.mark.skipif(not IS_LINUX, reason="the manylinux build runs on Linux")
def test_the_wheel_is_manylinux_abi3_and_carries_the_ui(
    built_wheel: tuple[Path, list[str]],
) -> None:
    wheel, ui_files = built_wheel
    # maturin's compatibility check passed (it fails the build otherwise) and tagged the wheel.
    name, version, python_tag, abi_tag, platform_tag = wheel.name[: -len(".whl")].split("-")
    assert (name, version) == ("mlrs", "0.1.0")
    assert (python_tag, abi_tag) == ("cp310", "abi3")
    assert "manylinux_2_17_" in platform_tag
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert ui_files
    assert set(ui_files) <= names
    assert {"mlrs/__init__.py", "mlrs/_core.pyi", "mlrs/py.typed"} <= names
    assert [n for n in names if n.startswith("mlrs/_core.") and n.endswith(".so")] == [
        "mlrs/_core.abi3.so"
    ]
    assert "mlrs-0.1.0.dist-info/entry_points.txt" in names


@pytest.mark.slow
@_BUILDS
@needs_make
@needs_cargo
@pytest.mark.skipif(not IS_LINUX, reason="the manylinux build runs on Linux")
def test_the_wheel_installs_without_cargo_and_runs_the_demo(
    built_wheel: tuple[Path, list[str]], tmp_path: Path
) -> None:
    wheel, _ = built_wheel
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True, symlinks=True)
    python = fresh / "bin" / "python"
    env = clean_env(PATH=without_cargo_path(fresh / "bin"))
    # Offline: the wheel itself. Its one dependency (PyYAML) and the demo's own imports (numpy,
    # scikit-learn, skops, ...) come from the test venv, after the fresh venv's site-packages;
    # that venv's mlrs is an editable install (a .pth file, which is not read from a directory
    # put on sys.path this way), so `mlrs` can only be the wheel's.
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    command: list[str | Path] = [
        python,
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "--no-index",
    ]
    subprocess.run([*command, "--no-deps", wheel], env=env, check=True)
    (site / "test_venv_libraries.pth").write_text(sysconfig.get_path("purelib") + "\n")
    where = subprocess.run(
        [python, "-c", "import mlrs._core as c, shutil; print(c.__file__, shutil.which('cargo'))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(site), where
    assert where[1] == "None"

    work = tmp_path / "work"
    work.mkdir()
    demo = subprocess.run(
        [python, ROOT / "examples" / "demo.py"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert (work / "mlflow.db").is_file()
    runs = subprocess.run(
        [fresh / "bin" / "mlrs", "runs", "--help"], env=env, capture_output=True, text=True
    )
    assert runs.returncode in (0, 2), runs.stderr  # the console script exists and starts


@pytest.mark.slow
@_BUILDS
@needs_make
@needs_cargo
def test_the_sdist_carries_what_a_source_build_needs(
    built_sdist: tuple[Path, list[str]],
) -> None:
    sdist, ui_files = built_sdist
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    needed = {
        "pyproject.toml",
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "src/lib.rs",
        "sql/mlflow_3_18_schema.sql",  # include_str! in the engine
        "build_backend/mlrs_build_backend.py",
        "python/mlrs/__init__.py",
        "python/mlrs/_core.pyi",
        "python/mlrs/py.typed",
    }
    assert needed <= names, needed - names
    assert {f"python/{f}" for f in ui_files} <= names


@pytest.mark.slow
@_BUILDS
@needs_make
@needs_cargo
def test_a_wheel_builds_from_the_sdist(built_sdist: tuple[Path, list[str]], tmp_path: Path) -> None:
    sdist, ui_files = built_sdist
    # pip's route from source to a wheel, offline, on the sdist's files alone. A debug build in
    # this checkout's target directory, whose compiled dependencies it reuses (the release build
    # is `make wheel`'s test). Cargo finds the crate's own build by paths relative to the
    # package, so the unpacked files get a fresh mtime: mlrs itself is compiled from them.
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (source,) = (tmp_path / "unpacked").iterdir()
    for path in source.rglob("*"):
        os.utime(path)
    # maturin's backend runs the `maturin` of the build environment, found on PATH.
    env = clean_env(
        MATURIN_PEP517_ARGS="--profile dev",
        CARGO_TARGET_DIR=str(ROOT / "target"),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check"]
    command += ["--no-build-isolation", "--no-index", "--no-deps", "-w", str(tmp_path)]
    subprocess.run([*command, str(source)], cwd=tmp_path, env=env, check=True, timeout=900)
    (wheel,) = tmp_path.glob("mlrs-*.whl")
    site = tmp_path / "site"
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
    subprocess.run([*command, "--target", site, wheel], check=True)
    assert {f for f in ui_files} <= {
        p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()
    }
    code = "import mlrs, mlrs._core as c; print(c.__file__)"
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_env(PYTHONPATH=str(site)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(loaded.stdout.strip()).is_relative_to(site)


@pytest.mark.slow
@_BUILDS
@needs_make
@needs_cargo
def test_pip_install_from_the_sdist_without_cargo(
    built_sdist: tuple[Path, list[str]], tmp_path: Path
) -> None:
    sdist, _ = built_sdist
    result = pip_install_without_cargo(sdist, tmp_path / "site")
    assert_one_clear_line(result, tmp_path / "site")
