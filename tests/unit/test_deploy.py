"""The deployment files as committed: compose is consistent with the repository, the Dockerfile is
slim, non-root and takes flags, Grafana's provisioning points at Prometheus, the systemd unit
keeps what the exporter needs."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import yaml

from tests.support.processes import ROOT
from tests.support.project import COMPOSE, UNIT, dockerfile


def test_docker_compose_is_consistent() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"llm-fleet-exporter", "prometheus", "alertmanager", "grafana"}
    # the images are the versions the configs are checked against; Grafana a current 11.x or 12.x
    assert services["prometheus"]["image"] == "prom/prometheus:v2.42.0"
    assert services["alertmanager"]["image"] == "prom/alertmanager:v0.25.0"
    assert re.fullmatch(r"grafana/grafana:1[12]\.\d+\.\d+", services["grafana"]["image"])
    ports = {name: s["ports"] for name, s in services.items()}
    # The exporter's API, Prometheus and Alertmanager's silence API have no auth: this machine only.
    assert ports == {"llm-fleet-exporter": ["127.0.0.1:8001:8001"], "prometheus": ["127.0.0.1:9090:9090"],
                     "alertmanager": ["127.0.0.1:9093:9093"], "grafana": ["3000:3000"]}
    # the exporter is built here; its flags are the command, the demo unless EXPORTER_ARGS says
    exporter = services["llm-fleet-exporter"]
    assert exporter["build"] == "."
    assert exporter["command"] == "${EXPORTER_ARGS:---demo}"
    # every bind mount of the repository exists
    for name, service in services.items():
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            if host.startswith("./"):
                assert (ROOT / host).exists(), f"{name}: {host}"
            else:
                assert host in compose["volumes"], f"{name}: {host}"
    # Grafana's provider reads the generated dashboards where compose mounts them
    provider = yaml.safe_load((ROOT / "dashboards/provisioning/dashboards.yml").read_text())["providers"][0]
    mount = next(v for v in services["grafana"]["volumes"] if v.startswith("./dashboards/json:"))
    assert mount.split(":")[1] == provider["options"]["path"]
    assert provider["folder"]
    # Prometheus scrapes the exporter by its service name and port
    prom = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    targets = [t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    assert "llm-fleet-exporter:8001" in targets
    assert "alertmanager:9093" in prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    # Grafana's admin password comes from the environment, never from the file
    password = services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert re.fullmatch(r"\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}", password)
    # Alertmanager's secrets are files the operator creates under ./secrets (never committed),
    # and every *_file in its config is a mounted secret
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./secrets/")
    am = (ROOT / "alertmanager/alertmanager.yml").read_text()
    for path in re.findall(r"_file: (/run/secrets/\S+)", am):
        assert Path(path).name in services["alertmanager"]["secrets"]




def test_dockerfile_is_slim_non_root_and_takes_flags() -> None:
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    users = [args for word, args in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    health = [args for word, args in steps if word == "HEALTHCHECK"]
    assert len(health) == 1 and "exporter.web.healthcheck" in health[0]
    # installed at build time: a RUN pip install, and the entrypoint only starts it
    assert any(word == "RUN" and "pip install" in args for word, args in steps)
    # exec form: `docker run IMAGE --config.file ...` passes every flag to the exporter
    assert json.loads(next(args for word, args in steps if word == "ENTRYPOINT")) == ["llm-fleet-exporter"]
    cmd = json.loads(next(args for word, args in steps if word == "CMD"))
    assert all(part.startswith("--") for part in cmd)  # default flags only
    assert any(word == "VOLUME" and "/var/lib/llm-fleet-exporter/state" in args for word, args in steps)
    # every COPY source exists
    for word, args in steps:
        if word == "COPY":
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_grafana_provisioning_points_at_prometheus() -> None:
    ds = yaml.safe_load((ROOT / "dashboards/provisioning/datasources.yml").read_text())
    assert ds["datasources"][0]["url"] == "http://prometheus:9090"
    json.dumps(ds)  # plain data only




def _directives(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def test_the_unit_keeps_what_the_process_metrics_and_the_config_need(tmp_path: Path) -> None:
    """ProcSubset=pid hides /proc/stat, and with it every process_* metric; the configuration
    directory's mode is the one docs/deployment.md installs, and lets the service's user read it."""
    from prometheus_client import CollectorRegistry, ProcessCollector

    unit = _directives(UNIT.read_text())
    assert unit.get("ProcSubset", "all") != "pid"
    only_pids = tmp_path / "proc"  # what the service sees under ProcSubset=pid: no /proc/stat
    shutil.copytree(f"/proc/{os.getpid()}", only_pids / str(os.getpid()), ignore_dangling_symlinks=True,
                    ignore=lambda d, names: [n for n in names if n not in ("stat", "limits", "fd")])
    assert not list(ProcessCollector(proc=str(only_pids), pid=lambda: os.getpid(), registry=None).collect())
    assert list(ProcessCollector(registry=CollectorRegistry()).collect())  # with /proc whole they are there
    installed = re.search(r"install -d -m (\d+) /etc/llm-fleet-exporter", (ROOT / "docs/deployment.md").read_text())
    assert installed and unit["ConfigurationDirectoryMode"] == installed.group(1) == "0755"
