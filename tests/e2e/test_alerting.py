"""Alerts through the real tools: promtool's checks and unit tests, the shipped scrape job, routing
and inhibitions in a real Alertmanager, the templates, and an outage of the demo reaching Slack
and email (once, from an HA pair)."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from exporter.demo.server import DemoServer, config_text
from exporter.demo.simulator import VendorSimulator
from tests.support.processes import ROOT, Exporter, StartExporter, free_port, tool
from tests.support.project import RUNBOOK_URL
from tests.support.stack import (
    Processes,
    SlackSink,
    SmtpSink,
    alertmanager_config,
    start_alertmanager,
    start_prometheus,
)
from tests.support.wait import wait_for


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=ROOT, timeout=120)


# -- the rule files ----------------------------------------------------------------------------
def test_promtool_checks_and_unit_tests_pass() -> None:
    for path in ("prometheus/rules/recording.yml", "prometheus/rules/alerts.yml"):
        result = run(tool("promtool"), "check", "rules", path)
        assert result.returncode == 0, result.stdout + result.stderr
    for path in ("prometheus/tests/recording.test.yml", "prometheus/tests/alerts.test.yml"):
        result = run(tool("promtool"), "test", "rules", path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout


def test_rules_select_the_shipped_scrape_job() -> None:
    prom = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"] for job in prom["scrape_configs"]}
    for rules in ("alerts.yml", "recording.yml"):
        text = (ROOT / "prometheus/rules" / rules).read_text()
        assert set(re.findall(r'job="([^"]+)"', text)) == {"llm-fleet-exporter"} <= jobs
        for rule in yaml.safe_load(text)["groups"][0]["rules"]:  # every rule selects the job
            assert 'job="llm-fleet-exporter"' in rule["expr"], rule
    assert prom["rule_files"] == ["rules/recording.yml", "rules/alerts.yml"]
    result = run(tool("promtool"), "check", "config", "prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


# -- routing and inhibition --------------------------------------------------------------------
@pytest.mark.parametrize(("labels", "receiver"), [
    (["severity=critical", "alertname=LLMProviderDown", "source=gatewayz", "provider=openai"], "slack-and-email"),
    (["severity=warning", "alertname=LLMSourceDown", "source=openrouter"], "slack"),
    (["severity=info", "alertname=LLMFreeModelAdded", "source=openrouter"], "slack-digest"),
    (["alertname=SomethingElse"], "slack"),
])
def test_routing_by_severity(labels: list[str], receiver: str) -> None:
    result = run(tool("amtool"), "config", "routes", "test", "--config.file=alertmanager/alertmanager.yml",
                 f"--verify.receivers={receiver}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def procs() -> Iterator[Processes]:
    p = Processes()
    yield p
    p.stop()


INHIBITIONS = [
    # (source alert, target alert, inhibited?)
    ({"alertname": "LLMProviderDown", "severity": "critical", "source": "gw", "provider": "openai"},
     {"alertname": "LLMProviderSlow", "severity": "warning", "source": "gw", "provider": "openai"}, True),
    ({"alertname": "LLMProviderDown", "severity": "critical", "source": "gw", "provider": "openai"},
     {"alertname": "LLMProviderSlow", "severity": "warning", "source": "gw", "provider": "groq"}, False),
    # sharded exporters: a dead shard mutes its own alerts, never another shard's
    ({"alertname": "LLMExporterDown", "severity": "critical", "job": "llm-fleet-exporter", "instance": "shard-a:8001"},
     {"alertname": "LLMBudgetForecastExceeded", "severity": "warning", "budget": "coding",
      "instance": "shard-a:8001"}, True),
    ({"alertname": "LLMExporterDown", "severity": "critical", "job": "llm-fleet-exporter", "instance": "shard-a:8001"},
     {"alertname": "LLMProviderDown", "severity": "critical", "source": "gw", "provider": "openai",
      "instance": "shard-a:8001"}, True),
    ({"alertname": "LLMExporterDown", "severity": "critical", "job": "llm-fleet-exporter", "instance": "shard-a:8001"},
     {"alertname": "LLMProviderDown", "severity": "critical", "source": "gw", "provider": "openai",
      "instance": "shard-b:8001"}, False),
    ({"alertname": "LLMExporterDown", "severity": "critical", "job": "llm-fleet-exporter", "instance": "shard-a:8001"},
     {"alertname": "LLMSourceDown", "severity": "warning", "source": "openrouter", "instance": "shard-b:8001"},
     False),
    # every target gone (absent(up)): no instance on either side
    ({"alertname": "LLMExporterDown", "severity": "critical", "job": "llm-fleet-exporter"},
     {"alertname": "LLMHighFailureRatio", "severity": "warning", "source": "gw"}, True),
    ({"alertname": "LLMSourceDown", "severity": "warning", "source": "openrouter"},
     {"alertname": "LLMFreeModelRemoved", "severity": "info", "source": "openrouter", "change": "removed"}, True),
    ({"alertname": "LLMSourceDown", "severity": "warning", "source": "openrouter"},
     {"alertname": "LLMBalanceLow", "severity": "warning", "source": "deepseek", "currency": "USD"}, False),
    ({"alertname": "LLMBudgetExceeded", "severity": "critical", "budget": "all", "period": "month"},
     {"alertname": "LLMBudgetForecastExceeded", "severity": "warning", "budget": "coding", "period": "day"}, False),
    ({"alertname": "LLMBudgetExceeded", "severity": "critical", "budget": "coding", "period": "month"},
     {"alertname": "LLMBudgetForecastExceeded", "severity": "warning", "budget": "coding", "period": "month"}, True),
    ({"alertname": "LLMSourceDown", "severity": "warning", "source": "deepseek"},
     {"alertname": "LLMBalanceLow", "severity": "warning", "source": "deepseek", "currency": "USD"}, True),
    # a retirement within a week mutes its own month-ahead warning, no other model's, and no outage
    ({"alertname": "LLMModelRetiringInUse", "severity": "critical", "source": "or", "provider": "openai",
      "model": "openai/gpt-4o"},
     {"alertname": "LLMModelRetiringInUse", "severity": "warning", "source": "or", "provider": "openai",
      "model": "openai/gpt-4o"}, True),
    ({"alertname": "LLMModelRetiringInUse", "severity": "critical", "source": "or", "provider": "openai",
      "model": "openai/gpt-4o"},
     {"alertname": "LLMModelRetiringInUse", "severity": "warning", "source": "or", "provider": "openai",
      "model": "openai/gpt-4o-mini"}, False),
    ({"alertname": "LLMModelRetiringInUse", "severity": "critical", "source": "or", "provider": "openai",
      "model": "openai/gpt-4o"},
     {"alertname": "LLMProviderSlow", "severity": "warning", "source": "or", "provider": "openai"}, False),
    ({"alertname": "LLMProviderDown", "severity": "critical", "source": "or", "provider": "openai"},
     {"alertname": "LLMModelRetiringInUse", "severity": "warning", "source": "or", "provider": "openai",
      "model": "openai/gpt-4o"}, False),
    # a model with no upstream left explains its uptime warning, not another model's headroom
    ({"alertname": "LLMUpstreamAllEndpointsDown", "severity": "critical", "source": "or", "model": "deepseek/r1"},
     {"alertname": "LLMUpstreamUptimeLow", "severity": "warning", "source": "or", "model": "deepseek/r1"}, True),
    ({"alertname": "LLMUpstreamAllEndpointsDown", "severity": "critical", "source": "or", "model": "deepseek/r1"},
     {"alertname": "LLMRateLimitHeadroomLow", "severity": "warning", "source": "or", "model": "openai/gpt-4o",
      "kind": "tokens"}, False),
    # an empty account explains its source's outage-shaped alerts, critical ones included...
    ({"alertname": "LLMCreditExhausted", "severity": "critical", "source": "ds"},
     {"alertname": "LLMProviderDown", "severity": "critical", "source": "ds", "provider": "deepseek"}, True),
    ({"alertname": "LLMCreditExhausted", "severity": "critical", "source": "ds"},
     {"alertname": "LLMProbeFailing", "severity": "critical", "source": "ds", "model": "deepseek-chat"}, True),
    ({"alertname": "LLMCreditExhausted", "severity": "critical", "source": "ds"},
     {"alertname": "LLMUnacknowledgedOutage", "severity": "warning", "source": "ds", "page": "ds-status"}, True),
    # ...not another source's, and not a dead model, which money does not explain
    ({"alertname": "LLMCreditExhausted", "severity": "critical", "source": "ds"},
     {"alertname": "LLMProbeFailing", "severity": "critical", "source": "oai", "model": "gpt-4o"}, False),
    ({"alertname": "LLMCreditExhausted", "severity": "critical", "source": "ds"},
     {"alertname": "LLMModelListedButDead", "severity": "warning", "source": "ds", "model": "deepseek-v2"}, False),
]


def test_inhibitions_in_a_real_alertmanager(procs: Processes, tmp_path: Path) -> None:
    am = start_alertmanager(procs, tmp_path, "am", alertmanager_config(tmp_path, "http://127.0.0.1:9/x", 9))
    for source, target, inhibited in INHIBITIONS:
        assert requests.post(am + "/api/v2/alerts", json=[{"labels": source}, {"labels": target}],
                             timeout=5).status_code == 200

        def muted(target: dict[str, str] = target) -> bool | None:
            alerts = requests.get(am + "/api/v2/alerts", timeout=5).json()
            found = [a for a in alerts if a["labels"] == target]
            return bool(found[0]["status"]["inhibitedBy"]) if found else None

        wait_for(lambda: len(requests.get(am + "/api/v2/alerts", timeout=5).json()) == 2, 10, "the pair")
        # The inhibitor learns of new source alerts asynchronously; a second is plenty on loopback.
        time.sleep(1)
        assert muted() == inhibited, (source, target)
        # Resolve both, so the next pair starts from an empty Alertmanager.
        ended = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        requests.post(am + "/api/v2/alerts", json=[{"labels": source, "endsAt": ended},
                                                   {"labels": target, "endsAt": ended}], timeout=5)
        wait_for(lambda: requests.get(am + "/api/v2/alerts", timeout=5).json() == [], 10, "the pair to resolve")


def test_templates_render() -> None:
    for name in ("llmfleet.slack.title", "llmfleet.slack.text", "llmfleet.email.subject", "llmfleet.email.text",
                 "llmfleet.email.html"):
        result = run(tool("amtool"), "template", "render", "--template.glob=alertmanager/templates/*.tmpl",
                     f'--template.text={{{{ template "{name}" . }}}}')
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout.strip(), name


# -- end to end ------------------------------------------------------------------------------
def demo_exporter(exporter_process: StartExporter, tmp_path: Path, fleet: DemoServer) -> Exporter:
    config = tmp_path / "demo.yml"
    config.write_text(config_text().replace("poll_interval: 15s", "poll_interval: 2s"))
    exporter: Exporter = exporter_process("--config.file", str(config), env=fleet.env())
    exporter.wait_ready(timeout=30)
    return exporter


def firing(slack: SlackSink, alertname: str) -> list[tuple[str, str]]:
    return [(t, x) for t, x in slack.texts() if t.startswith("[FIRING") and f"] {alertname} " in t]


def test_an_outage_reaches_slack_and_email_and_resolves(exporter_process: StartExporter, procs: Processes,
                                                         tmp_path: Path) -> None:
    sim = VendorSimulator()
    sim.forced["openai"] = "down"  # GatewayZ reports its openai provider down from the start
    fleet = DemoServer(sim=sim).start()
    slack, smtp = SlackSink(), SmtpSink()
    try:
        exporter = demo_exporter(exporter_process, tmp_path, fleet)
        am = start_alertmanager(procs, tmp_path, "am", alertmanager_config(tmp_path, slack.url, smtp.port))
        start_prometheus(procs, tmp_path, "prom", f"127.0.0.1:{exporter.port}", [am.removeprefix("http://")])

        (title, text), *_ = wait_for(lambda: firing(slack, "LLMProviderDown"), 90, "LLMProviderDown in Slack")
        assert title == "[FIRING:1] LLMProviderDown (gatewayz)"
        assert "*A provider is down.*" in text
        assert "Source gatewayz reports provider openai down for at least 10 minutes." in text
        assert "Source: gatewayz   Provider: openai   Severity: critical   Value: 1" in text
        assert f"Runbook: {RUNBOOK_URL}llmproviderdown" in text
        assert "Dashboard: http://localhost:3000/d/llm-health" in text

        mail = wait_for(lambda: [m for m in smtp.messages if "LLMProviderDown" in m["Subject"]], 30, "the email")[0]
        assert mail["Subject"] == "[FIRING:1] LLMProviderDown (gatewayz)"
        assert mail["To"] == "oncall@example.com"
        html = next(part.get_payload(decode=True).decode() for part in mail.walk()
                    if part.get_content_type() == "text/html")
        assert "<h3>A provider is down.</h3>" in html
        assert f'<a href="{RUNBOOK_URL}llmproviderdown">Runbook</a>' in html

        del sim.forced["openai"]  # the provider recovers
        resolved = wait_for(lambda: [t for t, _ in slack.texts() if t.startswith("[RESOLVED] LLMProviderDown")],
                            90, "the resolved Slack post")
        assert resolved == ["[RESOLVED] LLMProviderDown (gatewayz)"]
        wait_for(lambda: [m for m in smtp.messages if m["Subject"].startswith("[RESOLVED] LLMProviderDown")], 30,
                 "the resolved email")
    finally:
        slack.stop()
        smtp.stop()
        fleet.stop()


def test_an_ha_pair_with_clustered_alertmanagers_notifies_once(exporter_process: StartExporter, procs: Processes,
                                                               tmp_path: Path) -> None:
    sim = VendorSimulator()
    sim.forced["openai"] = "down"
    fleet = DemoServer(sim=sim).start()
    slack, smtp = SlackSink(), SmtpSink()
    try:
        exporter = demo_exporter(exporter_process, tmp_path, fleet)
        config = alertmanager_config(tmp_path, slack.url, smtp.port)
        gossip = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
        ams = [start_alertmanager(procs, tmp_path, f"am{i}", config, cluster=gossip[i], peers=(gossip[1 - i],))
               for i in (0, 1)]
        wait_for(lambda: all(len(requests.get(am + "/api/v2/status", timeout=2).json()["cluster"]["peers"]) == 2
                             for am in ams), 30, "the Alertmanager cluster")
        targets = [am.removeprefix("http://") for am in ams]
        for replica in ("a", "b"):
            start_prometheus(procs, tmp_path, f"prom-{replica}", f"127.0.0.1:{exporter.port}", targets,
                             replica=replica)
        wait_for(lambda: firing(slack, "LLMProviderDown"), 90, "LLMProviderDown in Slack")
        # Both replicas fire and both Alertmanagers hold the alert; the second one waits its
        # turn (peer timeout 3s), sees the first one's notification log and stays quiet.
        time.sleep(10)
        assert len(firing(slack, "LLMProviderDown")) == 1, slack.texts()
        for am in ams:
            alerts = requests.get(am + "/api/v2/alerts", params={"filter": 'alertname="LLMProviderDown"'},
                                  timeout=5).json()
            assert [a["labels"].get("replica") for a in alerts] == [None]  # replica dropped: one alert
    finally:
        slack.stop()
        smtp.stop()
        fleet.stop()
