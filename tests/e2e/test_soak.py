"""Soak: 24 sources polled every second through random faults, scraped 10 times a second,
with the demo's ledger being appended, for SOAK_SECONDS (60 by default, what CI runs). Threads,
file descriptors and memory must stay flat and no scrape may fail."""

from __future__ import annotations

import os
import random
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from exporter.demo.server import config_text
from tests.support.faults.server import FAULTS, FaultFleet
from tests.support.processes import Exporter
from tests.support.procfs import open_fds, status

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
WARMUP = 10.0
EXTRA = """  - name: status-openai-2
    type: statuspage
    url: ${DEMO_URL}/status/openai
  - name: openai-2
    type: openai
    url: ${DEMO_URL}/openai/v1
    api_key: ${DEMO_API_KEY}
  - name: gatewayz-2
    type: gatewayz
    url: ${DEMO_URL}/gatewayz
    api_key: ${DEMO_API_KEY}
"""
PREFIXES = ["/gatewayz/", "/openrouter/", "/status/", "/openai/", "/together/", "/anthropic/", "/gemini/",
            "/ollama/", "/deepseek/", "/moonshot/", "/siliconflow/", "/ccflare/", "/litellm/", "/acme/", "/mistral/"]
PARAMS: dict[str, dict[str, Any]] = {"status": {"code": 503}, "rate_limited": {"retry_after": "2"},
                                     "drip": {"every": 0.2}, "flood": {"count": 300}}


def usage(pid: int) -> dict[str, int]:
    now = status(pid)
    return {"threads": now["Threads"], "rss_kib": now["VmRSS"], "fds": open_fds(pid)}


@pytest.mark.soak
@pytest.mark.timeout(SECONDS + 180)
def test_soak_under_random_faults(tmp_path: Path) -> None:
    faults = FaultFleet()
    text = config_text().replace("poll_interval: 15s", "poll_interval: 1s").replace("timeout: 5s", "timeout: 0.5s")
    text = text.replace("sources:\n", "sources:\n" + EXTRA, 1)
    config = tmp_path / "config.yaml"
    config.write_text(text)
    exporter = Exporter("--config.file", str(config), env=faults.env(str(tmp_path)))
    stop = threading.Event()
    scrapes, failed, slowest = [0], [], [0.0]

    def scrape_loop() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = requests.get(exporter.url + "/metrics", timeout=5)
                if response.status_code != 200:
                    failed.append(f"HTTP {response.status_code}")
            except requests.RequestException as exc:
                failed.append(repr(exc))
            elapsed = time.monotonic() - started
            scrapes[0] += 1
            slowest[0] = max(slowest[0], elapsed)
            stop.wait(max(0.0, 0.1 - elapsed))

    def chaos() -> None:
        rng = random.Random(5)
        while not stop.wait(rng.uniform(0.5, 1.5)):
            faults.clear(rng.choice(PREFIXES))
            kind = rng.choice([f for f in FAULTS if f != "huge"] + ["huge"] * (rng.random() < 0.1))
            faults.inject(rng.choice(PREFIXES), kind, **PARAMS.get(kind, {}))

    try:
        exporter.wait_ready(40)
        assert len(re.findall(r"^llm_source_up\{", exporter.get("/metrics").text, re.M)) == 24
        threads = [threading.Thread(target=scrape_loop, daemon=True), threading.Thread(target=chaos, daemon=True)]
        for t in threads:
            t.start()
        time.sleep(WARMUP)
        start = usage(exporter.proc.pid)
        peak = dict(start)
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            assert exporter.proc.poll() is None, exporter.log()[-3000:]
            now = usage(exporter.proc.pid)
            peak = {k: max(peak[k], now[k]) for k in peak}
            time.sleep(1.0)
        end = usage(exporter.proc.pid)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    finally:
        stop.set()
        exporter.stop()
        faults.stop()
    print(f"soak {SECONDS:.0f}s: {scrapes[0]} scrapes, slowest {slowest[0] * 1000:.0f} ms; start {start}, "
          f"end {end}, peak {peak}")
    assert not failed, failed[:5]
    assert scrapes[0] >= 8 * SECONDS  # the loop really scraped about 10 times a second
    assert end["threads"] <= start["threads"] + 30
    assert end["fds"] <= start["fds"] + 30
    assert end["rss_kib"] <= start["rss_kib"] + 60 * 1024
