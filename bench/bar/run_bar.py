"""The bar of issue 12 (`make bar`): MLflow's own tests, run against mlrs, counted and sorted.

MLflow's test files are not part of this repository; point `--src` at a directory holding
MLflow's `tests/` tree (the files below, tests/helper_functions.py, tests/__init__.py files,
tests/entities/conftest.py, tests/resources/data). docs/bar.md says where they come from.

The runner copies that tree to a scratch directory without MLflow's top-level tests/conftest.py
(it sets up a development checkout of mlflow; mlrs_bar_plugin.py gives the tests what they need
from it), with an empty tests/__init__.py (MLflow's configures logging through a private module),
with every top-level import guarded (guard_imports) and the PATCHES below applied; runs pytest
there with `mlflow` aliased to mlrs and, unless `--no-reference`, the same files against the
real mlflow of this venv as well. Then it prints per file
passed/failed/skipped, and every test that fails under mlrs in one category:

- reference-fails: fails under the real mlflow here too (another mlflow version's expectations,
  a service or package this machine does not have): says nothing about mlrs;
- tracing/GenAI: traces, spans, assessments, prompts, evaluation datasets, scorers, webhooks;
- private-mock: patches or imports a private mlflow module (`mlflow.store...`, `_get_store`),
  or needs Databricks;
- protobuf: an entity's to_proto/from_proto (mlrs entities have no protobuf form);
- external: needs a package this venv lacks (pyspark, boto3, ...);
- gap: everything else, a public behaviour where mlrs differs from mlflow.

    python bench/bar/run_bar.py [--src /tmp/mlflow-bar] [--no-reference] [--json PATH] [FILE ...]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent

FILES = [
    "tests/tracking/fluent/test_fluent.py",
    "tests/tracking/test_client.py",
    "tests/entities",
    "tests/data/test_pandas_dataset.py",
    "tests/data/test_numpy_dataset.py",
]

TRACING = re.compile(
    r"trac(e|es|ing)\b|_trace|trace_|span|assessment|prompt|evaluat|scorer|webhook|genai|"
    r"dataset_record|judge|feedback|expectation|otel|opentelemetry|label_schema|issue",
    re.IGNORECASE,
)
PRIVATE = re.compile(
    r"mock_store|mock_registry_store|mock_artifact_repo|mock_databricks|_get_store|"
    r"databricks|mlflow\.store\.|mlflow\.tracking\._|mlflow\.utils\.\w+\._|"
    r"has no attribute '_|does not have the attribute '_|No module named 'mlflow\.|"
    r"cannot import name '_|mlflow\.protos|_tracking_service|_model_registry|"
    r"context\.registry|default_experiment_registry|does not have the attribute|"
    r"module 'mlrs\.[\w.]+' has no attribute|"
    r"mlflow\.utils\.(os|workspace_utils|async_logging|get_results_from_paginated_fn)",
    re.IGNORECASE,
)
EXTERNAL = re.compile(r"No module named '(?!mlflow)([\w.]+)'")


# Test infrastructure in MLflow's files that exercises no public behaviour and would fail every
# test of a file under mlrs: (file, text, replacement, why).
PATCHES = [
    (
        "tests/tracking/fluent/test_fluent.py",
        "reload(mlflow.tracking.context.registry)",
        "pass",
        "an autouse fixture reloads the private context-provider registry to clear its caches",
    ),
    (
        "tests/tracking/test_client.py",
        "    mlflow.tracing.disable()\n",
        "",
        "the tracking_uri fixture (registry, runs, models) resets the tracer around a URI change",
    ),
    (
        "tests/tracking/test_client.py",
        "    mlflow.tracing.enable()\n",
        "",
        "the same fixture",
    ),
]


# Private helpers MLflow's tests call at import time, given their obvious meaning.
HELPERS = {"mlflow.utils.os.is_windows": "lambda: __import__('os').name == 'nt'"}


def stub(bound: str, origin: str) -> str:
    if origin in HELPERS:
        return f"{bound} = {HELPERS[origin]}"
    return f"{bound} = __import__('mlrs_bar_plugin').record_stub(__name__, {bound!r}, {origin!r})"


def guard_imports(path: Path) -> None:
    """Rewrites each top-level import of a staged test module so that a module or name that
    does not exist binds a placeholder instead of failing the whole file: one missing import (a
    private mlflow module, a tracing entity, polars) must not hide every other test of it. Each
    name so bound is reported to mlrs_bar_plugin (file, name, what it came from), so a
    test failing on it is sorted by what it needed."""
    source = path.read_text()
    lines = source.splitlines()
    edits: list[tuple[int, int, str]] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "__future__":
                continue
            parts = []
            for alias in node.names:
                bound = alias.asname or alias.name
                stubbed_from = f"{node.module}.{alias.name}"
                imp = f"from {node.module} import {alias.name}" + (
                    f" as {alias.asname}" if alias.asname else ""
                )
                parts.append(
                    f"try:\n    {imp}\nexcept ImportError:\n    {stub(bound, stubbed_from)}"
                )
            edits.append((node.lineno, node.end_lineno or node.lineno, "\n".join(parts)))
        elif isinstance(node, ast.Import):
            parts = []
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                imp = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                fallback = "pass" if bound == "mlflow" else stub(bound, alias.name)
                parts.append(f"try:\n    {imp}\nexcept ImportError:\n    {fallback}")
            edits.append((node.lineno, node.end_lineno or node.lineno, "\n".join(parts)))
    for first, last, text in reversed(edits):
        lines[first - 1 : last] = [text]
    path.write_text("\n".join(lines) + "\n")


def run_pytest(stage: Path, files: list[str], target: str, report: Path) -> None:
    env = {
        **os.environ,
        "MLRS_BAR_TARGET": target,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": os.pathsep.join([str(stage), str(HERE)]),
        "MLRS_BAR_STUBS": str(report.with_suffix(".stubs.json")),
    }
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "mlrs_bar_plugin",
        "--rootdir",
        str(stage),
        "-c",
        str(stage / "pytest.ini"),
        f"--junitxml={report}",
        "-o",
        "junit_family=xunit1",
        "--tb=short",
        "--continue-on-collection-errors",
        "--timeout=60",  # pytest-timeout: a test waiting on what this machine lacks fails
        "-W",
        "ignore",
        *files,
    ]
    print(f"== {target}: pytest {' '.join(files)}", flush=True)
    log = report.with_suffix(".log")
    with log.open("w") as out:
        subprocess.run(cmd, cwd=stage, env=env, check=False, stdout=out, stderr=subprocess.STDOUT)
    if not report.exists():
        sys.exit(f"pytest under {target} wrote no report:\n{log.read_text()[-3000:]}")


def outcomes(report: Path) -> dict[str, tuple[str, str]]:
    """test id -> (passed|failed|error|skipped, failure text)."""
    result: dict[str, tuple[str, str]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        path = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        test_id = f"{path}::{case.get('name')}"
        status, text = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                status = "failed" if child.tag == "failure" else child.tag
                text = (child.get("message") or "") + "\n" + (child.text or "")
                break
        if status == "error" and test_id in result:
            continue  # a teardown error after the test's own outcome
        result[test_id] = (status, text)
    return result


PROTO = re.compile(r"to_proto|from_proto|_pb2")


def stub_category(origin: str) -> str:
    if PROTO.search(origin):
        return "protobuf"
    if not origin.startswith("mlflow"):
        return "external"
    if TRACING.search(origin):
        return "tracing/GenAI"
    private = (
        "mlflow.store",
        "mlflow.protos",
        "mlflow.server",
        "mlflow.tracking.context",
        "mlflow.utils.os",
        "mlflow.utils.workspace_utils",
        "mlflow.utils.async_logging",
        "mlflow.utils.get_results_from_paginated_fn",
        "mlflow.tracking.fluent.ActiveModelContext",  # the context var's internal record
    )
    if origin.startswith(private) or any(p.startswith("_") for p in origin.split(".")):
        return "private-mock"
    return "gap"


def load_stubs(report: Path) -> dict[str, dict[str, str]]:
    path = report.with_suffix(".stubs.json")
    if not path.exists():
        return {}
    by_module: dict[str, dict[str, str]] = json.loads(path.read_text())
    return {m.replace(".", "/") + ".py": names for m, names in by_module.items()}


def category(
    test_id: str,
    text: str,
    reference: tuple[str, str] | None,
    stubs: dict[str, str],
) -> tuple[str, str]:
    """(category, the missing import it failed on or "")."""
    if reference is not None and reference[0] in ("failed", "error", "skipped"):
        return "reference-fails", ""
    missing = re.search(r"bar-missing: ([\w.]+)", text)
    if missing:
        return stub_category(missing.group(1)), missing.group(1)
    for name, origin in stubs.items():
        if re.search(rf"\b{re.escape(name)}\b", text):
            return stub_category(origin), origin
    if EXTERNAL.search(text):
        return "external", ""
    if PROTO.search(first_line(text)):
        return "protobuf", ""
    if TRACING.search(test_id.split("::", 1)[1]) or TRACING.search(test_id.split("::")[0]):
        return "tracing/GenAI", ""
    if PRIVATE.search(text):
        return "private-mock", ""
    if TRACING.search(text):
        return "tracing/GenAI", ""
    return "gap", ""


def first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("E "):
            return line[1:].strip()[:160]
    return text.strip().splitlines()[0][:160] if text.strip() else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("/tmp/mlflow-bar"))
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument(
        "--full-reference",
        action="store_true",
        help="run every file under the real mlflow too, not only the tests that fail under mlrs",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("files", nargs="*", default=FILES)
    args = parser.parse_args()
    if not (args.src / "tests").is_dir():
        sys.exit(f"{args.src}/tests is missing: see docs/bar.md for MLflow's test files")

    stage = Path(tempfile.mkdtemp(prefix="mlrs-bar-"))
    shutil.copytree(args.src / "tests", stage / "tests")
    (stage / "tests" / "conftest.py").unlink(missing_ok=True)
    # MLflow's tests/__init__.py configures mlflow's loggers through a private module.
    (stage / "tests" / "__init__.py").write_text("")
    for path in (stage / "tests").rglob("*.py"):
        guard_imports(path)
    for rel, old, new, _why in PATCHES:
        path = stage / rel
        if path.exists():
            path.write_text(path.read_text().replace(old, new))
    (stage / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    notrackingurimock\n    skipcacheclean\n"
        "    allow_infer_pip_requirements_fallback\n"
    )
    try:
        run_pytest(stage, args.files, "mlrs", stage / "mlrs.xml")
        ours = outcomes(stage / "mlrs.xml")
        stubs = load_stubs(stage / "mlrs.xml")
        print(f"   {len(ours)} tests", flush=True)
        ref: dict[str, tuple[str, str]] = {}
        if not args.no_reference:
            # The real mlflow builds each test's database through its migrations (a second or
            # two a test), so by default it runs only what would count as an mlrs gap.
            targets = args.files
            if not args.full_reference:
                targets = sorted(
                    test_id
                    for test_id, (status, text) in ours.items()
                    if status in ("failed", "error")
                    and "::" in test_id
                    and not test_id.split("::")[1].startswith("tests.")
                    and category(test_id, text, None, stubs.get(test_id.split("::")[0], {}))[0]
                    == "gap"
                )
            if targets:
                run_pytest(stage, targets, "mlflow", stage / "mlflow.xml")
                ref = outcomes(stage / "mlflow.xml")
    finally:
        if not args.keep:
            shutil.rmtree(stage, ignore_errors=True)

    per_file: dict[str, Counter[str]] = defaultdict(Counter)
    failures: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for test_id, (status, text) in sorted(ours.items()):
        per_file[test_id.split("::")[0]][status] += 1
        if status in ("failed", "error"):
            path = test_id.split("::")[0]
            cat, missing = category(
                test_id, text, ref.get(test_id) if ref else None, stubs.get(path, {})
            )
            line = f"missing import {missing}" if missing else first_line(text)
            failures[cat].append((test_id, line))

    total: Counter[str] = Counter()
    print(f"\n{'file':60} {'passed':>7} {'failed':>7} {'error':>6} {'skipped':>8}")
    for path, counts in sorted(per_file.items()):
        total.update(counts)
        print(
            f"{path:60} {counts['passed']:7} {counts['failed']:7} {counts['error']:6} "
            f"{counts['skipped']:8}"
        )
    print(
        f"{'total':60} {total['passed']:7} {total['failed']:7} {total['error']:6} "
        f"{total['skipped']:8}"
    )
    if ref:
        ref_total = Counter(status for status, _ in ref.values())
        print(
            f"{'(the real mlflow, on those it ran)':60} {ref_total['passed']:7} "
            f"{ref_total['failed']:7} {ref_total['error']:6} {ref_total['skipped']:8}"
        )
    print("\nfailures under mlrs by category:")
    cats = ("gap", "private-mock", "protobuf", "tracing/GenAI", "external", "reference-fails")
    for cat in cats:
        print(f"  {cat:16} {len(failures[cat])}")
    for cat in cats:
        if failures[cat]:
            print(f"\n-- {cat} ({len(failures[cat])})")
            for test_id, line in failures[cat]:
                print(f"   {test_id}\n      {line}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "per_file": {k: dict(v) for k, v in per_file.items()},
                    "categories": {k: [t for t, _ in v] for k, v in failures.items()},
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
