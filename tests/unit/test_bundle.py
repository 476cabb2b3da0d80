"""The bundle renderer: the committed prometheus/, alertmanager/ and dashboards/ files are its
default rendering, byte for byte; a settings file changes exactly what it names; a bad one is
refused with a line per problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bundle import render
from bundle.settings import KNOBS, SettingsError, defaults, load
from tests.support.processes import ROOT

CUSTOM = {
    "job": "llm-exporter-prod",
    "runbook_url": "https://wiki.acme.example/sre/llm-runbook",
    "grafana_url": "https://grafana.acme.example/",
    "slack_channel": "#ops-llm",
    "alerts": {"LLMProviderSlow": {"seconds": 8.5, "for": "15m"}, "LLMSourceDown": {"for": "1h"},
               "LLMBudgetForecastExceeded": {"ratio": 0.9}, "LLMHighFailureRatio": {"ratio": 0.25, "min_calls": 40}},
}


def write_settings(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "settings.yml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_the_default_rendering_is_what_is_committed(tmp_path: Path) -> None:
    written = render.render(defaults(), tmp_path)
    relative = sorted(str(p.relative_to(tmp_path)) for p in written)
    assert "prometheus/rules/alerts.yml" in relative and "alertmanager/templates/llmfleet.tmpl" in relative
    assert any(r.startswith("dashboards/json/") and r.endswith(".json") for r in relative)
    stale = [r for r in relative if (tmp_path / r).read_bytes() != (ROOT / r).read_bytes()]
    assert stale == [], f"run `make bundle` (then `make deploy`): {stale} differ from bundle/templates"


def test_custom_settings_reach_every_rule_link_and_notification(tmp_path: Path) -> None:
    settings = load(write_settings(tmp_path, CUSTOM))
    out = tmp_path / "out"
    render.render(settings, out)
    alerts = yaml.safe_load((out / "prometheus/rules/alerts.yml").read_text())["groups"][0]["rules"]
    recording = yaml.safe_load((out / "prometheus/rules/recording.yml").read_text())["groups"][0]["rules"]
    for rule in alerts + recording:
        assert set(re.findall(r'job="([^"]*)"', rule["expr"])) == {"llm-exporter-prod"}, rule
    for rule in alerts:
        assert rule["annotations"]["runbook_url"] == "https://wiki.acme.example/sre/llm-runbook#" + rule[
            "alert"].lower()
    by_name = {r["alert"]: r for r in alerts}
    assert by_name["LLMProviderSlow"]["expr"].endswith("[10m]) > 8.5")
    assert by_name["LLMProviderSlow"]["for"] == "15m"
    assert by_name["LLMSourceDown"]["for"] == "1h"
    assert "at least 1 hour 5 minutes" in by_name["LLMSourceDown"]["annotations"]["description"]
    forecast = by_name["LLMBudgetForecastExceeded"]["expr"]
    assert forecast.endswith('> 0.9 * llm_budget_limit_usd{job="llm-exporter-prod"}')
    assert "over 90% of its limit" in by_name["LLMBudgetForecastExceeded"]["annotations"]["description"]
    assert ") > 0.25" in by_name["LLMHighFailureRatio"]["expr"] and ">= 40" in by_name["LLMHighFailureRatio"]["expr"]
    assert by_name["LLMExporterDown"]["for"] == "5m"  # what the file does not name keeps its default
    prometheus = yaml.safe_load((out / "prometheus/prometheus.yml").read_text())
    assert prometheus["scrape_configs"][0]["job_name"] == "llm-exporter-prod"
    tmpl = (out / "alertmanager/templates/llmfleet.tmpl").read_text()
    assert '{{ define "llmfleet.grafana_url" }}https://grafana.acme.example{{ end }}' in tmpl
    am = yaml.safe_load((out / "alertmanager/alertmanager.yml").read_text())
    channels = {c["channel"] for r in am["receivers"] for c in r.get("slack_configs", [])}
    assert channels == {"#ops-llm", "#llm-fleet-digest"}
    everything = "".join(p.read_text() for p in out.rglob("*") if p.is_file() and p.suffix != ".json")
    assert "@{" not in everything and "runbooks.example" not in everything


@pytest.mark.parametrize(("doc", "lines"), [
    ({"jobb": "x"}, ["jobb: unknown setting (see docs/alerts.md#bundle-settings)"]),
    ({"job": 'a"b', "runbook_url": "ftp://x"},
     ["job: expected a job name of letters, digits and . _ : / @ - (no spaces, quotes or #), got 'a\"b'",
      "runbook_url: expected an http(s) URL without spaces, quotes, braces or a #fragment, got 'ftp://x'"]),
    # each of these rendered a bundle that promtool and amtool accepted and that then failed:
    # ` #` and a trailing space made prometheus.yml's job_name differ from the rules' job="..."
    # (LLMExporterDown firing forever); `{{` in a Slack channel failed every Slack notification;
    # `{{end}}` in the Grafana URL stopped Alertmanager from loading its templates
    ({"job": "llm-exporter #prod"},
     ["job: expected a job name of letters, digits and . _ : / @ - (no spaces, quotes or #), got "
      "'llm-exporter #prod'"]),
    ({"job": "llm-exporter "},
     ["job: expected a job name of letters, digits and . _ : / @ - (no spaces, quotes or #), got 'llm-exporter '"]),
    ({"slack_channel": "#ops-{{ .Status }}", "exporter_target": "exporter"},
     ["exporter_target: expected host:port, got 'exporter'",
      "slack_channel: expected a Slack channel (#name, @user or a channel id): letters, digits, . _ -, got "
      "'#ops-{{ .Status }}'"]),
    ({"grafana_url": "https://grafana.example/{{end}}"},
     ["grafana_url: expected an http(s) URL without spaces, quotes, braces or a #fragment, got "
      "'https://grafana.example/{{end}}'"]),
    ({"alerts": {"LLMProviderSlow": {"for": "10 minutes", "seconds": -1}, "LLMNope": {"for": "1m"}}},
     ["alerts.LLMNope: unknown setting (see docs/alerts.md#bundle-settings)",  # in the file's (sorted) order
      "alerts.LLMProviderSlow.for: expected a Prometheus duration such as 30s, 10m, 1h or 1h30m, got '10 minutes'",
      "alerts.LLMProviderSlow.seconds: expected a number > 0, got -1"]),
    (["job"], ["expected a mapping of settings"]),
])
def test_bad_settings_name_each_problem(tmp_path: Path, doc: object, lines: list[str]) -> None:
    path = write_settings(tmp_path, doc)
    with pytest.raises(SettingsError) as err:
        load(path)
    assert err.value.problems == [f"{path}: {line}" for line in lines]


def test_the_command_exits_2_on_bad_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_settings(tmp_path, {"alerts": {"LLMProbeFailing": {"failures": 0}}})
    assert render.main(["--settings", path, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"{path}: alerts.LLMProbeFailing.failures: expected a whole number ≥ 1, got 0\n"
    assert not (tmp_path / "out").exists()


def test_every_alert_has_its_for_setting_and_every_placeholder_is_declared() -> None:
    rules = yaml.safe_load((ROOT / "prometheus/rules/alerts.yml").read_text())["groups"][0]["rules"]
    keys = {k.key for k in KNOBS}
    assert {f"alerts.{r['alert']}.for" for r in rules} == {k for k in keys if k.endswith(".for")}
    values = render.placeholders(defaults())
    for template in render.TEMPLATES.rglob("*"):
        if template.is_file():
            used = set(render.PLACEHOLDER.findall(template.read_text()))
            assert used <= set(values), (template, used - set(values))


@pytest.mark.parametrize(("duration", "said"), [("5m", "5 minutes"), ("1h", "1 hour"), ("1h30m", "1 hour 30 minutes"),
                                                ("90s", "1 minute 30 seconds"), ("1d", "1 day")])
def test_durations_in_words(duration: str, said: str) -> None:
    assert render.words(render.seconds(duration)) == said
