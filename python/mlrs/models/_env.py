"""The environment files of a saved model (``requirements.txt``, ``conda.yaml``,
``python_env.yaml``), as MLflow 3.18 writes them, with versions read from the installed
packages' metadata (no subprocess, no pip call)."""

from __future__ import annotations

import os

from mlrs.exceptions import MlflowException
from mlrs.models.model import MLFLOW_FORMAT_VERSION
from mlrs.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

REQUIREMENTS_FILE_NAME = "requirements.txt"
CONDA_ENV_FILE_NAME = "conda.yaml"
PYTHON_ENV_FILE_NAME = "python_env.yaml"
CONSTRAINTS_FILE_NAME = "constraints.txt"


def package_version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def pinned(dist: str) -> str:
    """``dist==<installed version>`` (local version labels such as ``+cpu`` dropped), or the bare
    name when it is not installed."""
    version = package_version(dist)
    if version is None:
        return dist
    return f"{dist}=={version.split('+', 1)[0]}"


def _requirement_name(req: str) -> str:
    import re

    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    return m.group(1).lower().replace("_", "-") if m else req


def _read_requirements(source: str | list[str]) -> list[str]:
    if isinstance(source, str):
        with open(source) as f:
            lines = f.read().splitlines()
    elif isinstance(source, (list, tuple)):
        lines = [str(x) for x in source]
    else:
        raise TypeError(
            f"`pip_requirements` must be either a string path to a pip requirements file on the "
            f"local filesystem or an iterable of pip requirement strings, but got `{type(source)}`"
        )
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def validate_env_arguments(
    conda_env: Any, pip_requirements: Any, extra_pip_requirements: Any
) -> None:
    given = [x is not None for x in (conda_env, pip_requirements, extra_pip_requirements)]
    if sum(given) > 1:
        raise ValueError(
            "Only one of `conda_env`, `pip_requirements`, and "
            "`extra_pip_requirements` can be specified"
        )


def _dedupe(reqs: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for req in reqs:
        name = _requirement_name(req)
        prev = seen.get(name)
        if prev is None or ("==" in req and "==" not in prev):
            seen[name] = req
    return list(seen.values())


def process_requirements(
    default: list[str],
    pip_requirements: str | list[str] | None,
    extra_pip_requirements: str | list[str] | None,
) -> tuple[list[str], list[str]]:
    """(requirements, constraints): the user's list, or the defaults plus extras; ``mlflow``
    pinned first unless already listed."""
    constraints: list[str] = []
    if pip_requirements is not None:
        reqs = _read_requirements(pip_requirements)
    elif extra_pip_requirements is not None:
        reqs = list(default) + _read_requirements(extra_pip_requirements)
    else:
        reqs = list(default)
    kept = []
    for req in reqs:
        if req.startswith("-c "):
            constraints.append(req[3:].strip())
        else:
            kept.append(req)
    if not any(_requirement_name(r) == "mlflow" for r in kept):
        kept.insert(0, f"mlflow=={MLFLOW_FORMAT_VERSION}")
    kept = _dedupe(kept)
    if constraints:
        kept.append(f"-c {CONSTRAINTS_FILE_NAME}")
    return kept, constraints


def conda_env(pip_requirements: list[str]) -> dict[str, Any]:
    from platform import python_version

    deps: list[Any] = [f"python={python_version()}"]
    if pip_requirements:
        pip = package_version("pip")
        deps.append(f"pip<={pip}" if pip else "pip")
        deps.append({"pip": list(pip_requirements)})
    return {"name": "mlflow-env", "channels": ["conda-forge"], "dependencies": deps}


def default_requirements(dist: str, *, cloudpickle: bool = False, skops: bool = False) -> list[str]:
    """A flavor's `get_default_pip_requirements`: its library and, when its model is saved with
    one, the serializer, each pinned to the installed version."""
    reqs = [pinned(dist)]
    if cloudpickle:
        reqs.append(pinned("cloudpickle"))
    if skops:
        reqs.append(pinned("skops"))
    return reqs


def default_conda_env(pip_requirements: list[str]) -> dict[str, Any]:
    """A flavor's `get_default_conda_env`: the conda environment of those requirements."""
    return conda_env(process_requirements(pip_requirements, None, None)[0])


def _pip_of_conda(env: dict[str, Any]) -> list[str]:
    for dep in env.get("dependencies") or []:
        if isinstance(dep, dict) and "pip" in dep:
            return [str(x) for x in dep["pip"]]
    return []


def write_environment(
    path: str,
    default_requirements: list[str],
    conda_env_arg: str | dict[str, Any] | None,
    pip_requirements: str | list[str] | None,
    extra_pip_requirements: str | list[str] | None,
) -> None:
    """Writes conda.yaml, requirements.txt (and constraints.txt) and python_env.yaml."""
    import yaml

    if conda_env_arg is not None:
        if isinstance(conda_env_arg, str):
            with open(conda_env_arg) as f:
                env = yaml.safe_load(f)
        elif isinstance(conda_env_arg, dict):
            env = conda_env_arg
        else:
            raise MlflowException(
                f"Expected a string path to a conda env yaml file or a `dict` representing a "
                f"conda env, but got `{type(conda_env_arg).__name__}`",
                INVALID_PARAMETER_VALUE,
            )
        reqs, constraints = process_requirements(_pip_of_conda(env), None, None)
    else:
        reqs, constraints = process_requirements(
            default_requirements, pip_requirements, extra_pip_requirements
        )
        env = conda_env(reqs)
    with open(os.path.join(path, CONDA_ENV_FILE_NAME), "w") as f:
        yaml.safe_dump(env, stream=f, default_flow_style=False)
    if constraints:
        with open(os.path.join(path, CONSTRAINTS_FILE_NAME), "w") as f:
            f.write("\n".join(constraints))
    with open(os.path.join(path, REQUIREMENTS_FILE_NAME), "w") as f:
        f.write("\n".join(reqs))
    write_python_env(os.path.join(path, PYTHON_ENV_FILE_NAME))


def write_python_env(file: str) -> None:
    from platform import python_version

    build = []
    for dist in ("pip", "setuptools", "wheel"):
        version = package_version(dist)
        build.append(f"{dist}=={version}" if version else dist)
    lines = [f"python: {python_version()}", "build_dependencies:"]
    lines += [f"- {b}" for b in build]
    lines += ["dependencies:", "- -r requirements.txt", ""]
    with open(file, "w") as f:
        f.write("\n".join(lines))
