"""`mlrs run script.py [args...]` (or `mlrs run -m module [args...]`): runs a program written
for MLflow on mlrs, unchanged. `import mlflow` in it, and in everything it imports, gives mlrs
(`mlrs.install_as_mlflow()`); the script runs as `__main__` with `sys.argv` set to the script
and its arguments, as `python script.py args...` would."""

from __future__ import annotations

import argparse
import os
import runpy
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a Python script written for MLflow on mlrs (import mlflow gives mlrs)",
        description=(
            "Runs SCRIPT as __main__ with `import mlflow` resolving to mlrs, so a program "
            "written for MLflow logs through mlrs without a changed line."
        ),
    )
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a module, as python -m")
    parser.add_argument("script", nargs="?", help="the script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mlrs._alias import install_as_mlflow

    if args.module is None and args.script is None:
        print("mlrs run: give either a script or -m MODULE", file=sys.stderr)
        return 2
    install_as_mlflow()
    rest = list(args.args)
    if args.module is not None:
        if args.script is not None:  # `-m mod a b`: the first argument landed in `script`
            rest.insert(0, args.script)
        sys.argv = [args.module, *rest]
        # As `python -m` does: the working directory comes first on the import path.
        sys.path.insert(0, os.getcwd())
        return _exit_code(
            lambda: runpy.run_module(args.module, run_name="__main__", alter_sys=True)
        )
    script = args.script
    if not os.path.exists(script):
        print(f"mlrs run: can't open file {script!r}: no such file", file=sys.stderr)
        return 2
    sys.argv = [script, *rest]
    # As `python script.py` does: the script's directory comes first on the import path.
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    return _exit_code(lambda: runpy.run_path(script, run_name="__main__"))


def _exit_code(body: Any) -> int:
    """Runs the program; its `sys.exit(code)` becomes the command's exit code."""
    try:
        body()
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        print(e.code, file=sys.stderr)
        return 1
    return 0
