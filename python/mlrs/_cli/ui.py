"""`mlrs ui`: a web page over a tracking store, served by the Rust server in `mlrs._core`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ui",
        help="serve a web page to look at runs, charts and artifacts",
        description=(
            "Serve mlrs's web UI over a tracking store: experiments, runs (with filters in "
            "MLflow's grammar), charts of every point (downsampled on the server so spikes "
            "stay visible), artifacts and registered models. It reads the store while "
            "training processes write to it. The store may also be an MLflow tracking server "
            "(http(s)://host:port), read through its REST API. Stop it with Ctrl-C."
        ),
    )
    parser.add_argument(
        "--backend-store-uri",
        metavar="URI",
        default=None,
        help="the tracking store: sqlite:///path/to/mlflow.db or a tracking server's "
        "http(s):// URL (default: MLFLOW_TRACKING_URI, else sqlite:///mlflow.db in the current "
        "directory)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: 127.0.0.1; anything else lets other "
        "machines read the store and is warned about)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=5000,
        help="the port to listen on (default: 5000; 0 picks a free one)",
    )
    parser.set_defaults(handler=run)


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) is this machine's loopback interface."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def assets_dir() -> Path:
    """Where the built single-page app lives (inside the installed package)."""
    return Path(__file__).resolve().parent.parent / "ui_assets"


class _Terminated(Exception):
    """SIGTERM, raised where the server is waited for so it stops as cleanly as on Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def run(args: argparse.Namespace) -> int:
    from mlrs import _runtime
    from mlrs.exceptions import MlflowException

    uri = (
        args.backend_store_uri
        or os.environ.get("MLFLOW_TRACKING_URI")
        or ("sqlite:///" + os.path.join(os.path.abspath(os.getcwd()), "mlflow.db"))
    )
    remote = uri.lower().startswith(("http://", "https://"))
    if remote:
        # A tracking server: read through its REST API (no file here).
        db_path = ""
    else:
        try:
            db_path = os.path.abspath(_runtime._database_path(uri))
        except MlflowException as e:
            print(f"mlrs ui: {e.message}", file=sys.stderr)
            return 2
        if not os.path.isdir(os.path.dirname(db_path)):
            print(f"mlrs ui: the directory of {db_path} does not exist.", file=sys.stderr)
            return 2
    if not is_loopback(args.host):
        print(
            f"mlrs ui: warning: listening on {args.host}, not on loopback: anyone who can "
            "reach this machine can read the store and rename or delete runs.",
            file=sys.stderr,
        )
    assets = assets_dir()
    # From here on Ctrl-C and SIGTERM stop the server cleanly, however early they come.
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _serve(args, uri, db_path, assets, remote)
    except (KeyboardInterrupt, _Terminated):
        print("mlrs ui: stopped", file=sys.stderr)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(args: argparse.Namespace, uri: str, db_path: str, assets: Path, remote: bool) -> int:
    """Starts the server, says where it listens, and serves until interrupted."""
    from mlrs import __version__, _core, _runtime

    try:
        server = _core.UiServer(
            uri,
            db_path,
            os.path.abspath("mlruns"),
            assets,
            args.host,
            args.port,
            __version__,
            cache_points=int(os.environ.get("MLRS_UI_CACHE_POINTS", "16000000")),
            spool_dir=_runtime._spool_dir() if remote else None,
        )
    except OSError as e:
        if remote and "tracking server URI" in str(e):
            print(f"mlrs ui: {e}", file=sys.stderr)
            return 2
        print(f"mlrs ui: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    try:
        host = f"[{server.host}]" if ":" in server.host else server.host
        print(f"mlrs ui: serving {uri} at http://{host}:{server.port}/", flush=True)
        if not (assets / "index.html").is_file():
            print(
                f"mlrs ui: the web app is not built ({assets} has no index.html); the API "
                "works, and the page says how to build it: `make ui`, or `npm ci && npm run "
                "build` in ui/.",
                file=sys.stderr,
            )
        if server.store_error is not None:
            print(
                f"mlrs ui: {db_path} is not an MLflow tracking database: {server.store_error}",
                file=sys.stderr,
            )
        server.serve_forever()
    finally:
        server.stop()
    print("mlrs ui: stopped", file=sys.stderr)
    return 0
