"""Kubernetes and systemd through their tools: kustomize builds the base, its manifests validate
strictly and hold the shipped rules and dashboards; systemd-analyze verifies the unit and rates
its exposure."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.processes import ROOT
from tests.support.project import UNIT

ENTRY = ROOT / "deploy" / "kubernetes"  # what `kubectl apply -k deploy/kubernetes` builds
BASE = ENTRY / "base"
SHARDED = ENTRY / "overlays" / "sharded"




BUILT_IN = ("Deployment", "StatefulSet", "Service", "ConfigMap", "NetworkPolicy")


KEYLIKE = re.compile(r"(sk-(or-v1-|ant-|proj-)?[A-Za-z0-9_-]{20,}|gw_live_[A-Za-z0-9]{8,}|AKIA[0-9A-Z]{16}|"
                     r"hooks\.slack\.com/services/T)")


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is on this machine (see the guide); the test needs it"
    return path


def kustomize(base: Path = ENTRY) -> list[dict[str, Any]]:
    result = subprocess.run([tool("kubectl"), "kustomize", str(base)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    return kustomize()


@pytest.fixture(scope="module")
def sharded() -> list[dict[str, Any]]:
    return kustomize(SHARDED)


def one(manifests: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [m for m in manifests if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)]
    assert len(found) == 1, (kind, name, [m["metadata"]["name"] for m in found])
    return found[0]


def test_the_generated_copies_are_current(tmp_path: Path) -> None:
    """deploy/generate.py into a temporary directory equals what is committed."""
    subprocess.run([sys.executable, str(ROOT / "deploy" / "generate.py"), str(tmp_path)], check=True, timeout=60)
    assert (tmp_path / "prometheusrule.yaml").read_text() == (BASE / "prometheusrule.yaml").read_text(), \
        "run `make deploy` after editing prometheus/rules"
    generated = sorted(p.name for p in (tmp_path / "dashboards").iterdir())
    assert generated == sorted(p.name for p in (BASE / "dashboards").iterdir())
    for name in generated:
        assert (tmp_path / "dashboards" / name).read_bytes() == (BASE / "dashboards" / name).read_bytes(), name


def test_the_rules_and_dashboards_are_the_shipped_ones(manifests: list[dict[str, Any]]) -> None:
    rule = one(manifests, "PrometheusRule")
    shipped = [g for name in ("recording.yml", "alerts.yml")
               for g in yaml.safe_load((ROOT / "prometheus" / "rules" / name).read_text())["groups"]]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"]["groups"] == shipped
    dashboards = [m for m in manifests
                  if m["kind"] == "ConfigMap" and m["metadata"]["name"] != "llm-fleet-exporter-config"]
    assert all(m["metadata"]["labels"]["grafana_dashboard"] == "1" for m in dashboards)
    carried = {name: text for m in dashboards for name, text in m["data"].items()}
    for path in (ROOT / "dashboards" / "json").glob("*.json"):
        assert carried[path.name] == path.read_text(), path.name  # verbatim
        json.loads(carried[path.name])
    assert len(carried) == len(list((ROOT / "dashboards" / "json").glob("*.json")))


def test_the_deployment_is_hardened_and_probed(manifests: list[dict[str, Any]]) -> None:
    deployment = one(manifests, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]}}
    assert container["ports"] == [{"name": "metrics", "containerPort": 8001}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert container["args"] == ["--config.file=/etc/llm-fleet-exporter/config.yml"]
    assert container["envFrom"] == [{"secretRef": {"name": "llm-fleet-exporter-keys"}}]
    assert set(container["resources"]) == {"requests", "limits"}
    assert container["resources"]["limits"]["memory"] and container["resources"]["requests"]["memory"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/var/lib/llm-fleet-exporter/state"]]  # writable state
    assert volumes[mounts["/etc/llm-fleet-exporter"]]["configMap"]["name"] == "llm-fleet-exporter-config"
    config = one(manifests, "ConfigMap", "llm-fleet-exporter-config")["data"]["config.yml"]
    assert "${OPENROUTER_API_KEY}" in config


def test_the_service_monitor_scrapes_the_named_port(manifests: list[dict[str, Any]]) -> None:
    service = one(manifests, "Service")
    monitor = one(manifests, "ServiceMonitor")
    # the job label is the Service's name; the rules select job="llm-fleet-exporter"
    assert service["metadata"]["name"] == "llm-fleet-exporter"
    assert set(monitor["spec"]["selector"]["matchLabels"].items()) <= set(service["metadata"]["labels"].items())
    assert [p["name"] for p in service["spec"]["ports"]] == ["metrics"]
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    pod_labels = one(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert set(service["spec"]["selector"].items()) <= set(pod_labels.items())


def test_only_the_monitoring_namespace_reaches_the_metrics_port(manifests: list[dict[str, Any]]) -> None:
    policy = one(manifests, "NetworkPolicy")["spec"]
    pod_labels = one(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert set(policy["podSelector"]["matchLabels"].items()) <= set(pod_labels.items())
    assert policy["policyTypes"] == ["Ingress"]  # egress stays open: the vendors
    assert policy["ingress"] == [{"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "monitoring"}}}], "ports": [{"port": "metrics", "protocol": "TCP"}]}]
    # and the base shows, commented, how a web config (TLS or basic auth) is mounted
    text = (BASE / "deployment.yaml").read_text()
    for line in ("# - --web.config.file=/etc/llm-fleet-exporter-web/web-config.yml",
                 "#     secretName: llm-fleet-exporter-web", "#   mountPath: /etc/llm-fleet-exporter-web"):
        assert line in text, line


def test_no_secret_and_no_key_in_any_manifest(manifests: list[dict[str, Any]]) -> None:
    assert not [m for m in manifests if m["kind"] == "Secret"]
    text = yaml.safe_dump_all(manifests)
    assert not KEYLIKE.search(text)
    for path in ENTRY.rglob("*"):
        if path.is_file():
            assert not KEYLIKE.search(path.read_text()), path


def test_the_entry_point_builds_the_base_unchanged(manifests: list[dict[str, Any]]) -> None:
    assert manifests == kustomize(BASE)


def test_the_sharded_overlay_is_three_shards_of_one_config(sharded: list[dict[str, Any]],
                                                           manifests: list[dict[str, Any]]) -> None:
    assert not [m for m in sharded if m["kind"] == "Deployment"]  # nothing polls beside the shards
    statefulset = one(sharded, "StatefulSet")["spec"]
    service = one(sharded, "Service")
    assert statefulset["replicas"] == 3 and statefulset["serviceName"] == service["metadata"]["name"]
    (container,) = statefulset["template"]["spec"]["containers"]
    assert container["args"] == ["--config.file=/etc/llm-fleet-exporter/config.yml", "--shard.from-hostname",
                                 "--shard.count=3"]
    # the pod is the base's, hardening and probes included, but for the shard flags
    base_pod = one(manifests, "Deployment")["spec"]["template"]
    assert {**container, "args": base_pod["spec"]["containers"][0]["args"]} == base_pod["spec"]["containers"][0]
    assert statefulset["template"]["metadata"] == base_pod["metadata"]
    # headless: the endpoints are the pods, and the one ServiceMonitor scrapes each as job llm-fleet-exporter
    assert service["spec"]["clusterIP"] == "None" and service["metadata"]["name"] == "llm-fleet-exporter"
    monitor = one(sharded, "ServiceMonitor")
    assert set(monitor["spec"]["selector"]["matchLabels"].items()) <= set(service["metadata"]["labels"].items())
    assert set(service["spec"]["selector"].items()) <= set(statefulset["template"]["metadata"]["labels"].items())


@pytest.mark.parametrize("which", ["base", "sharded"])
def test_every_built_in_kind_validates_strictly(which: str, manifests: list[dict[str, Any]],
                                                sharded: list[dict[str, Any]], tmp_path: Path) -> None:
    validate = str(Path(sys.executable).parent / "kubernetes-validate")
    files = []
    for i, doc in enumerate(m for m in (manifests if which == "base" else sharded) if m["kind"] in BUILT_IN):
        path = tmp_path / f"{i}-{doc['kind'].lower()}.yaml"
        path.write_text(yaml.safe_dump(doc))
        files.append(str(path))
    assert len(files) == 3 + len(list((ROOT / "dashboards" / "json").glob("*.json"))) + 1
    result = subprocess.run([validate, "--strict", *files], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    # and strict validation does reject a field Kubernetes does not have
    broken = tmp_path / "broken.yaml"
    deployment = one(manifests, "Deployment")
    broken.write_text(yaml.safe_dump({**deployment, "spec": {**deployment["spec"], "replicaz": 2}}))
    assert subprocess.run([validate, "--strict", str(broken)], capture_output=True, timeout=120).returncode != 0


def test_systemd_security_exposure_is_at_most_2_5() -> None:
    result = subprocess.run([tool("systemd-analyze"), "security", "--offline=yes", str(UNIT)], capture_output=True,
                            text=True, timeout=60)
    found = re.search(r"Overall exposure level for llm-fleet-exporter\.service: ([0-9.]+)", result.stdout)
    assert found, result.stdout[-2000:] + result.stderr
    assert float(found.group(1)) <= 2.5


def test_systemd_verify_accepts_the_unit(tmp_path: Path) -> None:
    """Clean, but for the binary, which is not installed on a test machine: a copy of the unit
    points at the test venv's own llm-fleet-exporter script instead."""
    script = Path(sys.executable).parent / "llm-fleet-exporter"
    unit = tmp_path / UNIT.name
    text = UNIT.read_text()
    assert "ExecStart=/usr/local/bin/llm-fleet-exporter " in text
    unit.write_text(text.replace("/usr/local/bin/llm-fleet-exporter", str(script)))
    result = subprocess.run([tool("systemd-analyze"), "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result.stdout + result.stderr
    for needed in ("DynamicUser=yes", "StateDirectory=llm-fleet-exporter", "ExecReload=/bin/kill -HUP $MAINPID",
                   "Restart=on-failure", "--config.file=/etc/llm-fleet-exporter/config.yml"):
        assert needed in text, needed
