"""`make bench`'s capped scenario: every family that a hostile or huge answer could grow, at its
cap at once, in a real exporter process that is restarted on its state:

- the usage book at limits.max_usage_series, from a ledger of 250,000 calls over 100 providers,
  500 models and 5 tasks (1.85 million series without the cap);
- an OpenRouter source whose catalog is at limits.max_models (5,000), whose activity lists
  85,000 models (summed past limits.max_models) and whose 50 watched models have 60 upstream
  endpoints each (endpoints.max_upstreams is 50).

Measured: the time from a restart to the first complete scrape, RSS, and the CPU the usage runs
cost while a ledger grows by 100 lines a second with the book at its cap (each run saves what
changed, not the book)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
LEDGER_CALLS = 250_000
CATALOG_MODELS = 5_000
ACTIVITY_MODELS = 85_000
WATCHED, UPSTREAMS = 50, 60
APPEND_RATE, APPEND_SECONDS = 100, 30


class CappedVendor:
    """An OpenRouter that answers every list at or past the exporter's caps."""

    def __init__(self) -> None:
        now = time.time()
        day = datetime.fromtimestamp(now - 86400, UTC).strftime("%Y-%m-%d")  # yesterday: a completed day
        models = [{"id": f"v{i % 50}/model-{i}", "name": f"Model {i}", "context_length": 8192,
                   "pricing": {"prompt": "0.000001", "completion": "0.000002"}}
                  for i in range(CATALOG_MODELS + 10)]
        activity = [{"date": day, "model": f"v{i % 50}/model-{i}", "usage": 0.001, "byok_usage_inference": 0.0,
                     "requests": 1 + i % 9, "prompt_tokens": 100, "completion_tokens": 20, "reasoning_tokens": 0}
                    for i in range(ACTIVITY_MODELS)]
        endpoints = {"data": {"endpoints": [
            {"provider_name": f"Upstream {u}", "tag": f"upstream-{u}/fp8", "quantization": "fp8", "status": 0,
             "uptime_last_5m": 99.5, "uptime_last_30m": 99.1, "uptime_last_1d": 98.7,
             "latency_last_30m": {"p50": 420, "p75": 600, "p90": 900, "p99": 2100},
             "throughput_last_30m": {"p50": 80, "p75": 60, "p90": 40, "p99": 20},
             "pricing": {"prompt": "0.000001", "completion": "0.000002"}} for u in range(UPSTREAMS)]}}
        self.watched: list[str] = [str(m["id"]) for m in models[:WATCHED]]
        bodies = {
            "/api/v1/models": {"data": models},
            "/api/v1/key": {"data": {"limit": 100, "limit_remaining": 50, "usage": 50}},
            "/api/v1/activity": {"data": activity},
        }
        self._bodies = {path: json.dumps(body).encode() for path, body in bodies.items()}
        self._endpoints = json.dumps(endpoints).encode()
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                body = vendor._bodies.get(path) or (vendor._endpoints if path.endswith("/endpoints") else None)
                status = 200 if body is not None else 403
                body = body or b'{"error": {"code": 403, "message": "Only management keys"}}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class _Server(ThreadingHTTPServer):
            daemon_threads = True

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/api/v1"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def ledger_line(rng: random.Random, ts: float, key: tuple[str, str, str] | None = None) -> str:
    provider, model, task = key or (f"p{rng.randrange(100)}", f"m{rng.randrange(500)}", f"t{rng.randrange(5)}")
    return json.dumps({"ts": round(ts, 3), "provider": provider, "model": model, "task": task,
                       "input_tokens": rng.randrange(100, 5000), "output_tokens": rng.randrange(10, 900),
                       "cost_usd": "0.0012", "duration_seconds": round(rng.uniform(0.2, 40), 2)}) + "\n"


class Exporter:
    """The real exporter (the CLI, with its state) on a free port."""

    def __init__(self, config: Path, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.started = time.perf_counter()
        self.log = config.parent / "exporter.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "exporter", "--config.file", str(config),
                                          "--web.listen-address", f"127.0.0.1:{port}"], cwd=ROOT,
                                         stdout=subprocess.DEVNULL, stderr=log)

    def until(self, check: Callable[[], bool], seconds: float, what: str) -> float:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if check():
                    return time.perf_counter() - self.started
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"capped bench: no {what} in {seconds:.0f}s:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def ready(self) -> bool:
        return requests.get(self.url + "/readyz", timeout=5).status_code == 200

    def usage(self) -> tuple[int, int]:
        """(calls counted, series in the scrape) of one whole scrape."""
        text = requests.get(self.url + "/metrics", timeout=60).text
        calls = sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
                    if line.startswith("llm_usage_requests_total{"))
        return calls, sum(1 for line in text.splitlines() if line and not line.startswith("#"))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def run(row: Callable[[str, str, str, str, str, bool], None], cpu_seconds: Callable[[int], float],
        rss_mb: Callable[[int], float], free_port: Callable[[], int], memory_limit_mb: int) -> None:
    vendor = CappedVendor()
    tmp = tempfile.TemporaryDirectory()
    try:
        _run(Path(tmp.name), vendor, row, cpu_seconds, rss_mb, free_port, memory_limit_mb)
    finally:
        vendor.stop()
        tmp.cleanup()


def _run(tmp: Path, vendor: CappedVendor, row: Callable[[str, str, str, str, str, bool], None],
         cpu_seconds: Callable[[int], float], rss_mb: Callable[[int], float], free_port: Callable[[], int],
         memory_limit_mb: int) -> None:
    rng = random.Random(1)
    now = time.time()
    month = datetime.fromtimestamp(now, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    first = max(month, now - 6 * 86400)
    ledger = tmp / "ledger.jsonl"
    with ledger.open("w") as out:
        for i in range(LEDGER_CALLS):
            out.write(ledger_line(rng, first + (now - 60 - first) * i / LEDGER_CALLS))
    config = tmp / "config.yaml"
    watched = ", ".join(vendor.watched)
    config.write_text(f"""
state_dir: {tmp / "state"}
limits: {{max_response_bytes: 200000000}}
sources:
  - {{name: or, type: openrouter, url: "{vendor.url}", api_key: bench-not-a-key, activity: true, interval: 60s,
     timeout: 30s, endpoints: {{models: [{watched}], fleet_models: false, interval: 10m}}}}
usage:
  ledger: ["{ledger}"]
""")
    # The first life reads the whole ledger and saves its state.
    first_life = Exporter(config, free_port())
    try:
        first_life.until(lambda: first_life.usage()[0] >= LEDGER_CALLS, 600, "whole ledger")
    finally:
        first_life.stop()

    # The measured life: a restart on that state.
    baseline_started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exporter", "--version"], cwd=ROOT, check=True, capture_output=True)
    interpreter = time.perf_counter() - baseline_started
    exporter = Exporter(config, free_port())
    try:
        scraped = exporter.until(lambda: exporter.ready() and exporter.usage()[0] >= LEDGER_CALLS, 120,
                                 "complete first scrape")
        _, series = exporter.usage()
        time.sleep(5)
        rss = rss_mb(exporter.proc.pid)
        row(f"capped: restart to first whole scrape, {series:,} series (vs --version)", f"{scraped:.2f} s",
            f"{interpreter:.2f} s", f"{scraped / interpreter:.1f}x", "< 10 s", scraped < 10)
        row(f"capped: RSS (vs the {memory_limit_mb} Mi limit in deploy/)", f"{rss:.0f} MB",
            f"{memory_limit_mb} MB", f"{rss / memory_limit_mb:.0%}", "<= 60% of the limit",
            rss <= 0.6 * memory_limit_mb)
        # Usage runs with the book at its cap: idle first, then a ledger growing by 100 lines a
        # second from the 50 combinations an application fleet would use.
        cpu0 = cpu_seconds(exporter.proc.pid)
        time.sleep(APPEND_SECONDS)
        idle = (cpu_seconds(exporter.proc.pid) - cpu0) / APPEND_SECONDS
        keys = [(f"p{rng.randrange(100)}", f"m{rng.randrange(500)}", f"t{rng.randrange(5)}") for _ in range(50)]
        journal = tmp / "state" / "usage.json.journal"
        written0, lines0 = journal.stat().st_size, len(journal.read_bytes().splitlines())
        cpu0 = cpu_seconds(exporter.proc.pid)
        end = time.monotonic() + APPEND_SECONDS
        with ledger.open("a") as out:
            while time.monotonic() < end:
                tick = time.monotonic()
                for _ in range(APPEND_RATE // 10):
                    out.write(ledger_line(rng, time.time(), rng.choice(keys)))
                out.flush()
                time.sleep(max(0.0, 0.1 - (time.monotonic() - tick)))
        busy = (cpu_seconds(exporter.proc.pid) - cpu0) / APPEND_SECONDS
        row("capped: CPU, ledger at 100 lines/s, book at its cap (vs idle)", f"{busy:.1%} of a core",
            f"{idle:.1%}", f"{busy / max(idle, 1e-6):.1f}x", "<= 10% of a core", busy <= 0.10)
        time.sleep(6)  # the last run's save
        runs = max(1, len(journal.read_bytes().splitlines()) - lines0)
        per_run = (journal.stat().st_size - written0) / runs
        base = (tmp / "state" / "usage.json").stat().st_size
        row(f"capped: state written per usage run, {runs} runs (vs the whole state)", f"{per_run / 1024:.0f} KB",
            f"{base / 1024:.0f} KB", f"{per_run / base:.1%}", "what changed, not the book", per_run < base / 10)
    finally:
        exporter.stop()
