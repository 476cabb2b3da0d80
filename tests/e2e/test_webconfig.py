"""The exporter's own endpoint behind --web.config.file: real TLS on loopback with certificates
made here by openssl, bcrypt basic auth, a real Prometheus 2.42 scraping through both, and
--web.listen-address [::]:port answering on IPv4 and IPv6."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import requests
import yaml

from tests.support.processes import ROOT, free_port, run_cli, tool
from tests.support.stack import Processes
from tests.support.tls import make_certs
from tests.support.wait import wait_for

PASSWORD = "correct horse battery staple"  # a test-only password, hashed below


HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_certs(tmp_path_factory.mktemp("certs"))


class Served:
    """The demo exporter as a process with extra flags, on its own address; always stopped."""

    def __init__(self, tmp: Path, *args: str, listen: str | None = None):
        self.port = free_port()
        self.workdir = tempfile.mkdtemp(prefix="exporter-")
        self.log_path = tmp / f"exporter-{self.port}.log"
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "exporter", "--demo", *args, "--web.listen-address",
                 listen or f"127.0.0.1:{self.port}"],
                cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=log,
                env={**os.environ, "PYTHONPATH": str(ROOT)})

    def wait(self, url: str, **kwargs: Any) -> None:
        def answers() -> bool:
            assert self.proc.poll() is None, self.log_path.read_text()
            try:
                return requests.get(url, timeout=2, **kwargs).status_code == 200
            except requests.RequestException:
                return False

        wait_for(answers, 30, url)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        shutil.rmtree(self.workdir, ignore_errors=True)


StartServed = Callable[..., Served]  # serve(*flags, listen=None): a demo exporter, stopped at the end


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[StartServed]:
    started: list[Served] = []

    def start(*args: str, listen: str | None = None) -> Served:
        served = Served(tmp_path, *args, listen=listen)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def web_config(tmp: Path, certs: Path, **tls: str) -> Path:
    doc = {"tls_server_config": {"cert_file": str(certs / "server.crt"), "key_file": str(certs / "server.key"),
                                 **tls},
           "basic_auth_users": {"prometheus": HASH}}
    path = tmp / "web.yml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_tls_and_basic_auth_protect_everything_but_the_probes(serve: StartServed, certs: Path, tmp_path: Path) -> None:
    served = serve("--web.config.file", str(web_config(tmp_path, certs)))
    base = f"https://127.0.0.1:{served.port}"
    ca = str(certs / "ca.crt")
    served.wait(base + "/healthz", verify=ca)  # no credentials needed for liveness
    served.wait(base + "/readyz", verify=ca)  # nor for readiness: probes carry none
    for path in ("/metrics", "/", "/api/summary", "/api/models", "/nope"):
        denied = requests.get(base + path, verify=ca, timeout=5)
        assert denied.status_code == 401, path
        assert denied.headers["WWW-Authenticate"] == 'Basic realm="llm-fleet-exporter"'
        assert denied.text == "401 Unauthorized\n"  # and nothing else
    for user, password in (("prometheus", "wrong"), ("nobody", PASSWORD), ("prometheus", "")):
        assert requests.get(base + "/metrics", auth=(user, password), verify=ca, timeout=5).status_code == 401
    ok = requests.get(base + "/metrics", auth=("prometheus", PASSWORD), verify=ca, timeout=5)
    assert ok.status_code == 200 and "llm_source_up" in ok.text
    # plain HTTP on the TLS port gets no metrics
    with pytest.raises(requests.RequestException):
        requests.get(f"http://127.0.0.1:{served.port}/metrics", timeout=5).raise_for_status()
    # the hash never shows up, and the server logged no tracebacks for the refused clients
    assert HASH not in served.log_path.read_text() and "Traceback" not in served.log_path.read_text()


def test_prometheus_scrapes_through_tls_and_basic_auth(serve: StartServed, certs: Path, tmp_path: Path) -> None:
    prometheus = tool("prometheus")
    served = serve("--web.config.file", str(web_config(tmp_path, certs)))
    served.wait(f"https://127.0.0.1:{served.port}/healthz", verify=str(certs / "ca.crt"))
    target = f"127.0.0.1:{served.port}"

    def job(name: str, password: str) -> dict[str, object]:
        return {"job_name": name, "scheme": "https", "tls_config": {"ca_file": str(certs / "ca.crt")},
                "basic_auth": {"username": "prometheus", "password": password},
                "static_configs": [{"targets": [target]}]}

    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s"},
                                      "scrape_configs": [job("good", PASSWORD), job("wrong-password", "nope")]}))
    port = free_port()
    procs = Processes()
    try:
        procs.start([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                     f"--web.listen-address=127.0.0.1:{port}"], tmp_path / "prometheus.log")
        url = f"http://127.0.0.1:{port}"

        def up() -> dict[str, str]:
            try:
                result = requests.get(url + "/api/v1/query", params={"query": "up"}, timeout=2).json()
            except requests.RequestException:
                return {}
            return {r["metric"]["job"]: r["value"][1] for r in result["data"]["result"]}

        assert wait_for(lambda: len(up()) == 2 and up(), 60, "both targets scraped") == {
            "good": "1", "wrong-password": "0"}
        targets = requests.get(url + "/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        errors = {t["labels"]["job"]: t["lastError"] for t in targets}
        assert errors["good"] == "" and "401" in errors["wrong-password"]
        series = requests.get(url + "/api/v1/query", params={"query": 'llm_source_up{job="good"}'}, timeout=5)
        assert len(series.json()["data"]["result"]) == 21
    finally:
        procs.stop()


def test_client_certificates_when_required(serve: StartServed, certs: Path, tmp_path: Path) -> None:
    config = web_config(tmp_path, certs, client_auth_type="RequireAndVerifyClientCert",
                        client_ca_file=str(certs / "ca.crt"))
    served = serve("--web.config.file", str(config))
    base = f"https://127.0.0.1:{served.port}"
    client = (str(certs / "client.crt"), str(certs / "client.key"))
    served.wait(base + "/healthz", verify=str(certs / "ca.crt"), cert=client)
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        requests.get(base + "/healthz", verify=str(certs / "ca.crt"), timeout=5)
    ok = requests.get(base + "/metrics", verify=str(certs / "ca.crt"), cert=client, auth=("prometheus", PASSWORD),
                      timeout=5)
    assert ok.status_code == 200


def test_min_version_refuses_older_clients(serve: StartServed, certs: Path, tmp_path: Path) -> None:
    served = serve("--web.config.file", str(web_config(tmp_path, certs, min_version="TLS13")))
    served.wait(f"https://127.0.0.1:{served.port}/healthz", verify=str(certs / "ca.crt"))
    old = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as raw, pytest.raises(ssl.SSLError):
        old.wrap_socket(raw, server_hostname="127.0.0.1")
    current = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as raw, \
            current.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        assert tls.version() == "TLSv1.3"


@pytest.mark.parametrize(("doc", "lines"), [
    ({"basic_auth_users": {"prometheus": "plain-text-password"}},
     ["basic_auth_users.prometheus: not a bcrypt hash (the file holds hashes only)"]),
    ({"tls_server_config": {"cert_file": "/nonexistent.crt"}, "rate_limit": {}},
     ["rate_limit: unknown key (this exporter reads tls_server_config, basic_auth_users, http_server_config)",
      "tls_server_config.key_file: required for TLS"]),
    ({"http_server_config": {"headers": {"X-Frame-Options": "allow-all", "Set-Cookie": "a=b"}, "http2": "yes"}},
     ["http_server_config.http2: expected true or false",
      "http_server_config.headers.Set-Cookie: not a header this file may set (one of: Content-Security-Policy, "
      "X-Frame-Options, X-Content-Type-Options, X-XSS-Protection, Strict-Transport-Security)",
      "http_server_config.headers.X-Frame-Options: 'allow-all' is not one of deny, sameorigin"]),
    ({"tls_server_config": {"cert_file": "a", "key_file": "b", "client_auth_type": "RequireAnyClientCert",
                            "min_version": "TLS99"}},
     ["tls_server_config.client_auth_type: 'RequireAnyClientCert' is not supported (one of: NoClientCert, "
      "VerifyClientCertIfGiven, RequireAndVerifyClientCert)",
      "tls_server_config.min_version: 'TLS99' is not one of TLS10, TLS11, TLS12, TLS13"]),
    ({"tls_server_config": {"cert_file": "/nonexistent.crt", "key_file": "/nonexistent.key"}},
     ["tls_server_config.cert_file: cannot load the certificate and key: No such file or directory"]),
])
def test_a_bad_web_config_exits_2_naming_each_problem(tmp_path: Path, doc: dict[str, Any], lines: list[str]) -> None:
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump(doc))
    result = run_cli("--demo", "--web.config.file", str(path), "--web.listen-address", f"127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"{path}: {line}" for line in lines]
    assert "plain-text-password" not in result.stderr


def test_listen_on_ipv6_and_ipv4_at_once(serve: StartServed) -> None:
    port = free_port()
    served = serve(listen=f"[::]:{port}")
    served.wait(f"http://127.0.0.1:{port}/healthz")
    assert requests.get(f"http://[::1]:{port}/healthz", timeout=5).text == "ok\n"
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).text == "ok\n"


LONG_PASSWORD = "p" * 73  # over bcrypt's 72 bytes


def test_security_headers_and_a_bodiless_head(serve: StartServed, tmp_path: Path) -> None:
    """Every response carries the security headers (the web config's over the defaults), the
    Server header names no Python version, and HEAD gets no body, a 401 included."""
    hashed = bcrypt.hashpw(LONG_PASSWORD[:72].encode(), bcrypt.gensalt(rounds=4)).decode()
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump({
        "basic_auth_users": {"prometheus": HASH, "long": hashed},
        "http_server_config": {"http2": True, "headers": {"Strict-Transport-Security": "max-age=31536000",
                                                          "X-Frame-Options": "sameorigin"}}}))
    served = serve("--web.config.file", str(path))
    base = f"http://127.0.0.1:{served.port}"
    served.wait(base + "/healthz")
    auth = ("prometheus", PASSWORD)
    for method, route, who, status in (("GET", "/", auth, 200), ("GET", "/metrics", auth, 200),
                                       ("GET", "/api/summary", auth, 200), ("GET", "/nope", auth, 404),
                                       ("GET", "/metrics", None, 401), ("HEAD", "/metrics", None, 401),
                                       ("HEAD", "/", auth, 200)):
        answer = requests.request(method, base + route, auth=who, timeout=5)
        assert answer.status_code == status, (method, route)
        h = answer.headers
        assert h["X-Content-Type-Options"] == "nosniff", route
        assert h["X-Frame-Options"] == "sameorigin", route
        assert h["Strict-Transport-Security"] == "max-age=31536000", route
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"], route
        assert "script-src" not in h["Content-Security-Policy"]  # default-src 'none': no scripts
        assert h["Server"] == "llm-fleet-exporter", h["Server"]
        if method == "HEAD":
            assert answer.content == b"", route
    # a password over 72 bytes is refused with a 401, never a 500, even where its first 72 match
    for user in ("long", "prometheus", "nobody"):
        assert requests.get(base + "/metrics", auth=(user, LONG_PASSWORD), timeout=5).status_code == 401, user
    assert "Traceback" not in served.log_path.read_text()


def _served_certificate(port: int) -> str:
    """The certificate a new connection is served, as PEM (no verification: it is compared)."""
    return ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port))))


def _pem(path: Path) -> str:
    return ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(path.read_text()))


def test_renewed_certificates_and_users_apply_without_a_restart(serve: StartServed, certs: Path, tmp_path: Path,
                                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    """As cert-manager or certbot renew them: the files are replaced on disk; SIGHUP (or, for
    the certificates, the next connection after a change) puts the new ones in force. A broken
    new file is one log line, and the one in force stays."""
    import signal
    import time

    other = make_certs(tmp_path_factory.mktemp("renewed"))  # another CA, another certificate
    live = tmp_path / "live"
    live.mkdir()

    def install(source: Path) -> None:
        for name in ("server.crt", "server.key"):  # written aside and renamed, as tools do
            shutil.copy(source / name, live / f".{name}.new")
            os.replace(live / f".{name}.new", live / name)

    def write_config(users: dict[str, str]) -> None:
        doc = {"tls_server_config": {"cert_file": str(live / "server.crt"), "key_file": str(live / "server.key")},
               "basic_auth_users": users}
        (tmp_path / "web.new").write_text(yaml.safe_dump(doc))
        os.replace(tmp_path / "web.new", tmp_path / "web.yml")

    install(certs)
    write_config({"prometheus": HASH})
    served = serve("--web.config.file", str(tmp_path / "web.yml"))
    base = f"https://127.0.0.1:{served.port}"
    served.wait(base + "/healthz", verify=str(certs / "ca.crt"))
    assert _served_certificate(served.port) == _pem(certs / "server.crt")
    pid = served.proc.pid

    new_password = "a renewed test-only password"
    install(other)
    write_config({"prometheus": bcrypt.hashpw(new_password.encode(), bcrypt.gensalt(rounds=4)).decode()})
    served.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: _served_certificate(served.port) == _pem(other / "server.crt"), 10, "the renewed certificate")
    ca = str(other / "ca.crt")
    assert requests.get(base + "/metrics", auth=("prometheus", PASSWORD), verify=ca, timeout=5).status_code == 401
    ok = requests.get(base + "/metrics", auth=("prometheus", new_password), verify=ca, timeout=5)
    assert ok.status_code == 200 and "llm_source_up" in ok.text

    # No signal: a certificate replaced on disk is picked up by a later connection.
    install(certs)
    wait_for(lambda: _served_certificate(served.port) == _pem(certs / "server.crt"), 10, "the certificate put back")

    # A broken file is refused in one line; what is in force stays in force.
    (tmp_path / "web.yml").write_text("basic_auth_users: {prometheus: not-a-hash}\n")
    served.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "web config reload failed" in served.log_path.read_text(), 10, "the refusal")
    time.sleep(1.5)  # past the next look at the files too
    ca = str(certs / "ca.crt")
    assert requests.get(base + "/metrics", auth=("prometheus", new_password), verify=ca, timeout=5).status_code == 200
    log = served.log_path.read_text()
    assert len([line for line in log.splitlines() if "web config reload failed" in line]) == 1, log
    assert "not-a-hash" not in log and "Traceback" not in log
    assert served.proc.pid == pid and served.proc.poll() is None  # never restarted


def test_without_tls_a_removed_user_is_refused_without_a_signal(serve: StartServed, tmp_path: Path) -> None:
    """The same rule as with TLS: the file is looked at again (at most once a second), so a
    user taken out of it loses access at the next request, not at the next SIGHUP."""
    web = tmp_path / "web.yml"
    kept = "another test-only password"
    web.write_text(yaml.safe_dump({"basic_auth_users": {
        "prometheus": HASH, "grafana": bcrypt.hashpw(kept.encode(), bcrypt.gensalt(rounds=4)).decode()}}))
    served = serve("--web.config.file", str(web))
    base = f"http://127.0.0.1:{served.port}"
    served.wait(base + "/healthz")
    assert requests.get(base + "/metrics", auth=("prometheus", PASSWORD), timeout=5).status_code == 200
    doc = yaml.safe_load(web.read_text())
    del doc["basic_auth_users"]["prometheus"]
    (tmp_path / "web.new").write_text(yaml.safe_dump(doc))
    os.replace(tmp_path / "web.new", web)
    wait_for(lambda: requests.get(base + "/metrics", auth=("prometheus", PASSWORD), timeout=5).status_code == 401,
             5, "the removed user refused")
    assert requests.get(base + "/metrics", auth=("grafana", kept), timeout=5).status_code == 200
