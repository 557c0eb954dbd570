"""`mlrs ui` as a subprocess on a free loopback port, and a small HTTP client for its API."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _lower(items: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


@dataclass
class Answer:
    """A response; header names in lower case."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class UiServer:
    """A running `mlrs ui`; `url` is its base URL (with a trailing slash)."""

    process: subprocess.Popen[str]
    url: str
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        headers: dict[str, str] | None = None,
        same_origin: bool = True,
    ) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        all_headers = dict(headers or {})
        if same_origin and method != "GET":
            all_headers.setdefault("Origin", self.origin)
        if data is not None:
            all_headers.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(
            self.origin + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return Answer(resp.status, _lower(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as e:
            return Answer(e.code, _lower(e.headers.items()), e.read())

    def get(self, path: str, /, **params: object) -> Answer:
        query = urllib.parse.urlencode(
            {k: v for k, v in params.items() if v is not None}, quote_via=urllib.parse.quote
        )
        return self.request("GET", f"{path}?{query}" if query else path)

    def api(self, path: str, /, **params: object) -> Any:
        answer = self.get(path, **params)
        assert answer.status == 200, (answer.status, answer.body[:500])
        return answer.json()

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        """Sends `sig` and waits; returns the exit code and the rest of stderr."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            err = self._dump_stacks()
        return self.process.returncode, "".join(self.stderr_lines) + (err or "")

    def _dump_stacks(self) -> str:
        """Ends a process that did not stop, saying where each of its threads was: native
        stacks from gdb when the machine has it, then Python's (faulthandler, on SIGABRT)."""
        native = ""
        gdb = shutil.which("gdb")
        if gdb is not None:
            try:
                native = subprocess.run(
                    [gdb, "-p", str(self.process.pid), "-batch", "-ex", "thread apply all bt"],
                    capture_output=True,
                    text=True,
                    timeout=120,
                ).stdout
            except subprocess.TimeoutExpired:
                native = "gdb did not answer in 120 s\n"
        self.process.send_signal(signal.SIGABRT)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return f"{err or ''}\n[did not stop in 60 s; native stacks:]\n{native}"


def start(uri: str, cwd: Path, *extra: str) -> UiServer:
    """Starts `mlrs ui` for `uri` on a free port and waits for the URL it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mlrs", "ui", "--backend-store-uri", uri, "--port", "0", *extra],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Python's stacks on SIGABRT, should it ever not stop (see `UiServer.stop`).
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if " at http://" not in line:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"mlrs ui did not start: {line!r} {err}")
    return UiServer(process, line.rsplit(" at ", 1)[1].strip())
