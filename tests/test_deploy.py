"""The bundle's configs, checked by the real tools at the versions they are written for."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import requests
import yaml

from tests.conftest import ROOT, free_port, tool


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_prometheus_config_is_valid_for_2_42() -> None:
    result = run(tool("promtool"), "check", "config", "prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_config_is_valid_for_0_25() -> None:
    result = run(tool("amtool"), "check-config", "alertmanager/alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 receivers" in result.stdout and "3 inhibit rules" in result.stdout


def test_slack_templates_render() -> None:
    # amtool fills in its own example data, whose status is the placeholder ALERTSTATUS.
    for name in ("llmfleet.slack.title", "llmfleet.slack.text"):
        result = run(tool("amtool"), "template", "render", "--template.glob=alertmanager/templates/*.tmpl",
                     f'--template.text={{{{ template "{name}" . }}}}')
        assert result.returncode == 0, result.stderr
        if name.endswith("title"):
            assert result.stdout.startswith("[ALERTSTATUS]")


def test_alertmanager_runs_with_the_config(tmp_path: Path) -> None:
    """Starts the real Alertmanager on the bundle's config (secret and template paths
    pointed at a temp dir), then posts an alert and reads it back."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "slack_webhook_url").write_text("http://127.0.0.1:9/not-slack\n")
    (secrets / "smtp_password").write_text("placeholder\n")
    text = (ROOT / "alertmanager/alertmanager.yml").read_text()
    text = text.replace("/run/secrets/", f"{secrets}/").replace(
        "/etc/alertmanager/templates/", f"{ROOT}/alertmanager/templates/")
    (tmp_path / "am.yml").write_text(text)
    port = free_port()
    proc = subprocess.Popen(
        [tool("prometheus-alertmanager"), f"--config.file={tmp_path / 'am.yml'}",
         f"--storage.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
         "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                if requests.get(base + "/-/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        alert = [{"labels": {"alertname": "LLMSourceDown", "source": "gatewayz", "severity": "critical"},
                  "annotations": {"summary": "A source cannot be polled."}}]
        assert requests.post(base + "/api/v2/alerts", json=alert, timeout=5).status_code == 200
        listed = requests.get(base + "/api/v2/alerts", timeout=5).json()
        assert [a["labels"]["alertname"] for a in listed] == ["LLMSourceDown"]
        assert listed[0]["receivers"] == [{"name": "slack-and-email"}]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_docker_compose_is_consistent() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"llm-fleet-exporter", "prometheus", "alertmanager", "grafana"}
    # the images are the versions the configs are checked against
    assert services["prometheus"]["image"] == "prom/prometheus:v2.42.0"
    assert services["alertmanager"]["image"] == "prom/alertmanager:v0.25.0"
    # every bind mount of the repository exists (secrets and config are the user's own)
    for name, service in services.items():
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            if host.startswith("./") and host not in ("./config",):
                assert (ROOT / host).exists(), f"{name}: {host}"
    # Prometheus scrapes the exporter by its service name and port
    prom = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    targets = [t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    assert "llm-fleet-exporter:8001" in targets
    assert "alertmanager:9093" in prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    # Grafana's admin password comes from the environment, never from the file
    password = services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", password)
    # Alertmanager's secrets are files, and every *_file in its config is a mounted secret
    am = (ROOT / "alertmanager/alertmanager.yml").read_text()
    for path in re.findall(r"_file: (/run/secrets/\S+)", am):
        assert Path(path).name in services["alertmanager"]["secrets"]


def test_grafana_provisioning_points_at_prometheus() -> None:
    ds = yaml.safe_load((ROOT / "dashboards/provisioning/datasources.yml").read_text())
    assert ds["datasources"][0]["url"] == "http://prometheus:9090"
    json.dumps(ds)  # plain data only
