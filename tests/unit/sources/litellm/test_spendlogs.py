"""LiteLLM's spend logs counted into the usage book exactly once: paged v2 reads, late and repeated
rows, restarts, reads bounded by limits.max_pages, the deprecated path, proxies that only
aggregate, future-dated rows and cursors, unreadable logs. Real HTTP to a fake proxy that
answers as LiteLLM 1.110 does (tests/support/litellm.py); the engine's clock is fixed."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.clock import NOW, Clock
from tests.support.engines import engine, metrics, rounds
from tests.support.fakeserver import FakeServer
from tests.support.litellm import MASTER_KEY, Call, FakeLiteLLM, restart
from tests.support.metrics import requests, samples, usage, value
from tests.support.state import usage_state

MONTH = datetime(2026, 11, 1, tzinfo=UTC).timestamp()






def test_v2_pages_count_each_call_once_and_resume_after_a_restart(
        fake: FakeServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock, state, proxy = Clock(NOW), tmp_path / "state", FakeLiteLLM(fake)
    # 250 calls this month (three pages of 100), one a minute, tagged three ways, and one last month
    proxy.calls = [Call(f"r{i}", NOW - 20_000 + i * 60, tags=["chat"] if i % 2 else []) for i in range(250)]
    proxy.calls += [Call("z", MONTH - 3600)]
    proxy.calls[7].model_group, proxy.calls[7].provider = "claude-sonnet", "bedrock"
    proxy.calls[8].model_group = "claude-sonnet"  # no custom_llm_provider: /model/info's provider
    proxy.calls[9].status, proxy.calls[9].completion_tokens = "failure", 0
    p, _ = restart(proxy, clock, state)
    asked = proxy.reads()
    assert [q["page"] for q in asked] == [["1"], ["2"], ["3"]]
    assert asked[0] == {"start_date": ["2026-11-01 00:00:00"], "end_date": ["2026-11-18 11:06:40"], "page": ["1"],
                        "page_size": ["100"], "sort_by": ["startTime"], "sort_order": ["asc"]}
    assert not proxy.reads("/spend/logs")  # a proxy with v2 is never asked the deprecated path
    got = usage(p)
    # the untagged calls carry only LiteLLM's User-Agent tags; request_tags came as JSON strings
    assert got[("azure", "gpt-4", "untagged", "requests")] == 124
    assert got[("azure", "gpt-4", "chat", "requests")] == 124
    assert got[("azure", "gpt-4", "chat", "failures")] == 1
    assert got[("bedrock", "claude-sonnet", "chat", "requests")] == 1
    assert got[("anthropic", "claude-sonnet", "untagged", "requests")] == 1
    assert got[("azure", "gpt-4", "untagged", "input")] == 1240
    assert requests(p) == 250  # every call of this month once, none of last month's
    assert value(p, "llm_source_requests", source="proxy", endpoint="spend_logs") == 3
    assert not any(t for lab, t in p["llm_usage_requests"] if lab["task"].startswith("User-Agent"))

    # after a restart: new calls, the last ones again, a late one inside the lookback
    clock.now += 600
    proxy.calls += [Call("late", NOW - 300, tags=["batch"]), Call("new", NOW + 200, tags=["chat"])]
    p, _ = restart(proxy, clock, state)
    newest = NOW - 20_000 + 249 * 60
    assert proxy.reads()[-1]["start_date"] == [datetime.fromtimestamp(newest - 900, UTC).strftime("%Y-%m-%d %H:%M:%S")]
    got = usage(p)
    assert got[("azure", "gpt-4", "chat", "requests")] == 125 and got[("azure", "gpt-4", "batch", "requests")] == 1
    assert requests(p) == 252
    saved = usage_state(state)
    assert saved["feeds"]["proxy"]["cursor"] == NOW + 200 and "new" in saved["feeds"]["proxy"]["seen"]
    # never a label or a log line from the row's user, end user, key hash, alias or metadata
    for secret in ("0" * 64, MASTER_KEY, "palantir", "prod-backend"):
        assert secret not in caplog.text, secret
        assert secret not in metrics_text(proxy, clock, state), secret


def metrics_text(proxy: FakeLiteLLM, clock: Clock, state: Path) -> str:
    return restart(proxy, clock, state)[1]


def test_thirty_thousand_calls_in_a_day_are_read_in_pages_within_the_body_limit(fake: FakeServer) -> None:
    clock, proxy = Clock(NOW), FakeLiteLLM(fake)
    day = datetime(2026, 11, 17, tzinfo=UTC).timestamp()
    proxy.calls = [Call(f"c{i}", day + i * 2.88, tags=["chat"], prompt="x" * 2000) for i in range(30_000)]
    # A page of 100 light rows is far below 300 KB; the deprecated path's whole day would be 30 MB.
    e = engine(proxy.config(), clock, head="limits: {max_pages: 1000, max_response_bytes: 300000}\n")
    try:
        p = rounds(e, clock, 1)
    finally:
        e.stop()
    assert len(proxy.reads()) == 301  # 300 full pages and the empty one that says the window ended
    assert requests(p) == 30_000
    assert value(p, "llm_source_request_failures", source="proxy", endpoint="spend_logs",
                 reason="invalid_response") == 0


def test_a_proxy_without_v2_is_read_through_the_deprecated_path(fake: FakeServer,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock, proxy = Clock(NOW), FakeLiteLLM(fake, version=(1, 75, 0))
    proxy.calls = [Call(f"r{i}", NOW - 5000 + i * 30, tags=["chat"]) for i in range(100)]
    e = engine(proxy.config(), clock)
    try:
        p = rounds(e, clock, 2)
    finally:
        e.stop()
    assert proxy.reads("/spend/logs")[0] == {"start_date": ["2026-11-01"], "end_date": ["2026-11-19"],
                                             "summarize": ["false"]}
    assert len(proxy.reads()) == 1  # v2's 404 is remembered: asked again only after an hour
    assert requests(p) == 100
    assert value(p, "llm_source_request_failures", source="proxy", endpoint="spend_logs", reason="http_error") == 0
    assert caplog.text.count("has no /spend/logs/v2") == 1


def test_a_truncated_deprecated_read_counts_what_came_and_says_so_once(
        fake: FakeServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock, state, proxy = Clock(NOW), tmp_path / "state", FakeLiteLLM(fake, version=(1, 75, 0))
    day = datetime(2026, 11, 18, tzinfo=UTC).timestamp()
    proxy.calls = [Call(f"r{i}", day + i * 3, tags=["chat"]) for i in range(12_000)]
    e = engine(proxy.config(), clock, head=f"state_dir: {state}\n", persist=True)
    try:
        p = rounds(e, clock, 2)
    finally:
        e.stop()
    assert requests(p) == 10_000  # the newest 10,000; the 2,000 oldest never came
    assert caplog.text.count("logs more than 10,000 calls a day") == 1
    oldest_answered = day + 2000 * 3
    assert usage_state(state)["feeds"]["proxy"]["cursor"] == oldest_answered


def test_a_proxy_that_only_aggregates_is_unsupported_and_stays_up(fake: FakeServer,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock, proxy = Clock(NOW), FakeLiteLLM(fake, version=(1, 60, 0))
    proxy.calls = [Call(f"r{i}", NOW - 5000 + i * 30) for i in range(20)]
    e = engine(proxy.config(), clock)
    try:
        p = rounds(e, clock, 3)
    finally:
        e.stop()
    assert value(p, "llm_source_up", source="proxy") == 1
    assert value(p, "llm_source_request_failures", source="proxy", endpoint="spend_logs", reason="unsupported") == 3
    assert value(p, "llm_source_request_failures", source="proxy", endpoint="spend_logs",
                 reason="invalid_response") == 0
    assert not p.get("llm_usage_requests")
    assert caplog.text.count("too old for per-call spend logs") == 1


def test_a_future_dated_row_is_rejected_and_every_call_after_it_counted(fake: FakeServer, tmp_path: Path) -> None:
    # The deprecated path asks up to tomorrow, so it sees a replica whose clock runs an hour fast.
    clock, state, proxy = Clock(NOW), tmp_path / "state", FakeLiteLLM(fake, version=(1, 75, 0))
    proxy.calls = [Call("fast-replica", NOW + 3600, tags=["chat"])]
    e = engine(proxy.config(), clock, head=f"state_dir: {state}\n", persist=True)
    try:
        for i in range(60):
            proxy.calls.append(Call(f"c{i}", clock.now - 1, tags=["chat"]))
            e.run_once()
            clock.now += 60
        p = samples(metrics(e))
    finally:
        e.stop()
    # The 60 calls each once, and the fast replica's call too once its time came (within 5 minutes)
    assert requests(p) == 61
    assert value(p, "llm_source_request_failures", source="proxy", endpoint="spend_logs",
                 reason="invalid_response") == 55  # the answers that held it while it was in the future
    assert usage_state(state)["feeds"]["proxy"]["cursor"] <= clock.now


def test_a_saved_cursor_in_the_future_is_set_aside_at_start(fake: FakeServer, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock, state, proxy = Clock(NOW), tmp_path / "state", FakeLiteLLM(fake)
    state.mkdir()
    book: dict[str, Any] = {"counters": [], "daily": [], "durations": [], "invalid_lines": {}, "unpriced": {},
                            "folded": {}, "last_event": None}
    (state / "usage.json").write_text(json.dumps({"version": 1, "positions": [], "book": book, "feeds": {
        "proxy": {"cursor": 253402214400.0, "seen": {"x": 253402214400.0}}}}))
    proxy.calls = [Call("a", NOW - 30), Call("b", NOW - 10)]
    p, _ = restart(proxy, clock, state)
    assert caplog.text.count("saved cursor is in the future") == 1
    assert requests(p) == 2
    assert proxy.reads()[0]["start_date"] == [datetime.fromtimestamp(NOW - 900, UTC).strftime("%Y-%m-%d %H:%M:%S")]
