"""The README's tables must match the code: every family the exporter can emit and every
source type has its row."""

from __future__ import annotations

import re

from exporter.families import ALL, CACHED
from exporter.sources.registry import SOURCE_TYPES
from tests.support.processes import ROOT

README = (ROOT / "README.md").read_text()


def rows(first_cell: str) -> set[str]:
    return set(re.findall(rf"^\| `({first_cell})` \|", README, re.M))


def metric_rows() -> dict[str, list[str]]:
    out = {}
    for line in README.splitlines():
        if re.match(r"^\| `(?:llm|gatewayz|process|python)_[a-z_]+` \|", line):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            out[cells[0].strip("`")] = cells
    return out


def test_the_metric_table_matches_the_declarations() -> None:
    """Name, type, labels and unit of every family, as declared once in exporter/families."""
    rows = metric_rows()
    assert CACHED  # the HELP promise the README repeats
    for family in ALL:
        assert family.name in rows, f"no README row for {family.name}"
        labels = ", ".join(f"`{label}`" for label in family.labels) or "\u2013"  # the en dash of "none"
        assert rows[family.name][1:4] == [family.type, labels, family.unit], family.name
    assert set(rows) == {f.name for f in ALL}, "a README row for a family the exporter does not declare"


def test_every_source_type_has_a_readme_row() -> None:
    documented = rows(r"[a-z_]+")
    for name, cls in SOURCE_TYPES.items():
        assert name in documented, name
        row = next(line for line in README.splitlines() if line.startswith(f"| `{name}` |"))
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        if cls.default_url:
            assert cells[1] == f"`{cls.default_url}`", name
        for endpoint in cls.endpoints:  # the `endpoint` label values, as the table names them
            assert f"(`{endpoint}`" in cells[2], (name, endpoint)
        assert cells[3].replace("`", "") == cls.auth, name


def test_the_two_commands_are_at_the_top() -> None:
    head = README[:1500]
    assert "make run" in head and "make test" in head


def test_every_route_has_a_readme_row_and_the_apis_an_example() -> None:
    from exporter.config import load_text
    from exporter.engine import Engine
    from exporter.web.app import App

    engine = Engine(load_text("sources: [{name: a, type: statuspage, url: 'https://status.a.example.com'}]\n", env={}))
    for path in App(engine).routes:
        assert re.search(rf"^\| `{re.escape(path)}[`?]", README, re.M), path
        if path in ("/api/models", "/api/route", "/api/changes"):
            assert f"curl -s 'localhost:8001{path}" in README, path
            assert f"### `{path}`" in README, path
    engine.stop()


def test_every_alert_has_a_readme_row_and_a_runbook_section() -> None:
    import yaml

    rules = yaml.safe_load((ROOT / "prometheus/rules/alerts.yml").read_text())["groups"][0]["rules"]
    runbook = (ROOT / "docs/runbook.md").read_text()
    for rule in rules:
        name = rule["alert"]
        row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, name
        assert f"| {rule['labels']['severity']} | {rule['for']} |" in row, name
        assert f"(docs/runbook.md#{name.lower()})" in row, name
        assert f"\n## {name}\n" in runbook, name
