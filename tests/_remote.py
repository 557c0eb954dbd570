"""A real `mlflow server` on 127.0.0.1 for the remote-store tests, and a small proxy in front of
it that injects the network's faults on demand."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

MLFLOW = Path(sys.executable).with_name("mlflow")
START_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Polls the server's /health until it answers (it takes tens of seconds to start here)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {log.read_text()[-2000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/health", timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(f"mlflow server did not start in {START_TIMEOUT_S} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Asks a server to stop, and kills it if it has not within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def mlflow_server(
    directory: Path,
    backend_uri: str | None = None,
    artifacts_destination: str | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`mlflow server` with a SQLite (or given) backend and artifact serving, its artifacts in
    `directory` or at `artifacts_destination` (an `s3://` URI, say), with `env` added to its
    environment; yields its URL."""
    port = free_port()
    log = directory / "server.log"
    out = log.open("wb")
    process = subprocess.Popen(
        [
            str(MLFLOW),
            "server",
            "--backend-store-uri",
            backend_uri or f"sqlite:///{directory / 'server.db'}",
            "--artifacts-destination",
            artifacts_destination or str(directory / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=directory,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={
            "PATH": str(MLFLOW.parent) + ":/usr/bin:/bin",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            # The job runner (8 huey consumers, each importing mlflow) serves GenAI jobs, not
            # tracking; left on, it takes both cores for the server's first ~30 s.
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            **(env or {}),
        },
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield url
    finally:
        _stop(process)
        out.close()


# Dummy credentials for moto's S3: boto3 signs every request and needs some.
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextlib.contextmanager
def moto_s3(directory: Path) -> Iterator[str]:
    """moto's standalone server on 127.0.0.1, an S3 in memory; yields its URL."""
    port = free_port()
    log = directory / "moto.log"
    out = log.open("wb")
    process = subprocess.Popen(
        [str(MLFLOW.with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        cwd=directory,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={"PATH": str(MLFLOW.parent) + ":/usr/bin:/bin", **S3_ENV},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server exited: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start in 60 s") from None
                time.sleep(0.1)
        yield url
    finally:
        _stop(process)
        out.close()


class FaultProxy:
    """An HTTP proxy to `upstream` on its own port. Each request takes the next queued fault,
    if any: ("status", 503) answers that status without forwarding; ("lost", 0) forwards the
    request, lets the server apply it, then resets the connection instead of answering;
    ("slow", seconds) forwards, then answers only after `seconds`. `fail_matching` queues a
    fault for the next request whose method and path hold a text instead. `down()` stops
    listening (connections are refused) until `up()`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults: list[tuple[str, float]] = []
        self.matched_faults: list[tuple[str, tuple[str, float]]] = []
        self.lock = threading.Lock()
        self.seen: list[str] = []
        self.release = threading.Event()
        self.connections: set[socket.socket] = set()
        self.authorization: list[str | None] = []
        self.headers: list[dict[str, str]] = []
        self._server: http.server.ThreadingHTTPServer | None = None
        self.up()

    def fail_next(self, kind: str, arg: float = 0, times: int = 1) -> None:
        with self.lock:
            self.faults.extend([(kind, arg)] * times)

    def fail_matching(self, text: str, kind: str, arg: float = 0) -> None:
        with self.lock:
            self.matched_faults.append((text, (kind, arg)))

    def _next_fault(self, request: str) -> tuple[str, float] | None:
        with self.lock:
            for i, (text, fault) in enumerate(self.matched_faults):
                if text in request:
                    del self.matched_faults[i]
                    return fault
            return self.faults.pop(0) if self.faults else None

    def up(self) -> None:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with proxy.lock:
                    proxy.connections.add(self.connection)

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = proxy._next_fault(f"{self.command} {self.path}")
                with proxy.lock:
                    proxy.seen.append(f"{self.command} {self.path} {fault}")
                    proxy.authorization.append(self.headers.get("Authorization"))
                    proxy.headers.append({k.lower(): v for k, v in self.headers.items()})
                if fault is not None and fault[0] == "status":
                    payload = b"<html>unavailable</html>"
                    self.send_response(int(fault[1]))
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                if fault is not None and fault[0] == "lost":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                if fault is not None and fault[0] == "slow":
                    proxy.release.wait(fault[1])
                self.send_response(answer.status)
                # A HEAD answer's length is the object's, and no body follows.
                kept = ("content-length",) if self.command == "HEAD" else ()
                for key, value in answer.getheaders():
                    dropped = ("transfer-encoding", "connection", "content-length")
                    if key.lower() not in dropped or key.lower() in kept:
                        self.send_header(key, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _relay

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        """Stops listening and cuts the connections that are open (keep-alive ones too)."""
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.connections.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.release.set()
        self.down()


class HtmlServer:
    """Answers every request with a 200 HTML page, as a web server that is not MLflow does."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _page(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                payload = b"<!doctype html><html><body>Welcome to nginx!</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _page

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class HostileArtifactServer:
    """An artifact service that lists a path leaving the download's destination (`../...`)
    next to an honest file, to check that clients refuse it before writing anything."""

    def __init__(self, hostile_path: str) -> None:
        import json

        listing = json.dumps(
            {
                "files": [
                    {"path": "ok.txt", "is_dir": False, "file_size": 2},
                    {"path": hostile_path, "is_dir": False, "file_size": 4},
                ]
            }
        ).encode()
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                payload = listing if "?path=" in self.path else b"evil"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
