"""The fault-injection suite: the demo fleet behind tests/faults' proxy, one exporter process
polling it every 2 s, and every fault a vendor can throw at it, one after the other. Through
each, /metrics answers in under a second from the cache, the process stays up, the failure is
counted under its reason, and the source recovers without a restart."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from exporter.demo.server import config_text
from tests.support.faults.server import FaultFleet, http_date
from tests.support.metrics import Series, parse, series, undocumented_lint
from tests.support.processes import Exporter, free_port, tool
from tests.support.procfs import status
from tests.support.stack import Processes
from tests.support.wait import wait_for

SOURCE = "openrouter"
PREFIX = "/openrouter/"
INTERVAL = 2
MAX_MODELS = 50


class Suite:
    """The proxy, the exporter behind it, and a record of every scrape's latency."""

    def __init__(self, tmp: Path):
        self.faults = FaultFleet()
        self.tmp = tmp
        text = config_text()
        for old, new in (("poll_interval: 15s", f"poll_interval: {INTERVAL}s"), ("timeout: 5s", "timeout: 1s"),
                         ("stale_after: 3", f"stale_after: 3\nlimits: {{max_models: {MAX_MODELS}}}"),
                         ("interval: 60s", f"interval: {INTERVAL}s"),
                         ("  interval: 30s\n  timeout: 10s", "  interval: 3s\n  timeout: 2s")):
            assert old in text
            text = text.replace(old, new)
        self.config = tmp / "config.yaml"
        self.config.write_text(text)
        self.exporter = Exporter("--config.file", str(self.config), "--log.level", "debug",
                                 env=self.faults.env(str(tmp)))
        self.exporter.wait_ready(40)
        self.slowest = 0.0
        self.scrapes = 0

    def scrape(self, accept: str | None = None) -> str:
        assert self.exporter.proc.poll() is None, self.exporter.log()[-3000:]
        started = time.monotonic()
        response = requests.get(self.exporter.url + "/metrics", timeout=5,
                                headers={"Accept": accept} if accept else {})
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert elapsed < 1.0, f"a scrape took {elapsed:.2f}s during a fault"
        self.slowest = max(self.slowest, elapsed)
        self.scrapes += 1
        return response.text

    def samples(self) -> Series:
        return series(self.scrape())

    def value(self, name: str, **labels: str) -> float:
        """Sum over the series of `name` that carry these labels (0 when there is none)."""
        want = set(labels.items())
        return sum(v for (n, lab), v in self.samples().items() if n == name and want <= set(lab))

    def has(self, name: str, **labels: str) -> bool:
        want = set(labels.items())
        return any(n == name and want <= set(lab) for (n, lab) in self.samples())

    def until(self, check: Any, what: str, timeout: float = 25) -> Any:
        """Scrapes every 0.2 s (each under a second) until check() holds."""
        return wait_for(check, timeout, what, every=0.2, detail=lambda: self.exporter.log()[-3000:])

    def rss_kib(self, key: str = "VmRSS") -> int:
        return status(self.exporter.proc.pid)[key]

    def stop(self) -> None:
        self.exporter.stop()
        self.faults.stop()


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    s = Suite(tmp_path_factory.mktemp("faults"))
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def no_fault_left(suite: Suite) -> Iterator[None]:
    yield
    suite.faults.clear()
    suite.until(lambda: suite.value("llm_source_up", source=SOURCE) == 1, "recovery after the test")


CASES = [
    pytest.param("hang", {}, "timeout", id="hang past the timeout"),
    pytest.param("reset", {}, "connection", id="connection reset mid-body"),
    pytest.param("status", {"code": 500}, "http_error", id="500"),
    pytest.param("status", {"code": 502}, "http_error", id="502"),
    pytest.param("status", {"code": 503}, "http_error", id="503"),
    pytest.param("status", {"code": 401}, "auth", id="401"),
    pytest.param("status", {"code": 403}, "auth", id="403"),
    pytest.param("html", {}, "invalid_response", id="HTML instead of JSON"),
    pytest.param("truncated", {}, "invalid_response", id="truncated JSON"),
    pytest.param("list_for_object", {}, "invalid_response", id="a list for an object"),
    pytest.param("nulls", {}, "invalid_response", id="null everywhere"),
    pytest.param("huge", {}, "invalid_response", id="a 50 MB body"),
    pytest.param("drip", {"every": 1.0}, "timeout", id="1 byte per second"),
    pytest.param("redirect_loop", {}, "http_error", id="redirect loop"),
]


@pytest.mark.parametrize(("kind", "params", "reason"), CASES)
def test_a_fault_is_counted_survived_and_recovered_from(suite: Suite, kind: str, params: dict[str, Any],
                                                        reason: str) -> None:
    before = suite.value("llm_source_request_failures_total", source=SOURCE, reason=reason)
    hwm = suite.rss_kib("VmHWM")
    suite.faults.inject(PREFIX, kind, **params)
    suite.until(lambda: suite.value("llm_source_request_failures_total", source=SOURCE, reason=reason) > before,
                f"a {reason} failure counted")
    assert suite.value("llm_source_up", source=SOURCE) == 0
    # the other sources are untouched
    assert suite.value("llm_source_up", source="gatewayz") == 1
    if kind == "huge":
        # the body is dropped at limits.max_response_bytes (20 MB), not read to its 50 MB end
        assert suite.rss_kib("VmHWM") - hwm < 60 * 1024
    suite.faults.clear(PREFIX)
    suite.until(lambda: suite.value("llm_source_up", source=SOURCE) == 1, "recovery without a restart")


@pytest.mark.parametrize("retry_after", ["4", "date", None], ids=["seconds", "HTTP date", "absent"])
def test_429_is_rate_limited_and_skips_polls(suite: Suite, retry_after: str | None) -> None:
    failed = suite.value("llm_source_request_failures_total", source=SOURCE, reason="rate_limited")
    skipped = suite.value("llm_source_polls_skipped_total", source=SOURCE, reason="rate_limited")
    # an HTTP date has whole seconds: far enough ahead that the next poll surely falls before it
    value = http_date(8) if retry_after == "date" else retry_after
    suite.faults.inject(PREFIX, "rate_limited", **({"retry_after": value} if value else {}))
    suite.until(lambda: suite.value("llm_source_request_failures_total", source=SOURCE,
                                    reason="rate_limited") > failed, "a 429 counted")
    # Retry-After of 4 s, a date 8 s ahead, or none (one interval): the next poll is not made
    suite.until(lambda: suite.value("llm_source_polls_skipped_total", source=SOURCE,
                                    reason="rate_limited") > skipped, "a poll skipped")
    hits = suite.faults.hits[PREFIX]
    time.sleep(INTERVAL * 0.9)
    assert suite.faults.hits[PREFIX] <= hits + 1  # no hammering while told to wait


def test_stale_values_are_dropped_after_stale_after_intervals(suite: Suite) -> None:
    assert suite.has("llm_model_info", source=SOURCE)
    suite.faults.inject(PREFIX, "status", code=503)
    failed_at = time.monotonic()
    suite.until(lambda: suite.value("llm_source_up", source=SOURCE) == 0, "the source down")
    assert suite.has("llm_model_info", source=SOURCE)  # kept through the first failed intervals
    suite.until(lambda: not suite.has("llm_model_info", source=SOURCE), "stale series dropped", timeout=30)
    # 3 intervals of 2 s (and half an interval of slack) after the last success
    assert time.monotonic() - failed_at >= 3 * INTERVAL - INTERVAL
    assert suite.has("llm_source_up", source=SOURCE)  # the source's own status stays
    suite.faults.clear(PREFIX)
    suite.until(lambda: suite.has("llm_model_info", source=SOURCE), "series back after recovery")


def test_wrong_types_are_survived(suite: Suite) -> None:
    """Strings where numbers belong: what still parses is kept, what does not is absent."""
    suite.faults.inject(PREFIX, "strings_for_numbers")
    # A hit count says a request was made, not that its poll has been published: wait for the
    # first poll under the fault to show in the metrics.
    suite.until(lambda: not suite.has("llm_model_context_length_tokens", source=SOURCE),
                "a poll under the fault published")
    assert suite.exporter.proc.poll() is None
    # numeric strings like "0.0000025" stay prices; "about 128000" is no context length
    assert suite.has("llm_model_price_usd_per_token", source=SOURCE)
    assert not suite.has("llm_model_context_length_tokens", source=SOURCE)


def test_the_model_cap_drops_and_counts_the_overflow(suite: Suite) -> None:
    before = suite.value("llm_source_models_dropped_total", source=SOURCE)
    suite.faults.inject("/openrouter/api/v1/models", "flood", count=MAX_MODELS + 30)
    suite.until(lambda: suite.value("llm_source_models_dropped_total", source=SOURCE) >= before + 30,
                "30 models dropped")
    assert suite.value("llm_models", source=SOURCE) == MAX_MODELS


VALUES = [
    pytest.param("/openrouter/api/v1/models", "price_overflow", "openrouter", id="price 9e999999"),
    pytest.param("/openrouter/api/v1/models", "nan_price", "openrouter", id="price NaN and -Infinity"),
    pytest.param("/openai/v1/organization/usage/completions", "model_number", "openai-costs", id="model 4"),
    pytest.param("/openai/v1/organization/usage/completions", "huge_tokens", "openai-costs", id="tokens 1.7e308"),
]


@pytest.mark.parametrize(("path", "edit", "source"), VALUES)
def test_a_bad_value_is_contained_to_its_item(suite: Suite, path: str, edit: str, source: str) -> None:
    """One item with a value of the wrong kind is left out and counted; the rest of its source
    and every other source keep publishing, and every page keeps answering."""
    def invalid() -> float:
        return suite.value("llm_source_request_failures_total", source=source, reason="invalid_response")

    def last_success(name: str) -> float:
        return suite.value("llm_source_last_success_timestamp_seconds", source=name)

    before, page_before = invalid(), last_success("status-openai")
    suite.faults.inject(path, "values", edit=edit)
    suite.until(lambda: invalid() > before, f"the bad {edit} item counted")
    polled = last_success(source)
    suite.until(lambda: last_success(source) > polled, f"{source} still publishing")
    suite.until(lambda: last_success("status-openai") > page_before, "a healthy source still advancing")
    assert suite.value("llm_source_up", source=source) == 1
    if source == "openrouter":  # the other models are still there
        assert suite.value("llm_models", source=source) >= 5
    else:
        assert suite.has("llm_vendor_usage_tokens", source=source)
    for page in ("/", "/api/summary", "/api/models?limit=1000", "/api/route?class=chat", "/api/usage"):
        answer = requests.get(suite.exporter.url + page, timeout=5)
        assert answer.status_code == 200, page
        assert "NaN" not in answer.text and "Infinity" not in answer.text, page
    suite.faults.clear(path)


def test_close_delimited_drips_end_at_the_deadline_for_probes_and_polls(suite: Suite) -> None:
    """A byte every 0.5 s on a body that ends when the connection closes: the probe stream
    (timeout 2 s) and the poll (timeout 1 s) both end at their deadlines and count a timeout.
    The probe's stream drips first, alone: a probe waits while its source is down, so a drip on
    every path would take the source down at its first poll and leave no probe to time out."""
    def polls() -> float:
        return suite.value("llm_source_request_failures_total", source=SOURCE, reason="timeout")

    def probes() -> float:
        return suite.value("llm_probe_failures_total", source=SOURCE, reason="timeout")

    chat = PREFIX + "api/v1/chat/completions"
    before_probes = probes()
    suite.faults.inject(chat, "drip_close", every=0.5)
    suite.until(lambda: probes() > before_probes, "a probe timed out", timeout=30)
    suite.faults.clear(chat)
    before_polls = polls()
    suite.faults.inject(PREFIX, "drip_close", every=0.5)
    suite.until(lambda: polls() > before_polls, "a poll timed out")
    assert suite.value("llm_source_up", source=SOURCE) == 0
    assert suite.value("llm_source_up", source="gatewayz") == 1


HOSTILE_LEDGER = [
    '{"ts": 1, "provider": "p", "model": "m", "input_tokens": 1' + "0" * 400 + "}",
    "[" * 100_000 + "]" * 100_000,
    '{"ts": 1, "provider": "p", "model": "m", "cost_usd": "9e999999"}',
    '{"ts": 1, "provider": "p", "model": "m", "input_tokens": 1.7e308}',
    '{"ts": 1, "junk": "' + "x" * (2 << 20) + '"}',
]


def test_hostile_ledger_lines_are_counted_and_the_rest_read(suite: Suite) -> None:
    def invalid() -> float:
        return suite.value("llm_usage_invalid_lines_total")

    before = invalid()
    good = json.dumps({"ts": time.time(), "provider": "openrouter", "model": "openai/gpt-4o-mini",
                       "task": "after-hostile", "input_tokens": 10, "output_tokens": 1})
    data = "".join(line + "\n" for line in [*HOSTILE_LEDGER, good]).encode()
    fd = os.open(suite.faults.fleet.ledger, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, data)  # one append: the demo's own writer cannot land in the middle
    finally:
        os.close(fd)
    suite.until(lambda: invalid() >= before + len(HOSTILE_LEDGER), "every hostile line counted")
    suite.until(lambda: suite.value("llm_usage_requests_total", task="after-hostile") == 1,
                "the good line after them read")
    assert invalid() == before + len(HOSTILE_LEDGER)
    assert "Traceback" not in suite.exporter.log()


def test_a_sighup_storm_leaves_the_exporter_serving(suite: Suite) -> None:
    polled = suite.value("llm_source_last_success_timestamp_seconds", source="gatewayz")
    for _ in range(20):
        suite.exporter.proc.send_signal(signal.SIGHUP)
        time.sleep(0.005)
        suite.scrape()
    suite.until(lambda: suite.value("llm_source_last_success_timestamp_seconds", source="gatewayz") > polled,
                "polling goes on")
    assert suite.exporter.proc.poll() is None
    assert "reloaded" in suite.exporter.log()


def test_every_response_carries_the_security_headers(suite: Suite) -> None:
    for path in ("/", "/metrics", "/api/summary", "/nope"):
        headers = requests.get(suite.exporter.url + path, timeout=5).headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert "default-src 'none'" in headers["Content-Security-Policy"], path
        assert headers["Server"] == "llm-fleet-exporter", path


class TextOnly:
    """A loopback proxy that asks the exporter for the text format, whatever Prometheus asks:
    Prometheus 2.42 prefers OpenMetrics and has no setting to change that."""

    def __init__(self, upstream: str):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer = requests.get(upstream + self.path, headers={"Accept": "text/plain"}, timeout=5)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers["Content-Type"])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, args=(0.1,), daemon=True).start()
        self.address = f"127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_hostile_strings_keep_the_exposition_valid_for_promtool_and_prometheus(suite: Suite, tmp_path: Path
                                                                              ) -> None:
    suite.faults.inject(PREFIX, "hostile_strings")
    suite.until(lambda: "naïve-模型-🚀" in suite.scrape(), "a poll with hostile strings published")
    assert suite.value("llm_source_up", source=SOURCE) == 1
    text = suite.scrape()
    models = [labels for (name, labels) in suite.samples() if name == "llm_model_info"
              and dict(labels)["source"] == SOURCE]
    values = [v for labels in models for _, v in labels]
    assert any("naïve-模型-🚀" in v for v in values)  # real unicode is kept
    assert all(len(v) <= 200 for v in values)  # the 10,000-character id is capped
    assert not any(re.search(r"[\x00-\x1f\x7f]", v) for v in values)  # control characters removed
    assert any(v.startswith("\ufffdlone-surrogate") for v in values)  # replaced, and UTF-8 encodable
    # promtool's linter: only the documented naming exceptions
    result = subprocess.run([tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True,
                            timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert undocumented_lint(problems) == [], problems
    # the OpenMetrics body parses with the strict parser
    list(parse(suite.scrape(accept="application/openmetrics-text; version=1.0.0"), openmetrics=True))
    # and a real Prometheus scrapes both formats without an error
    text_only = TextOnly(suite.exporter.url)
    procs = Processes()
    try:
        config = tmp_path / "prometheus.yml"
        target = suite.exporter.url.removeprefix("http://")
        config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s"}, "scrape_configs": [
            {"job_name": "openmetrics", "static_configs": [{"targets": [target]}]},
            {"job_name": "text", "static_configs": [{"targets": [text_only.address]}]}]}))
        port = free_port()
        procs.start([tool("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
                     f"--web.listen-address=127.0.0.1:{port}"], tmp_path / "prometheus.log")
        url = f"http://127.0.0.1:{port}"

        def scraped() -> dict[str, dict[str, Any]] | None:
            try:
                targets = requests.get(url + "/api/v1/targets", timeout=2).json()["data"]["activeTargets"]
            except requests.RequestException:
                return None
            done = {t["labels"]["job"]: t for t in targets if t["lastScrape"] != "0001-01-01T00:00:00Z"}
            return done if len(done) == 2 else None

        targets = wait_for(scraped, 60, "both formats scraped")
        for job, target_state in targets.items():
            assert (target_state["health"], target_state["lastError"]) == ("up", ""), job

        # Every model, hostile ids included, through both formats. The demo's catalog moves (a
        # free model comes and goes), so the counts are compared with the exporter's current one
        # until a scrape of each format has caught up with it.
        def agree() -> bool:
            now = sum(1 for name, labels in suite.samples()
                      if name == "llm_model_info" and dict(labels)["source"] == SOURCE)
            counts = requests.get(url + "/api/v1/query", params={
                "query": f'count by (job) (llm_model_info{{source="{SOURCE}"}})'}, timeout=5).json()["data"]["result"]
            return {r["metric"]["job"]: r["value"][1] for r in counts} == {"openmetrics": str(now), "text": str(now)}

        wait_for(agree, 30, "both formats carry every model")
    finally:
        procs.stop()
        text_only.stop()


def test_no_secret_reaches_any_output(suite: Suite) -> None:
    """The demo key (every source's) and its Authorization header, searched in everything the
    exporter says: the exposition in both formats, every JSON endpoint, the landing page, the
    state files and the debug log, which holds requests' and urllib3's own messages too."""
    key = suite.faults.fleet.key
    suite.faults.inject(PREFIX, "status", code=401)  # errors, with their messages, into the log
    suite.until(lambda: suite.value("llm_source_up", source=SOURCE) == 0, "an auth failure")
    outputs = {
        "metrics": suite.scrape(),
        "openmetrics": suite.scrape(accept="application/openmetrics-text; version=1.0.0"),
        "landing": requests.get(suite.exporter.url + "/", timeout=5).text,
    }
    for path in ("/api/summary", "/api/models?limit=1000", "/api/route?class=chat", "/api/changes",
                 "/api/usage", "/api/recommendations", "/api/compare?models=openai/gpt-4o-mini"):
        outputs[path] = requests.get(suite.exporter.url + path, timeout=5).text
    for state in (suite.tmp / "state").glob("*"):
        outputs[state.name] = state.read_text(errors="replace")
    outputs["log"] = suite.exporter.log()
    assert "level=debug" in outputs["log"] and "logger=urllib3" in outputs["log"]  # the debug log was really searched
    assert len(list((suite.tmp / "state").glob("*.json"))) >= 2
    for where, text in outputs.items():
        assert key not in text, where
        assert f"Bearer {key}" not in text, where
        assert key[5:] not in text, where  # not even the key's random part


def test_scrapes_stayed_fast_through_every_fault(suite: Suite) -> None:
    assert suite.scrapes > 100
    assert suite.slowest < 1.0
    print(f"{suite.scrapes} scrapes during the faults, slowest {suite.slowest * 1000:.0f} ms")
