"""The rules as committed: every alert follows the house rules, is tested on both sides of its
for:, and every recording rule is named as the house names them and tested."""

from __future__ import annotations

import re

import yaml

from tests.support.processes import ROOT
from tests.support.project import RUNBOOK_URL

RULES = yaml.safe_load((ROOT / "prometheus/rules/alerts.yml").read_text())["groups"][0]["rules"]


RECORDING = yaml.safe_load((ROOT / "prometheus/rules/recording.yml").read_text())["groups"][0]["rules"]


RUNBOOK = (ROOT / "docs/runbook.md").read_text()


DASHBOARDS = {"llm-fleet", "llm-health", "llm-capability", "llm-cost"}




def test_every_alert_follows_the_house_rules() -> None:
    # A name appears twice only with two severities (LLMModelRetiringInUse: a month, then a week).
    names = [(r["alert"], r["labels"]["severity"]) for r in RULES]
    assert len(names) == len(set(names)) >= 24
    for rule in RULES:
        name, annotations = rule["alert"], rule["annotations"]
        assert re.fullmatch(r"LLM[A-Z][A-Za-z]+", name), name
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        assert re.fullmatch(r"[A-Z][^{}]*\.", annotations["summary"]), name  # a fixed sentence
        assert "{{" in annotations["description"], name
        assert "{{ $value" in annotations["description"] + annotations["value"], name
        assert annotations["runbook_url"] == RUNBOOK_URL + name.lower(), name
        assert re.search(rf"^## {name}$", RUNBOOK, re.M), f"docs/runbook.md has no section {name}"
        assert annotations["dashboard"] in DASHBOARDS, name
        assert re.fullmatch(r"\d+[smh]", rule["for"]), name


def test_every_alert_is_tested_on_both_sides_of_its_for() -> None:
    tests = yaml.safe_load((ROOT / "prometheus/tests/alerts.test.yml").read_text())["tests"]
    quiet: set[str] = set()
    fired: set[str] = set()
    for case in tests:
        for check in case.get("alert_rule_test", []):
            (fired if check["exp_alerts"] else quiet).add(check["alertname"])
    names = {r["alert"] for r in RULES}
    assert names <= quiet and names <= fired


def test_every_recording_rule_is_named_and_tested() -> None:
    tested = (ROOT / "prometheus/tests/recording.test.yml").read_text()
    for rule in RECORDING:
        assert re.fullmatch(r"[a-z_]*:[a-z_]+:[a-z_0-9]+", rule["record"]), rule["record"]
        assert f"expr: {rule['record']}" in tested, rule["record"]
