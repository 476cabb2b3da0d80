"""The monitoring stack as real processes on loopback: Prometheus with the shipped rules,
Alertmanager with the shipped config, and the sinks that stand in for Slack and SMTP.

Shipped files are never edited: each process gets temporary copies, with timings shortened
and secrets and endpoints pointed at the sinks.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import yaml
from aiosmtpd.controller import Controller

from tests.support.processes import ROOT, free_port, tool
from tests.support.wait import wait_for


class SlackSink:
    """Takes Slack webhook posts, as Slack would, and keeps their JSON bodies."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.posts.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/services/webhook"

    def texts(self) -> list[tuple[str, str]]:
        """(title, text) of every attachment received."""
        return [(a.get("title", ""), a.get("text", "")) for p in self.posts for a in p.get("attachments", [])]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) that keeps the messages it is sent."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


class Processes:
    """Every process a test starts, stopped when the test ends, passed or failed."""

    def __init__(self) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        handle = log.open("wb")
        proc = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT)
        handle.close()
        self._procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def fast_rules(directory: Path) -> list[Path]:
    """Copies of the shipped rule files with every `for:` shortened to 1s."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name in ("recording.yml", "alerts.yml"):
        text = (ROOT / "prometheus" / "rules" / name).read_text()
        path = directory / name
        path.write_text(re.sub(r"(?m)^(\s+for:) \S+$", r"\1 1s", text))
        out.append(path)
    return out


def start_prometheus(procs: Processes, tmp: Path, name: str, exporter: str | list[str], alertmanagers: list[str],
                     replica: str | None = None, other_jobs: dict[str, list[str]] | None = None) -> str:
    """A Prometheus scraping `exporter` (one target, or every shard) as the job the rules select,
    and `other_jobs` besides, with the shipped rules shortened (fast_rules)."""
    rules = fast_rules(tmp / f"{name}-rules")
    targets = [exporter] if isinstance(exporter, str) else exporter
    config: dict[str, Any] = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in rules],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": alertmanagers}]}]},
        "scrape_configs": [{"job_name": "llm-fleet-exporter", "static_configs": [{"targets": targets}]},
                           *({"job_name": job, "static_configs": [{"targets": t}]}
                             for job, t in (other_jobs or {}).items())],
    }
    if replica is not None:  # the HA pair of docs/scaling.md
        config["global"]["external_labels"] = {"replica": replica}
        config["alerting"]["alert_relabel_configs"] = [{"action": "labeldrop", "regex": "replica"}]
    path = tmp / f"{name}.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    procs.start([tool("prometheus"), f"--config.file={path}", f"--storage.tsdb.path={tmp / name / 'data'}",
                 f"--web.listen-address=127.0.0.1:{port}"], tmp / f"{name}.log")
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: requests.get(url + "/-/ready", timeout=1).status_code == 200, 30, f"{name} ready")
    return url


def alertmanager_config(tmp: Path, slack_url: str, smtp_port: int) -> Path:
    """The shipped alertmanager.yml with secrets in files under tmp, SMTP and Slack at the
    sinks, the templates at their place in the repository and the timings shortened."""
    secrets = tmp / "secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / "slack_webhook_url").write_text(slack_url + "\n")
    (secrets / "smtp_password").write_text("not-a-real-password\n")
    config = yaml.safe_load((ROOT / "alertmanager" / "alertmanager.yml").read_text())
    g = config["global"]
    g["slack_api_url_file"] = str(secrets / "slack_webhook_url")
    g["smtp_auth_password_file"] = str(secrets / "smtp_password")
    g["smtp_smarthost"] = f"127.0.0.1:{smtp_port}"
    g["smtp_require_tls"] = False  # the sink speaks plain SMTP
    config["templates"] = [str(ROOT / "alertmanager" / "templates" / "*.tmpl")]
    for route in [config["route"], *config["route"]["routes"]]:
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = "1s"
    path = tmp / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start_alertmanager(procs: Processes, tmp: Path, name: str, config: Path, cluster: str = "",
                       peers: tuple[str, ...] = ()) -> str:
    port = free_port()
    args = [tool("prometheus-alertmanager"), f"--config.file={config}", f"--storage.path={tmp / name}",
            f"--web.listen-address=127.0.0.1:{port}", f"--cluster.listen-address={cluster}"]
    if cluster:
        args += [f"--cluster.advertise-address={cluster}", "--cluster.peer-timeout=3s",
                 "--cluster.gossip-interval=100ms", "--cluster.pushpull-interval=2s", "--cluster.settle-timeout=5s",
                 *(f"--cluster.peer={p}" for p in peers)]
    procs.start(args, tmp / f"{name}.log")
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: requests.get(url + "/-/ready", timeout=1).status_code == 200, 30, f"{name} ready")
    return url
