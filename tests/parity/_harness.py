"""Running scripts under mlflow or mlrs in isolated directories, and normalising their records."""

from __future__ import annotations

import atexit
import contextlib
import difflib
import itertools
import json
import math
import os
import queue
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PYTHON = sys.executable
SCENARIO_DIR = Path(__file__).parent / "scenarios"
MARKER = "@@parity "
SCRIPT_TIMEOUT_S = 240


def clean_env(workdir: Path, impl: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a script: ours minus every MLFLOW_*/MLRS_* knob, HOME in workdir.

    A fixed PYTHONHASHSEED keeps set iteration orders (which leak into some of mlflow's
    messages) the same from one run to the next.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "MLRS_", "PYTEST_", "PARITY_"))
    }
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home),
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        PARITY_IMPL=impl,
        PYTHONPATH=str(SCENARIO_DIR),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
        # mlrs's environment capture adds tags and artifacts mlflow has no counterpart for;
        # tests/test_environment.py covers it.
        MLRS_CAPTURE_ENV="0",
    )
    env.update(extra or {})
    return env


def make_mlflow_template(directory: Path) -> Path:
    """Let real mlflow create ``mlflow.db`` once (about 4 s); scenarios get copies of it."""
    script = directory / "make_template.py"
    script.write_text("import mlflow\nmlflow.search_experiments()\n", encoding="utf-8")
    returncode, _, stderr = run_python(script.name, directory, "mlflow")
    assert returncode == 0, stderr[-3000:]
    return directory / "mlflow.db"


# ---- running scripts: mlflow's from forks of a process that imported it once -----------------

ZYGOTE = Path(__file__).parent / "_zygote.py"
# PARITY_ZYGOTE=0 starts a fresh interpreter for every mlflow script (to check the zygote).
USE_ZYGOTE = os.environ.get("PARITY_ZYGOTE", "1") != "0" and hasattr(os, "fork")


def _read_line(fd: int, timeout_s: float | None) -> str | None:
    """One line from a pipe, or None when `timeout_s` passes first (unbuffered, so a wait with
    select never misses a line that a buffer already holds)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    data = bytearray()
    while not data.endswith(b"\n"):
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not select.select([fd], [], [], left)[0]:
            return None
        byte = os.read(fd, 1)
        if not byte:
            raise RuntimeError("the mlflow zygote exited")
        data += byte
    return data.decode()


class _Zygote:
    """One `_zygote.py` process: mlflow imported once, a fork per script."""

    _numbers = itertools.count()

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="parity-zygote-"))
        self.process = subprocess.Popen(
            [PYTHON, str(ZYGOTE)],
            cwd=self.dir,
            env=clean_env(self.dir, "mlflow"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )

    def run(self, script: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        number = next(self._numbers)
        out, err = self.dir / f"{number}.out", self.dir / f"{number}.err"
        request = {"script": script, "cwd": str(cwd), "env": env, "stdout": str(out)}
        request["stderr"] = str(err)
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        fd = self.process.stdout.fileno()
        pid = json.loads(_read_line(fd, None) or "")["pid"]
        done = _read_line(fd, SCRIPT_TIMEOUT_S)
        if done is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            done = _read_line(fd, None)
        returncode = json.loads(done or "")["returncode"]
        texts = [path.read_text(encoding="utf-8", errors="replace") for path in (out, err)]
        for path in (out, err):
            path.unlink()
        return returncode, texts[0], texts[1]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


class _ZygotePool:
    """Zygotes lent to one caller at a time: at most as many as scripts run at once."""

    def __init__(self) -> None:
        self.idle: queue.SimpleQueue[_Zygote] = queue.SimpleQueue()
        self.all: list[_Zygote] = []
        self.lock = threading.Lock()

    def run(self, script: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
        try:
            zygote = self.idle.get_nowait()
        except queue.Empty:
            zygote = _Zygote()
            with self.lock:
                self.all.append(zygote)
        try:
            return zygote.run(script, cwd, env)
        finally:
            self.idle.put(zygote)

    def close(self) -> None:
        for zygote in self.all:
            with contextlib.suppress(Exception):
                zygote.close()


_ZYGOTES = _ZygotePool()
atexit.register(_ZYGOTES.close)


def run_python(script: str, workdir: Path, impl: str, fresh: bool = False) -> tuple[int, str, str]:
    """Runs ``python <script>`` in ``workdir`` under ``impl``: (returncode, stdout, stderr).
    mlflow's scripts run in forks of a zygote unless ``fresh``."""
    env = clean_env(workdir, impl)
    if impl == "mlflow" and USE_ZYGOTE and not fresh:
        return _ZYGOTES.run(script, workdir, env)
    done = subprocess.run(
        [PYTHON, script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def install_template(template: Path, workdir: Path) -> None:
    """Copy mlflow's fresh DB into ``workdir`` as if mlflow had just created it there."""
    target = workdir / "mlflow.db"
    shutil.copyfile(template, target)
    now_ms = int(time.time() * 1000)
    with contextlib.closing(sqlite3.connect(target)) as connection, connection:
        connection.execute(
            "UPDATE experiments SET artifact_location = ?, creation_time = ?, last_update_time = ?"
            " WHERE experiment_id = 0",
            (str(workdir / "mlruns" / "0"), now_ms, now_ms),
        )


def directives(script: Path) -> set[str]:
    """Words from ``# parity: word word`` lines at the top of a scenario."""
    words: set[str] = set()
    for line in script.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# parity:"):
            words.update(line.split(":", 1)[1].split())
    return words


@dataclass
class ScriptResult:
    impl: str
    workdir: Path
    returncode: int
    stdout: str
    stderr: str
    records: list[tuple[str, str]] = field(default_factory=list)

    def has_uncaught(self) -> bool:
        return any(label == "<uncaught>" for label, _ in self.records)


def run_scenario(
    script: Path, workdir: Path, impl: str, template: Path | None = None, fresh: bool = False
) -> ScriptResult:
    """Run ``script`` as ``<name>.py`` from ``workdir`` (a fresh directory) under ``impl``."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    local = workdir / script.name
    shutil.copyfile(script, local)
    if template is not None and "fresh-db" not in directives(script):
        install_template(template, workdir)
    returncode, stdout, stderr = run_python(local.name, workdir, impl, fresh)
    result = ScriptResult(impl, workdir, returncode, stdout, stderr)
    result.records = normalise(stdout, workdir)
    result.records.append(("<exit>", str(returncode)))
    return result


RUN_ID = re.compile(r"\b[0-9a-f]{32}\b")
# Milliseconds since the epoch between 2017 and 2049: "now", as taken by the library.
# Scripts that pass explicit timestamps use small numbers, which are kept.
NOW_MS = re.compile(r"\b(?:1[5-9]|2[0-4])\d{11}\b")
RANDOM_NAME = re.compile(r"\b([a-z]+)-([a-z]+)-(\d{1,4})\b")


def _random_name(match: re.Match[str]) -> str:
    """``adj-noun-N`` with N in 0..1000 and at most 20 chars.

    mlflow draws the words from its own vocabulary; mlrs has a vocabulary of its own (its code
    is written independently), so only the shape is compared.
    """
    predicate, _noun, number = match.groups()
    valid = int(number) <= 1000 and len(match.group(0)) <= 20 and len(predicate) > 1
    return "<name>" if valid else match.group(0)


def normalise(stdout: str, workdir: Path) -> list[tuple[str, str]]:
    """Records as (label, value JSON) pairs, with the volatile parts replaced by placeholders.

    Run ids become ``<run0>``, ``<run1>``... by first appearance in the stream, the scenario's
    directory ``<cwd>``, random run names ``<name>``, and "now" timestamps ``<ts>`` inside
    strings, ``"<ts:int>"`` / ``"<ts:float>"`` as numbers (so their type is still compared).
    """
    run_ids: dict[str, str] = {}

    def run_placeholder(match: re.Match[str]) -> str:
        return run_ids.setdefault(match.group(0), f"<run{len(run_ids)}>")

    def text(value: str) -> str:
        value = value.replace(str(workdir), "<cwd>")
        value = RUN_ID.sub(run_placeholder, value)
        value = NOW_MS.sub("<ts>", value)
        return RANDOM_NAME.sub(_random_name, value)

    def walk(value: object) -> object:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, float) and not math.isfinite(value):
            return value
        if isinstance(value, int | float) and NOW_MS.fullmatch(str(int(value))):
            return f"<ts:{type(value).__name__}>"
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {text(key): walk(item) for key, item in value.items()}
        return value

    records = []
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            item = json.loads(line[len(MARKER) :])
            value = json.dumps(walk(item["value"]), sort_keys=True)
            records.append((text(item["label"]), value))
    return records


def explain_mismatch(expected: ScriptResult, actual: ScriptResult, limit: int = 40) -> str | None:
    """None when both streams match, else a readable list of differing records."""
    if expected.records == actual.records:
        return None
    lines = [f"records differ ({expected.impl} vs {actual.impl}):"]
    matcher = difflib.SequenceMatcher(a=expected.records, b=actual.records, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        left, right = expected.records[a0:a1], actual.records[b0:b1]
        for index in range(max(len(left), len(right))):
            if index < len(left) and index < len(right) and left[index][0] == right[index][0]:
                label = left[index][0]
                lines.append(f"  {label}:")
                lines.append(f"    {expected.impl}: {left[index][1]}")
                lines.append(f"    {actual.impl}: {right[index][1]}")
                continue
            if index < len(left):
                lines.append(f"  only {expected.impl}: {left[index][0]} = {left[index][1]}")
            if index < len(right):
                lines.append(f"  only {actual.impl}: {right[index][0]} = {right[index][1]}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"  ... and {len(lines) - limit} more lines"]
    if actual.has_uncaught() or actual.returncode != expected.returncode:
        lines.append(f"--- {actual.impl} stderr (tail) ---")
        lines.append(actual.stderr[-3000:])
    return "\n".join(lines)


# ---- interop tests: one side writes a database, the other reads and extends it ---------------

INTEROP_DIR = Path(__file__).parent / "interop"


def run_interop(
    script: str, workdir: Path, impl: str, template: Path | None = None
) -> ScriptResult:
    """Runs `interop/<script>` in `workdir` (which keeps its database) and requires success."""
    result = run_scenario(INTEROP_DIR / script, workdir, impl, template)
    failed = result.returncode != 0 or result.has_uncaught()
    assert not failed, f"{script} failed under {impl}:\n{result.stderr[-3000:]}"
    return result


def assert_same(expected: ScriptResult, actual: ScriptResult, what: str) -> None:
    """Fails the test, naming `what`, when two records differ."""
    import pytest

    problem = explain_mismatch(expected, actual)
    if problem is not None:
        pytest.fail(f"{what}: {problem}", pytrace=False)


def main(argv: list[str]) -> int:
    """``python tests/parity/_harness.py SCENARIO [IMPL]``: run one scenario, print its records.

    With IMPL ``both`` (the default) it runs mlflow and mlrs and prints the differences.
    """
    import tempfile

    name, impl = argv[0], (argv[1] if len(argv) > 1 else "both")
    script = SCENARIO_DIR / f"{name.removesuffix('.py')}.py"
    impls = ["mlflow", "mlrs"] if impl == "both" else [impl]
    results = []
    with tempfile.TemporaryDirectory(prefix=f"parity-{script.stem}-") as tmp:
        for each in impls:
            result = run_scenario(script, Path(tmp) / each, each)
            results.append(result)
            print(f"=== {each}: exit {result.returncode}, {len(result.records)} records")
            if impl != "both":
                for label, value in result.records:
                    print(f"{label}: {value}")
            if result.returncode != 0 or result.has_uncaught():
                print(result.stderr[-3000:])
    if len(results) == 2:
        print(explain_mismatch(results[0], results[1], limit=10_000) or "no differences")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
