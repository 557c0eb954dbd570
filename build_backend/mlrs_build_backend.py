"""mlrs's PEP 517 build backend: maturin's, except when no Rust toolchain is on PATH.

pip uses this only to build mlrs from source (the sdist, or a git checkout); platforms with a
wheel never get here. Without `cargo` on PATH, maturin's own backend quietly downloads a
temporary Rust toolchain (about 900 MB) with puccinialin, and offline it fails with a long
network traceback. Here the build stops instead with one line saying what is needed; setting
MLRS_INSTALL_RUST=1 hands the decision back to maturin, which then downloads the toolchain.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from typing import Any

import maturin

OPT_IN = "MLRS_INSTALL_RUST"

MESSAGE = (
    "mlrs: building from source needs a Rust toolchain (cargo and rustc >= 1.95, "
    "https://rustup.rs) and none is on PATH; wheels need none and exist for CPython >= 3.10 on "
    "Linux x86_64/aarch64 (glibc >= 2.17), macOS x86_64/arm64 and Windows x86_64, "
    f"or set {OPT_IN}=1 to let maturin download a temporary toolchain (about 900 MB)."
)

Settings = Mapping[str, Any] | None


def _require_rust() -> None:
    if shutil.which("cargo") is None and os.environ.get(OPT_IN) != "1":
        # One line on stderr and exit status 1: pip shows the hook's output as it is, and a
        # raised exception would add a traceback around the line.
        sys.stderr.write(MESSAGE + "\n")
        sys.stderr.flush()
        raise SystemExit(1)


def get_requires_for_build_wheel(config_settings: Settings = None) -> list[str]:
    _require_rust()
    return list(maturin.get_requires_for_build_wheel(config_settings))


def get_requires_for_build_editable(config_settings: Settings = None) -> list[str]:
    _require_rust()
    return list(maturin.get_requires_for_build_editable(config_settings))


def get_requires_for_build_sdist(config_settings: Settings = None) -> list[str]:
    _require_rust()
    return list(maturin.get_requires_for_build_sdist(config_settings))


def prepare_metadata_for_build_wheel(
    metadata_directory: str, config_settings: Settings = None
) -> str:
    _require_rust()
    return str(maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings))


def prepare_metadata_for_build_editable(
    metadata_directory: str, config_settings: Settings = None
) -> str:
    _require_rust()
    return str(maturin.prepare_metadata_for_build_editable(metadata_directory, config_settings))


def build_wheel(
    wheel_directory: str, config_settings: Settings = None, metadata_directory: str | None = None
) -> str:
    _require_rust()
    return str(maturin.build_wheel(wheel_directory, config_settings, metadata_directory))


def build_editable(
    wheel_directory: str, config_settings: Settings = None, metadata_directory: str | None = None
) -> str:
    _require_rust()
    return str(maturin.build_editable(wheel_directory, config_settings, metadata_directory))


def build_sdist(sdist_directory: str, config_settings: Settings = None) -> str:
    _require_rust()
    return str(maturin.build_sdist(sdist_directory, config_settings))
