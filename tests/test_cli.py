"""The `mlrs` command's shared entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlrs._cli import main


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: mlrs" in capsys.readouterr().err


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mlrs", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("mlrs ")
