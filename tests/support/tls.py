"""Certificates made here by the real openssl: a CA, a server certificate for 127.0.0.1 and
localhost, and a client certificate."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.processes import tool


def make_certs(d: Path) -> Path:
    openssl = tool("openssl")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=d, check=True, capture_output=True, timeout=60)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test-ca")
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n")
    for name, ext in (("server", ["-extfile", "server.ext"]), ("client", [])):
        run("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", *ext)
    return d
