"""What the terminal subcommands share: the store option, aligned tables, value formatting."""

from __future__ import annotations

import argparse
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlrs import _core


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend-store-uri",
        "--tracking-uri",
        dest="store_uri",
        metavar="URI",
        default=None,
        help="the tracking store (default: MLFLOW_TRACKING_URI, else sqlite:///mlflow.db in "
        "the current directory)",
    )


def store_uri(args: argparse.Namespace) -> str:
    uri: str | None = args.store_uri or os.environ.get("MLFLOW_TRACKING_URI")
    return uri or "sqlite:///" + os.path.join(os.path.abspath(os.getcwd()), "mlflow.db")


def open_store(args: argparse.Namespace) -> _core.Store:
    """The store of the command's tracking URI; a missing SQLite file is refused, not made."""
    from mlrs import _runtime

    uri = store_uri(args)
    if uri.startswith(("http://", "https://")):
        raise SystemExit(f"mlrs: remote tracking servers ({uri}) are not supported yet.")
    path = _runtime._database_path(uri)
    if not os.path.exists(path):
        raise SystemExit(f"mlrs: no tracking database at {os.path.abspath(path)}")
    return _runtime.get_store(uri)


def view_type(name: str) -> int:
    return {"active": 1, "deleted": 2, "all": 3}[name]


def add_view_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--view",
        choices=("active", "deleted", "all"),
        default="active",
        help="which lifecycle stage to list (default: active)",
    )


def number(value: object) -> str:
    """A metric value for a table: 6 significant digits; NaN and infinities as words."""
    if value is None:
        return ""
    if isinstance(value, str):
        return {"Infinity": "inf", "-Infinity": "-inf"}.get(value, value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def when(ms: object) -> str:
    """A time in ms since the epoch, as local time."""
    if not isinstance(ms, int):
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


def duration(start: object, end: object) -> str:
    if not isinstance(start, int) or not isinstance(end, int):
        return ""
    seconds = (end - start) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{seconds / 60:.1f}min"
    return f"{seconds / 3600:.1f}h"


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> None:
    """Columns padded to their widest cell; numbers (and empty cells) aligned right."""
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def numeric(text: str) -> bool:
        try:
            float(text)
        except ValueError:
            return text in ("", "NaN", "inf", "-inf")
        return True

    right = [all(numeric(row[i]) for row in rows) and bool(rows) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if r else cell.ljust(width)
            for cell, width, r in zip(cells, widths, right, strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    out = [line(header), *(line(row) for row in rows)]
    sys.stdout.write("\n".join(out) + "\n")
