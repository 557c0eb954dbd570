"""The Python layer's imports form layers: no import cycles (lazy imports inside functions
included), the facades (`mlrs._fluent`, `MlflowClient`) sit on top of the tracking floor
(`mlrs._tracking`) and nothing below them imports them, and the autolog machinery
(`mlrs.autologging`) imports no integration. See ARCHITECTURE.md, "Python: `python/mlrs/`".

The graph is read with `ast`, not by importing: every `import` and `from ... import` anywhere
in a module counts (those under `if TYPE_CHECKING:` and inside functions too), and
`from mlrs import x` is an edge to the module `mlrs.x` when there is one. The package `mlrs`
itself (its `__init__`, which re-exports everything) is left out.
"""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "python" / "mlrs"

# The API users call; they may import anything, nothing under them may import them.
FACADES = {
    "mlrs._fluent",
    "mlrs.tracking",
    "mlrs.tracking.client",
    "mlrs.tracking._registry_client",
    "mlrs.tracking.fluent",
}
# Users of the public API, above the facades: tools, test helpers, the drop-in alias.
ABOVE_FACADES = ("mlrs._alias", "mlrs._cli", "mlrs.testing", "mlrs.pytest_plugin")
INTEGRATIONS = ("mlrs.sklearn", "mlrs.xgboost", "mlrs.lightgbm")


def module_files() -> dict[str, pathlib.Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the mlrs modules it imports anywhere in its text."""
    files = module_files()
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                    for alias in node.names
                ]
            graph[name].update(t for t in targets if t in files and t not in (name, "mlrs"))
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def cycle_in(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the component's first module, as a path that ends where it starts."""
    members = set(component)
    start = component[0]
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for step in sorted(graph[node] & members):
                if step == start:
                    path = [start, node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return path[::-1]
                if step not in parents:
                    parents[step] = node
                    following.append(step)
        frontier = following
    return component


def test_no_import_cycles() -> None:
    graph = import_graph()
    components = strongly_connected(graph)
    described = [
        f"{len(c)} modules {c}, e.g. {' -> '.join(cycle_in(graph, c))}" for c in components
    ]
    assert not components, "import cycles:\n" + "\n".join(described)


def test_nothing_below_the_facades_imports_them() -> None:
    graph = import_graph()
    wrong = [
        f"{name} imports {target}"
        for name, targets in sorted(graph.items())
        if name != "mlrs" and name not in FACADES and not name.startswith(ABOVE_FACADES)
        for target in sorted(targets & FACADES)
    ]
    assert not wrong, "\n".join(wrong)


def test_autologging_imports_no_integration() -> None:
    graph = import_graph()
    wrong = [
        f"{name} imports {target}"
        for name, targets in sorted(graph.items())
        if name == "mlrs.autologging" or name.startswith("mlrs.autologging.")
        for target in sorted(targets)
        if target.startswith(INTEGRATIONS)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_scan_sees_lazy_imports_and_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert cycle_in(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
    # `models._uri` imports `_registry` inside a function only.
    assert "mlrs._registry" in import_graph()["mlrs.models._uri"]
