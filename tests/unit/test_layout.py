"""The house rules of docs/development.md, held by a test: the layout shows the architecture,
imports go only along the allowed edges between packages and never in a cycle (function-level
imports included), no module grows past 400 lines nor a function past 60, every package is
named in docs/development.md, and the unit tests mirror exporter/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support.processes import ROOT

PACKAGE = ROOT / "exporter"
MAX_LINES = 400
MAX_FUNCTION_LINES = 60
LONG_FUNCTIONS: set[str] = set()  # module:function allowed past MAX_FUNCTION_LINES, each with its reason
MAX_ROOT_MODULES = 12  # besides __init__.py and __main__.py

# The small modules at the root everything may use: numbers and money, redaction, defaults,
# the engine's job primitives, state files, the snapshot records, the failure reasons.
BASE = {"exporter", "units", "money", "redact", "defaults", "jobs", "statefile", "snapshot", "failures"}
DOMAINS = {"catalog", "spend", "probes"}
# Which packages (or root modules) each may import, beyond itself. docs/development.md gives
# the reason for each row; tests/unit/test_layout.py holds the code to it.
ALLOWED: dict[str, set[str]] = {
    "units": set(), "redact": set(), "defaults": set(), "jobs": set(), "snapshot": set(), "failures": set(),
    "exporter": set(), "money": {"units"}, "statefile": {"units"},
    "http": BASE,
    "sources": BASE | {"http"},
    # the domains stand side by side above the sources, never importing one another
    **{domain: BASE | {"http", "sources"} for domain in DOMAINS},
    "views": BASE | DOMAINS,
    "config": BASE | DOMAINS | {"sources"},
    "engine": BASE | DOMAINS | {"http", "sources", "views", "config"},
    "families": (BASE - {"jobs", "statefile"}) | DOMAINS | {"views"},
    "collector": BASE | {"families", "views"},
    "web": BASE | DOMAINS | {"views", "collector", "config"},
    "demo": {"exporter"},
    "cli": BASE | DOMAINS | {"http", "sources", "views", "config", "engine", "families", "collector", "web", "demo"},
    "__main__": {"cli"},
}


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


def package(module: str) -> str:
    """exporter.sources.openrouter.catalog -> sources; exporter.units -> units; exporter -> exporter."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def outside_the_table(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for name, imported in sorted(graph.items()):
        here = package(name)
        for target in sorted(imported):
            there = package(target)
            if there != here and there not in ALLOWED[here]:
                bad.append(f"{name} -> {target}")
    return bad


def test_every_import_follows_an_allowed_edge() -> None:
    assert set(ALLOWED) >= {package(m) for m in modules()}, "a package without a row in ALLOWED"
    assert outside_the_table(import_graph()) == []


def test_the_edge_check_finds_a_forbidden_one() -> None:
    assert outside_the_table({"exporter.sources.openai": {"exporter.spend.book"},
                              "exporter.web.app": {"exporter.engine.lifecycle"},
                              "exporter.families.exporter": {"exporter.http.errors"},
                              "exporter.spend.job": {"exporter.catalog.capabilities"}}) == [
        "exporter.families.exporter -> exporter.http.errors", "exporter.sources.openai -> exporter.spend.book",
        "exporter.spend.job -> exporter.catalog.capabilities", "exporter.web.app -> exporter.engine.lifecycle"]


def test_no_function_is_over_60_lines() -> None:
    long = set()
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                    node.end_lineno is not None and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                long.add(f"{name}:{node.name}")
    assert long <= LONG_FUNCTIONS, long - LONG_FUNCTIONS


# Modules whose behaviour is tested through another module's tests instead of a test file of
# their own at tests/unit/<package>/test_<module>.py, each with where and why. Everything else
# with code in exporter/ has its mirror file.
TESTED_WITH: dict[str, tuple[str, str]] = {
    # declarations, no logic of their own
    "defaults": ("test_config.py", "the schema's defaults, read through the config they fill"),
    "failures": ("http/test_client.py", "the reasons' names, counted by the client"),
    "views": ("test_collector.py", "the records the engine hands the exposition"),
    # what the demo's HTTP server answers: read over real HTTP by the demo's own engine
    "demo.handler": ("demo/test_server.py", "the routes, read by an engine polling the demo"),
    # each family renders a view: the collector renders every one, the docs check each name
    **{f"families.{name}": ("test_collector.py", "rendered with every other family from a live engine")
       for name in ("base", "budgets", "catalog", "exporter", "fleetfile", "gatewayz", "ollama", "probes",
                    "process", "providers", "proxies", "upstreams", "usage")},
    "families.liveness": ("probes/test_liveness.py", "rendered from a live engine beside the checks that fill it"),
    "families.live": ("spend/test_live.py", "rendered from a live engine beside the book that fills it"),
    "families.keys": ("sources/litellm/test_keys.py", "rendered from live engines polling OpenRouter and LiteLLM"),
    "http.errors": ("http/test_client.py", "each failure reason, raised by a real request"),
    "http.stream": ("probes/test_probe.py", "the streaming reads, timed against a dripping server"),
    "probes.settings": ("probes/test_runner.py", "the probes: section, parsed and run"),
    "probes.servability": ("probes/test_liveness.py", "the verdicts and counts the checks keep"),
    "probes.liveness_runner": ("probes/test_liveness.py", "the checks, run by a live engine on its schedule"),
    "sources.registry": ("test_config.py", "the source types a config may name"),
    "spend.feeds": ("sources/litellm/test_spendlogs.py", "the one usage feed there is"),
    "spend.fleetfile": ("spend/test_recommend.py", "the fleet file's roles, judged by the recommendations"),
    "web.documents": ("web/test_catalog_api.py", "the documents, read from /api/models and /api/summary"),
    "web.healthcheck": ("test_deploy.py", "the image's HEALTHCHECK command"),
    "web.landing": ("web/test_summary.py", "the page, read beside /api/summary (and in Chromium, e2e)"),
}


def mirror(module: str) -> str:
    """exporter.sources.openrouter.catalog -> sources/openrouter/test_catalog.py"""
    *package_path, name = module.split(".")[1:]
    return "/".join([*package_path, f"test_{name}.py"])


def test_the_mirror_of_a_module() -> None:
    assert mirror("exporter.sources.openrouter.catalog") == "sources/openrouter/test_catalog.py"
    assert mirror("exporter.units") == "test_units.py"


def test_every_module_has_its_tests_where_its_path_says() -> None:
    unit = ROOT / "tests" / "unit"
    own = {name for name, path in modules().items() if path.stem not in ("__init__", "__main__")}
    listed = {f"exporter.{module}" for module in TESTED_WITH}
    missing = sorted(m for m in own - listed if not (unit / mirror(m)).exists())
    assert missing == [], "give each a test file at tests/unit/<package>/test_<module>.py, or a row in TESTED_WITH"
    for module, (where, _why) in TESTED_WITH.items():
        assert f"exporter.{module}" in own, f"TESTED_WITH names {module}, which is gone"
        assert not (unit / mirror(f"exporter.{module}")).exists(), f"{module} has its own tests now: drop its row"
        assert (unit / where).exists(), where
    # and the other way: a test file in a package's folder is named after a module there
    strays = sorted(str(p.relative_to(unit)) for p in unit.glob("*/**/test_*.py")
                    if not any(p == unit / mirror(m) for m in own))
    assert strays == []


def documented_edges() -> dict[str, set[str]]:
    """The allowed-edges table of docs/development.md, read back as ALLOWED's shape."""
    guide = (ROOT / "docs" / "development.md").read_text()
    table = guide.split("| package | may import | why |", 1)[1].split("\n\n", 1)[0]
    out: dict[str, set[str]] = {}
    for row in table.strip().splitlines()[1:]:
        packages, may, _why = (cell.strip() for cell in row.strip("|").split("|"))
        if may == "nothing":
            allowed: set[str] = set()
        elif may == "everything above":
            allowed = set(out) - {"__main__"}
        else:
            allowed = set()
            exceptions = re.search(r"base \(not ([^)]*)\)", may)
            if exceptions:
                allowed |= BASE - {name.strip() for name in exceptions.group(1).split(",")}
                may = may.replace(exceptions.group(0), "")
            for name in filter(None, (part.strip() for part in may.split(","))):
                allowed |= BASE if name == "base" else {name}
        for name in packages.split(","):
            out[name.strip().strip("`")] = allowed
    return out


def test_development_md_shows_the_allowed_edges_as_they_are() -> None:
    assert documented_edges() == ALLOWED
