"""A flood of connections that never send a request: under an open-file limit of 1,024 the
exporter keeps answering scrapes, and when accept() runs out of descriptors its loop backs
off instead of spinning."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import requests

from tests.support.processes import ROOT, Exporter, free_port
from tests.support.procfs import cpu_seconds
from tests.support.wait import wait_for

FLOOD = 1100


def flood(port: int, count: int) -> list[socket.socket]:
    out = []
    for _ in range(count):
        sock = socket.socket()
        sock.settimeout(5)
        try:
            sock.connect(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        out.append(sock)
    return out


def test_idle_connections_cannot_starve_scrapes() -> None:
    exporter = Exporter("--demo", limits=(1024, 1024))
    socks: list[socket.socket] = []
    try:
        exporter.wait_ready(30)
        socks = flood(exporter.port, FLOOD)
        assert len(socks) > 1000
        before = cpu_seconds(exporter.proc.pid)
        for _ in range(5):
            started = time.monotonic()
            answer = requests.get(exporter.url + "/metrics", timeout=5)
            assert answer.status_code == 200 and "llm_source_up" in answer.text
            assert time.monotonic() - started < 3
        time.sleep(2)
        # nothing spins: the exporter's own polling and a few scrapes, not a busy loop
        assert cpu_seconds(exporter.proc.pid) - before < 2.5
        assert exporter.proc.poll() is None
    finally:
        for sock in socks:
            sock.close()
        exporter.stop()


SERVER = textwrap.dedent("""
    import resource, sys, time
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    import logging
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    from exporter.web.server import Server
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
        return [b"ok\\n"]
    server = Server(app, "127.0.0.1:" + sys.argv[1], max_connections=10_000)  # no cap: the limit is hit
    server.start()
    print("serving", flush=True)
    time.sleep(120)
""")


def test_out_of_descriptors_backs_off_and_recovers(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=err, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    socks: list[socket.socket] = []
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "serving"
        socks = flood(port, 150)  # past the 64 descriptors: accept() fails with EMFILE
        time.sleep(0.5)
        before = cpu_seconds(proc.pid)
        time.sleep(2)
        assert cpu_seconds(proc.pid) - before < 0.5, "the accept loop spins"
        assert log.read_text().count("cannot accept connections") == 1
        # the idle connections are closed to make room: a request gets through
        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/", timeout=2).text == "ok\n", 20,
                 "a request through after the idle connections close", every=0.05,
                 detail=lambda: log.read_text()[-2000:])
    finally:
        for sock in socks:
            sock.close()
        proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
