"""Crash safety: SIGKILL at random moments while a ledger is appended and ingested, ten times
over, and the totals still equal the exact sums of the ledger: offsets and the totals they
produced are saved in one atomic write, so no event is counted twice or lost."""

from __future__ import annotations

import json
import random
import secrets
import signal
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from exporter.units import window_start
from tests.support.fakeserver import FakeServer, fixture_reply
from tests.support.litellm import Call, FakeLiteLLM
from tests.support.metrics import samples, usage
from tests.support.processes import Exporter
from tests.support.wait import wait_for

KILLS = 10


class Appender:
    """An application writing its usage ledger: one call every few milliseconds, each line in
    two writes (so the exporter sees half lines), until stopped. Keeps the exact sums."""

    def __init__(self, path: Path):
        self.path = path
        self.lines = 0
        self.expected: Counter[tuple[str, str, str, str]] = Counter()
        self.cost: dict[tuple[str, str, str], Decimal] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Appender:
        self._thread.start()
        return self

    def _run(self) -> None:
        rng = random.Random(7)
        with self.path.open("a", encoding="utf-8") as out:
            while not self._stop.is_set():
                i = self.lines
                key = ("openrouter", f"model-{i % 3}", f"task-{i % 4}")
                cost = Decimal(rng.randint(1, 5000)) / Decimal(1_000_000)
                event: dict[str, Any] = {"ts": time.time(), "provider": key[0], "model": key[1], "task": key[2],
                         "input_tokens": i % 97, "output_tokens": i % 31, "cost_usd": str(cost),
                         "success": i % 11 != 0}
                line = json.dumps(event) + "\n"
                cut = rng.randint(1, len(line) - 1)
                out.write(line[:cut])
                out.flush()
                out.write(line[cut:])
                out.flush()
                self.lines += 1
                self.expected[(*key, "requests")] += 1
                self.expected[(*key, "failures")] += not event["success"]
                self.expected[(*key, "input")] += event["input_tokens"]
                self.expected[(*key, "output")] += event["output_tokens"]
                self.cost[key] = self.cost.get(key, Decimal(0)) + cost
                time.sleep(0.003)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def totals(text: str) -> tuple[Counter[tuple[str, str, str, str]], dict[tuple[str, str, str], float]]:
    """The usage counters of a scrape as whole counts, and the cost per (provider, model, task)."""
    got = usage(samples(text))
    return (Counter({key: int(v) for key, v in got.items() if key[3] != "cost"}),
            {key[:3]: v for key, v in got.items() if key[3] == "cost"})


def counted(proc: Exporter) -> int:
    return sum(v for key, v in totals(proc.get("/metrics").text)[0].items() if key[3] == "requests")


def test_sigkill_during_ingestion_loses_and_doubles_nothing(fake: FakeServer, tmp_path: Path) -> None:
    fake.routes["/sp/api/v2/summary.json"] = fixture_reply("statuspage__summary.json")
    ledger = tmp_path / "ledger" / "app.jsonl"
    ledger.parent.mkdir()
    ledger.touch()
    config = tmp_path / "config.yaml"
    config.write_text(f"""
state_dir: {tmp_path / "state"}
sources:
  - {{name: page, type: statuspage, url: "{fake.url}/sp", interval: 60s}}
usage:
  ledger: ["{ledger}"]
  interval: 0.1s
""")
    appender = Appender(ledger).start()
    rng = random.Random(11)
    kills = []
    try:
        for _ in range(KILLS):
            proc = Exporter("--config.file", str(config))
            try:
                proc.wait_ready()
                time.sleep(rng.uniform(0.2, 1.5))  # somewhere in a read, a save, or between them
                kills.append(appender.lines)
                proc.proc.send_signal(signal.SIGKILL)
                proc.proc.wait(timeout=10)
            finally:
                proc.stop()
        appender.stop()
        final = Exporter("--config.file", str(config))
        try:
            final.wait_ready()
            wait_for(lambda: counted(final) >= appender.lines, 30, f"all {appender.lines} lines counted", every=0.2,
                     detail=lambda: f"counted {counted(final)}")
            got, cost = totals(final.get("/metrics").text)
            assert "Traceback" not in final.log()
        finally:
            final.stop()
    finally:
        appender.stop()
    assert len(kills) == KILLS and kills == sorted(kills) and kills[-1] > kills[0]
    assert appender.lines > 1000
    assert got == appender.expected  # every count exact: nothing lost, nothing twice
    assert cost.keys() == appender.cost.keys()
    for key, total in appender.cost.items():
        assert abs(cost[key] - float(total)) < 1e-9, key


class SpendLog:
    """A LiteLLM proxy (tests/support/litellm.py: paged /spend/logs/v2 as 1.110 answers it)
    whose log grows while the exporter reads it: a call every few milliseconds, written in
    batches as LiteLLM does, so some rows show up after newer ones and shift the pages being
    read. Keeps the exact sums per (provider, model, task)."""

    def __init__(self, fake: FakeServer):
        self.proxy = FakeLiteLLM(fake)
        self.proxy.models = [{"model_name": "gpt-4", "litellm_params": {"model": "openai/gpt-4"},
                              "model_info": {"litellm_provider": "openai"}}]
        self.expected: Counter[tuple[str, str, str, str]] = Counter()
        self._pending: list[Call] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def rows(self) -> list[Call]:
        return self.proxy.calls

    def add(self, late: float = 0.0, start: float | None = None) -> None:
        i = len(self.rows) + len(self._pending)
        model = ("gpt-4", "claude")[i % 2]
        # gpt-4's provider comes from /model/info; claude, unknown to it, gets the source's name
        key = ("openai" if model == "gpt-4" else "proxy", model, f"task-{i % 3}")
        failed = i % 13 == 0
        self._pending.append(Call(f"req-{i}", (time.time() if start is None else start) - late, model_group=model,
                                  tags=[key[2]], status="failure" if failed else "success", prompt_tokens=i % 50,
                                  completion_tokens=i % 7, spend=0.0001, duration=0.5))
        self.expected[(*key, "requests")] += 1
        self.expected[(*key, "failures")] += failed
        self.expected[(*key, "input")] += i % 50
        self.expected[(*key, "output")] += i % 7

    def flush(self) -> None:
        self.rows.extend(self._pending)
        self._pending = []

    def _run(self) -> None:
        rng = random.Random(5)
        while not self._stop.is_set():
            for _ in range(rng.randint(1, 8)):
                self.add(late=rng.choice((0.0, 0.0, 0.0, 40.0)))  # some rows are 40 s late
            self.flush()
            time.sleep(0.05)

    def start(self) -> SpendLog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def spend_log_config(path: Path, log: SpendLog, master_key: str, interval: str, extra: str = "") -> None:
    path.write_text(f"""
state_dir: {path.parent / "state"}
{extra}
sources:
  - {{name: proxy, type: litellm, url: "{log.proxy.url}", api_key: {master_key}, spend_logs: true,
     interval: {interval}}}
usage:
  interval: 0.1s
""")


def count_until_complete(proc: Exporter, expected: int, seconds: float) -> Counter[tuple[str, str, str, str]]:
    wait_for(lambda: counted(proc) >= expected, seconds, f"all {expected} rows counted", every=0.2,
             detail=lambda: f"counted {counted(proc)}\n{proc.log()[-3000:]}")
    time.sleep(1.0)  # a few more reads and runs: still nothing counted twice
    return totals(proc.get("/metrics").text)[0]


def test_sigkill_while_reading_spend_logs_loses_and_doubles_nothing(fake: FakeServer, tmp_path: Path) -> None:
    master_key = secrets.token_hex(16)  # made for this run: no key is committed
    config = tmp_path / "config.yaml"
    log = SpendLog(fake)
    spend_log_config(config, log, master_key, "0.2s")
    log.start()
    rng = random.Random(13)
    try:
        for _ in range(5):
            proc = Exporter("--config.file", str(config))
            try:
                proc.wait_ready()
                time.sleep(rng.uniform(0.3, 1.5))  # within a read, a save, or between them
                proc.proc.send_signal(signal.SIGKILL)
                proc.proc.wait(timeout=10)
            finally:
                proc.stop()
    finally:
        log.stop()
    log.add()  # one more row while the exporter is down
    log.flush()
    final = Exporter("--config.file", str(config))
    try:
        final.wait_ready()
        got = count_until_complete(final, len(log.rows), 30)
        scrape = final.get("/metrics").text
        text = scrape + final.log()
    finally:
        final.stop()
    assert len(log.rows) > 200
    assert got == log.expected  # every count exact: nothing lost, nothing twice
    # the live families are saved with the book: as exact (every row is one live call)
    live = samples(scrape)
    assert sum(v for _, v in live["llm_live_requests"]) == len(log.rows)
    assert sum(v for lab, v in live["llm_live_duration_seconds"] if lab.get("le") == "+Inf") == len(log.rows)
    assert "0" * 64 not in text and "palantir" not in text and master_key not in text


def test_sigkill_while_paging_through_thirty_thousand_calls_of_a_day(fake: FakeServer, tmp_path: Path) -> None:
    """30,000 calls of one day, read at most 20 pages of 100 at a time (limits.max_pages): killed three
    times in the middle of the paging, the exporter still counts each call exactly once."""
    master_key = secrets.token_hex(16)
    config = tmp_path / "config.yaml"
    log = SpendLog(fake)
    now = time.time()
    first = max(now - 20 * 3600, window_start("month", now))  # a first read asks from the month's start
    for i in range(30_000):
        log.add(start=first + (now - 1 - first) * i / 30_000)
    log.flush()
    spend_log_config(config, log, master_key, "1s", extra="limits: {max_pages: 20}")
    pages_before = []
    for kill in range(3):
        proc = Exporter("--config.file", str(config))
        try:
            proc.wait_ready()
            seen = len(log.proxy.reads())
            target = seen + 15 + kill * 7  # somewhere in the middle of a read, or between two
            wait_for(lambda: len(log.proxy.reads()) >= target, 30, f"{target} pages read",  # noqa: B023 - used at once
                     every=0.01, detail=lambda: proc.log()[-3000:])  # noqa: B023
            pages_before.append(len(log.proxy.reads()))
            proc.proc.send_signal(signal.SIGKILL)
            proc.proc.wait(timeout=10)
        finally:
            proc.stop()
    final = Exporter("--config.file", str(config))
    try:
        final.wait_ready()
        got = count_until_complete(final, 30_000, 90)
    finally:
        final.stop()
    assert len(pages_before) == 3 and pages_before[-1] > 30  # killed with pages still to read
    assert got == log.expected  # every count exact: nothing lost, nothing twice
    assert all(q["page_size"] == ["100"] for q in log.proxy.reads())


def test_sigterm_ends_within_5s_with_a_hanging_poll_and_a_dripping_probe(fake: FakeServer, tmp_path: Path) -> None:
    """A vendor that never answers and a probe stream that drips a token every 0.25 s, both
    with 30 s timeouts, both in flight: SIGTERM still ends the process within 5 s, with its
    state saved."""
    from tests.support.fakeserver import StreamReply, json_reply

    fake.routes["/oa/models"] = fixture_reply("openai__models.json")
    chunk = b'data: {"choices": [{"delta": {"content": "OK"}}]}\n\n'
    fake.routes["/oa/chat/completions"] = StreamReply([(0.25, chunk)] * 400, chunked=False)
    fake.routes["/sp/api/v2/summary.json"] = fixture_reply("statuspage__summary.json")
    fake.routes["/hang/api/v2/summary.json"] = json_reply({}, delay=120)
    config = tmp_path / "config.yaml"
    text = f"""
state_dir: {tmp_path / "state"}
timeout: 30s
sources:
  - {{name: oa, type: openai, url: "{fake.url}/oa", api_key: test-key-not-real, interval: 60s}}
  - {{name: page, type: statuspage, url: "{fake.url}/sp", interval: 60s}}
probes:
  interval: 60s
  timeout: 30s
  targets: [{{source: oa, models: [gpt-4o-mini]}}]
"""
    config.write_text(text)
    proc = Exporter("--config.file", str(config))
    try:
        proc.wait_ready()
        # the page's new url is polled at once after a reload, and never answers
        config.write_text(text.replace(f"{fake.url}/sp", f"{fake.url}/hang"))
        proc.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: fake.requests_to("/hang/api/v2/summary.json") and fake.requests_to("/oa/chat/completions")
                 and fake.in_flight >= 2, 10, "the hanging poll and the dripping probe in flight", every=0.05,
                 detail=lambda: f"in flight: {fake.in_flight}\n{proc.log()}")
        time.sleep(0.5)
        started = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        proc.proc.wait(timeout=10)
        took = time.monotonic() - started
        assert took < 5.0, f"SIGTERM took {took:.1f}s\n{proc.log()}"
        assert proc.proc.returncode == 0
        state = json.loads((tmp_path / "state" / "catalog.json").read_text())
        assert "oa" in state["sources"]
        assert "Traceback" not in proc.log()
    finally:
        proc.stop()
