"""The house rules of docs/development.md, held by a test: the layout shows the architecture,
no import cycle exists (function-level imports included), no module grows past 400 lines, and
every package is named in docs/development.md."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.processes import ROOT

PACKAGE = ROOT / "exporter"
MAX_LINES = 400
MAX_ROOT_MODULES = 12  # besides __init__.py and __main__.py


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the exporter modules it imports anywhere in its body; `from a import b`
    counts as importing a.b when b is a module, else a."""
    mods = modules()
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in mods}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    if target in mods:
                        graph[name].add(target)
                    elif base in mods:
                        graph[name].add(base)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v] - {v}:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_root_holds_only_the_skeleton() -> None:
    flat = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(flat) <= MAX_ROOT_MODULES, flat


def test_no_module_is_over_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_development_md_names_every_package_and_module_of_the_root() -> None:
    guide = (ROOT / "docs" / "development.md").read_text()
    packages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    flat = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("__"))
    for name in packages:
        assert f"{name}/" in guide, name
    for name in flat:
        assert f"{name}.py" in guide, name
    assert "## Adding a source type" in guide


def test_sources_never_import_the_config_loader_or_render_metrics() -> None:
    graph = import_graph()
    for name, imported in graph.items():
        if name.startswith("exporter.sources"):
            assert "exporter.config" not in imported, name
            assert not any(m.startswith(("exporter.families", "exporter.collector")) for m in imported), name
        if name.startswith("exporter.web"):
            assert "exporter.engine" not in imported, name
