"""The `mlrs` command (also `python -m mlrs`): one entry point, one module per subcommand.

Each module named in `_SUBCOMMANDS` defines `register(subparsers)`, which adds its subcommand(s)
and sets a `handler` default: a function taking the parsed namespace and returning the exit code.
The modules are imported only when the command runs, so `import mlrs` never loads them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# Kept in the order `mlrs --help` lists them.
_SUBCOMMANDS: tuple[str, ...] = (
    "mlrs._cli.ui",
    "mlrs._cli.runs",
    "mlrs._cli.experiments",
    "mlrs._cli.gc",
    "mlrs._cli.sync",
    "mlrs._cli.run",
)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command, every subcommand registered."""
    from mlrs import __version__

    parser = argparse.ArgumentParser(
        prog="mlrs",
        description="Look at, copy and clean up MLflow tracking data, without MLflow.",
    )
    parser.add_argument("--version", action="version", version=f"mlrs {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in _SUBCOMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line `argv` (default: the process's arguments); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = handler(args)
    return code
