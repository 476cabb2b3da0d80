"""The README is a front page: the two commands first, a quick start that works, links to every
page of the docs, and short enough to read (the reference lives in docs/)."""

from __future__ import annotations

import re

import yaml

from exporter.config import load_text
from tests.support.processes import ROOT

README = (ROOT / "README.md").read_text()


def test_the_two_commands_are_at_the_top() -> None:
    head = README[:1500]
    assert "make run" in head and "make test" in head


def test_it_is_a_front_page_not_a_wall() -> None:
    assert len(README.encode()) <= 20_000


def test_the_first_configuration_step_renders_the_bundle() -> None:
    quick = README[README.index("## Quick start"):]
    first = quick[: quick.index("**2.")]
    assert "make bundle SETTINGS=" in first and "runbook_url:" in first and "grafana_url:" in first
    assert "docs/runbook.md" in first


def test_the_quick_start_config_is_valid() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", README, re.S)
    config = next(block for block in blocks if "sources:" in block)
    parsed = load_text(config, env={"OPENROUTER_API_KEY": "dummy"})
    assert [s.name for s in parsed.sources] == ["openrouter", "status-openai"]
    settings = next(block for block in blocks if "runbook_url:" in block)
    assert set(yaml.safe_load(settings)) == {"runbook_url", "grafana_url"}


def test_every_docs_page_is_linked_from_the_index() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{page.name})" in README, page.name
