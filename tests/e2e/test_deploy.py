"""Deployment through the real tools: the Prometheus and Alertmanager configs load in their
versions, the Slack templates render, Alertmanager runs with the config, compose matches its
specification, and the image's commands run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.support.processes import ROOT, free_port, tool
from tests.support.project import COMPOSE, dockerfile
from tests.support.tls import make_certs
from tests.support.wait import wait_for


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_prometheus_config_is_valid_for_2_42() -> None:
    result = run(tool("promtool"), "check", "config", "prometheus/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_config_is_valid_for_0_25() -> None:
    result = run(tool("amtool"), "check-config", "alertmanager/alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 receivers" in result.stdout and "5 inhibit rules" in result.stdout


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
        def ready() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            return requests.get(base + "/-/ready", timeout=1).status_code == 200

        wait_for(ready, 20, "Alertmanager to be ready", every=0.2)
        alert = [{"labels": {"alertname": "LLMSourceDown", "source": "gatewayz", "severity": "critical"},
                  "annotations": {"summary": "A source cannot be polled."}}]
        assert requests.post(base + "/api/v2/alerts", json=alert, timeout=5).status_code == 200
        listed = requests.get(base + "/api/v2/alerts", timeout=5).json()
        assert [a["labels"]["alertname"] for a in listed] == ["LLMSourceDown"]
        assert listed[0]["receivers"] == [{"name": "slack-and-email"}]
    finally:
        proc.terminate()
        proc.wait(timeout=20)






def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    """The compose specification's own schema, as check-jsonschema vendors it (no network)."""
    cli = Path(sys.executable).parent / "check-jsonschema"
    return run(str(cli), "--builtin-schema", "vendor.compose-spec", str(path))


def test_docker_compose_matches_the_compose_specification(tmp_path: Path) -> None:
    result = check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    # and the check does reject what the specification does not allow
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("    restart: unless-stopped", "    restart_policy: always", 1))
    assert check_jsonschema(broken).returncode != 0




class Image:
    """What the Dockerfile builds, without Docker: its COPY sources in a fresh context, a clean
    venv, the RUN's own pip install; and its ENTRYPOINT, CMD and HEALTHCHECK as written."""

    def __init__(self, tmp: Path):
        steps = dockerfile()
        context = tmp / "build"
        context.mkdir()
        for word, args in steps:
            if word == "COPY":
                *sources, dest = args.split()
                for source in sources:
                    target = context / dest / Path(source).name if dest.endswith("/") or dest == "./" \
                        else context / dest
                    if (ROOT / source).is_dir():
                        shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
                    else:
                        shutil.copy(ROOT / source, target)
        venv = tmp / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        install = next(args for word, args in steps if word == "RUN" and "pip install" in args)
        pip_command = install.split("&&")[0].split()
        assert pip_command[0] == "pip"
        result = subprocess.run([str(venv / "bin" / "pip"), *pip_command[1:]], cwd=context, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        self.env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp)}
        for word, args in steps:
            if word == "ENV":
                self.env.update({k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', args)})
        self.entrypoint = json.loads(next(args for word, args in steps if word == "ENTRYPOINT"))
        self.cmd = json.loads(next(args for word, args in steps if word == "CMD"))
        health = next(args for word, args in steps if word == "HEALTHCHECK")
        self.healthcheck = json.loads(health.split(" CMD ", 1)[1])
        self.tmp = tmp

    def run(self, *flags: str) -> tuple[subprocess.Popen[bytes], Path]:
        """Starts it as `docker run IMAGE [flags]` would: the entrypoint, then the user's flags
        (or the default CMD), in a working directory of its own."""
        workdir = Path(tempfile.mkdtemp(dir=self.tmp))
        log = workdir / "exporter.log"
        with log.open("w") as out:
            proc = subprocess.Popen([*self.entrypoint, *(flags or self.cmd)], cwd=workdir, env=self.env,
                                    stdout=out, stderr=subprocess.STDOUT)
        return proc, log

    def check(self, port: int) -> int:
        """The HEALTHCHECK's exit status against a port (the image's own is 8001)."""
        command = [part.replace("127.0.0.1:8001", f"127.0.0.1:{port}") for part in self.healthcheck]
        return subprocess.run(command, env=self.env, timeout=30, capture_output=True).returncode


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    return Image(tmp_path_factory.mktemp("image"))


def wait_ready(proc: subprocess.Popen[bytes], log: Path, url: str, **kwargs: Any) -> None:
    def ready() -> bool:
        assert proc.poll() is None, log.read_text()
        return requests.get(url + "/readyz", timeout=1, **kwargs).status_code == 200

    wait_for(ready, 30, f"{url}/readyz", every=0.2, detail=log.read_text)


def test_the_image_runs_the_demo_and_its_healthcheck_passes(image: Image) -> None:
    port = free_port()
    assert image.check(port) != 0  # nothing listening: unhealthy
    proc, log = image.run(*image.cmd, "--web.listen-address", f"127.0.0.1:{port}")
    try:
        wait_ready(proc, log, f"http://127.0.0.1:{port}")
        # the demo, from the installed package (not this checkout)
        assert 'source="gatewayz"' in requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert image.check(port) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert image.check(port) != 0


def test_the_image_with_tls_and_basic_auth(image: Image, tmp_path: Path) -> None:
    """User flags pass through the entrypoint; the probes need no credentials, everything else
    does, TLS stays on for all; the HEALTHCHECK passes with no configuration."""
    import bcrypt

    certs = make_certs(tmp_path)
    password = "image-test-password"  # a test-only password, hashed below
    web = tmp_path / "web.yml"
    web.write_text(yaml.safe_dump({
        "tls_server_config": {"cert_file": str(certs / "server.crt"), "key_file": str(certs / "server.key")},
        "basic_auth_users": {"prometheus": bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}}))
    port = free_port()
    proc, log = image.run("--demo", "--web.config.file", str(web), "--web.listen-address", f"127.0.0.1:{port}")
    base, ca = f"https://127.0.0.1:{port}", str(certs / "ca.crt")
    try:
        wait_ready(proc, log, base, verify=ca)
        for path in ("/healthz", "/readyz"):
            assert requests.get(base + path, verify=ca, timeout=5).status_code == 200, path
        for path in ("/metrics", "/", "/api/summary"):
            assert requests.get(base + path, verify=ca, timeout=5).status_code == 401, path
            assert requests.get(base + path, verify=ca, auth=("prometheus", password), timeout=5).status_code == 200
        with pytest.raises(requests.RequestException):  # and no plain HTTP beside TLS
            requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).raise_for_status()
        assert image.check(port) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)
