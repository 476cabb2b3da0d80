"""The README's tables must match the code: every family the exporter can emit and every
source type has its row."""

from __future__ import annotations

import re

from exporter import collector
from exporter.sources import SOURCE_TYPES
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def rows(first_cell: str) -> set[str]:
    return set(re.findall(rf"^\| `({first_cell})` \|", README, re.M))


def emitted_families() -> set[str]:
    source = (ROOT / "exporter" / "collector.py").read_text()
    names = set(re.findall(r'f\.(?:gauge|counter)\(\s*"([a-z_]+)"', source))
    names |= {f"gatewayz_providers_{k}" for k in ("total", "active", "inactive", "healthy", "degraded", "down",
                                                  "unknown")}
    names |= {f"gatewayz_provider_supports_{c}" for c in ("streaming", "function_calling", "vision",
                                                         "image_generation")}
    names |= {f"llm_proxy_{n}" for n in ("requests", "tokens", "cost_usd", "success_ratio",
                                         "response_time_seconds")}
    return names


def test_every_emitted_family_has_a_readme_row() -> None:
    documented = rows(r"(?:llm|gatewayz)_[a-z_]+")
    assert collector.CACHED  # the HELP promise the README repeats
    missing = emitted_families() - documented
    assert not missing, sorted(missing)


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
    from exporter.server import App

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
