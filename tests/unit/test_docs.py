"""The generated reference pages are current, and every relative link in the README and docs
resolves."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from exporter.config import load_text
from tests.support.processes import ROOT


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_are_current(tmp_path: Path) -> None:
    generator().generate(tmp_path)
    for name in ("metrics.md", "configuration.md", "alerts.md"):
        assert (tmp_path / name).read_text() == (ROOT / "docs" / name).read_text(), f"run `make docs` ({name})"


def test_every_family_and_top_level_key_is_documented() -> None:
    from exporter.defaults import SCHEMA
    from exporter.families import ALL

    metrics = (ROOT / "docs" / "metrics.md").read_text()
    for family in ALL:
        assert f"| `{family.name}` |" in metrics, family.name
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    for key in SCHEMA["properties"]:
        assert f"### `{key}`" in configuration, key


def test_every_source_type_has_its_row() -> None:
    from exporter.sources.registry import SOURCE_TYPES

    page = (ROOT / "docs" / "sources.md").read_text()
    for name, cls in SOURCE_TYPES.items():
        row = next((line for line in page.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, name
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        if cls.default_url:
            assert cells[1] == f"`{cls.default_url}`", name
        for endpoint in cls.endpoints:  # the `endpoint` label values, as the table names them
            assert f"(`{endpoint}`" in cells[2], (name, endpoint)
        assert cells[3].replace("`", "") == cls.auth, name


def test_every_route_has_its_row_and_the_apis_an_example() -> None:
    from exporter.engine import Engine
    from exporter.web.app import App

    page = (ROOT / "docs" / "api.md").read_text()
    engine = Engine(load_text("sources: [{name: a, type: statuspage, url: 'https://status.a.example.com'}]\n", env={}))
    for path in App(engine).routes:
        assert re.search(rf"^\| `{re.escape(path)}[`?]", page, re.M), path
        if path.startswith("/api/") and path != "/api/summary":
            assert f"curl -s 'localhost:8001{path}" in page, path
            assert f"## `{path}`" in page, path
    engine.stop()


def test_every_alert_has_a_runbook_section() -> None:
    import yaml

    rules = yaml.safe_load((ROOT / "prometheus/rules/alerts.yml").read_text())["groups"][0]["rules"]
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    alerts = (ROOT / "docs" / "alerts.md").read_text()
    for rule in rules:
        name = rule["alert"]
        assert f"\n## {name}\n" in runbook, name
        assert f"| `{name}` | {rule['labels']['severity']} | {rule['for']} |" in alerts, name


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_every_relative_link_resolves() -> None:
    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md")),
             ROOT / "dashboards" / "README.md", ROOT / "config" / "README.md",
             ROOT / "tests" / "fixtures" / "providers" / "README.md"]
    broken = []
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # links in code are examples
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve()
            if not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and resolved.suffix == ".md":
                headings = {_anchor(h) for h in re.findall(r"^#+ (.+)$", resolved.read_text(), re.M)}
                if anchor not in headings:
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")
