"""What a test does when something it needs is missing: locally it skips; in CI (`CI=true`,
as CI services set it) it fails, so a broken environment cannot turn tests into skips."""

from __future__ import annotations

import os
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skips the test (or, at module level, the module) with `reason`; fails it in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this must not be skipped)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def import_or_unavailable(name: str) -> ModuleType:
    """`pytest.importorskip`, except that in CI a module that does not import fails the test."""
    try:
        module: ModuleType = pytest.importorskip(name)
        return module
    except pytest.skip.Exception as skipped:
        unavailable(str(skipped))
