"""Usage from where it already lives: LiteLLM's spend logs counted into the usage book exactly
once (paged, late, repeated, across a restart, from every kind of proxy), and OpenRouter's
activity summed for the month's completed days. Real HTTP to fakes on loopback that answer as
the vendors do (tests/support/litellm.py); the engine's clock is fixed."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from exporter.engine import Engine
from tests.support.catalogs import Clock, engine, metrics
from tests.support.fakeserver import FakeServer, json_reply
from tests.support.litellm import Call, FakeLiteLLM
from tests.support.metrics import Parsed, samples, value
from tests.support.state import usage_state

NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z
MONTH = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
# Keys made for this run, so none is committed: the proxy's master key, the management key.
MASTER_KEY, MANAGEMENT_KEY = secrets.token_hex(16), secrets.token_hex(16)


def usage(p: Parsed) -> dict[tuple[str, str, str, str], float]:
    out = {}
    for family, what in (("llm_usage_requests", "requests"), ("llm_usage_failures", "failures"),
                         ("llm_usage_cost_usd", "cost")):
        for labels, v in p.get(family, []):
            out[(labels["provider"], labels["model"], labels["task"], what)] = v
    for labels, v in p.get("llm_usage_tokens", []):
        if labels["token_type"] != "cache_read":
            out[(labels["provider"], labels["model"], labels["task"], labels["token_type"])] = v
    return out


def requests(p: Parsed) -> float:
    return sum(v for lab, v in p.get("llm_usage_requests", []))


def restart(proxy: FakeLiteLLM, clock: Clock, state: Path, head: str = "") -> tuple[Parsed, str]:
    """One round (poll, feed read, usage run) of a fresh engine on `state`, as a restart would."""
    e = engine(proxy.config(key=MASTER_KEY), clock, head=f"state_dir: {state}\n{head}", persist=True)
    try:
        e.run_once()
        text = metrics(e)
    finally:
        e.stop()
    return samples(text), text


def rounds(e: Engine, clock: Clock, n: int, step: float = 60.0) -> Parsed:
    for _ in range(n):
        e.run_once()
        clock.now += step
    return samples(metrics(e))


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


def test_a_read_bounded_by_max_pages_resumes_where_it_stopped(fake: FakeServer) -> None:
    clock, proxy = Clock(NOW), FakeLiteLLM(fake)
    proxy.calls = [Call(f"r{i}", NOW - 10_000 + i * 10, tags=[f"t{i % 3}"]) for i in range(550)]
    e = engine(proxy.config(), clock, head="limits: {max_pages: 2}\n")
    try:
        p = rounds(e, clock, 1, step=1)
        assert requests(p) == 200
        p = rounds(e, clock, 2, step=1)
    finally:
        e.stop()
    # the second read went on with pages 3 and 4 of the same window, the third with 5 and 6
    assert [q["page"][0] for q in proxy.reads()] == ["1", "2", "3", "4", "5", "6"]
    assert len({q["end_date"][0] for q in proxy.reads()}) == 1
    assert requests(p) == 550
    assert sum(v for lab, v in p["llm_usage_requests"] if lab["task"] == "t0") == 184


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
    book = {"counters": [], "daily": [], "durations": [], "invalid_lines": {}, "unpriced": {}, "folded": {},
            "last_event": None}
    (state / "usage.json").write_text(json.dumps({"version": 1, "positions": [], "book": book, "feeds": {
        "proxy": {"cursor": 253402214400.0, "seen": {"x": 253402214400.0}}}}))
    proxy.calls = [Call("a", NOW - 30), Call("b", NOW - 10)]
    p, _ = restart(proxy, clock, state)
    assert caplog.text.count("saved cursor is in the future") == 1
    assert requests(p) == 2
    assert proxy.reads()[0]["start_date"] == [datetime.fromtimestamp(NOW - 900, UTC).strftime("%Y-%m-%d %H:%M:%S")]


def test_unreadable_spend_logs_leave_the_proxy_up_and_lose_nothing(fake: FakeServer, tmp_path: Path) -> None:
    clock, state, proxy = Clock(NOW), tmp_path / "state", FakeLiteLLM(fake)
    proxy.calls = [Call("a", NOW - 60)]
    fake.routes["/proxy/spend/logs/v2"] = json_reply({"detail": "not allowed"}, status=401)
    p, _ = restart(proxy, clock, state)
    assert value(p, "llm_source_up", source="proxy") == 1
    assert value(p, "llm_source_request_failures", source="proxy", endpoint="spend_logs", reason="auth") == 1
    assert not p.get("llm_usage_requests")
    proxy = FakeLiteLLM(fake)  # readable again: still from the month's start
    proxy.calls = [Call("a", NOW - 60)]
    p, _ = restart(proxy, clock, state)
    assert proxy.reads()[-1]["start_date"] == ["2026-11-01 00:00:00"]
    assert value(p, "llm_usage_requests", provider="azure", model="gpt-4", task="untagged") == 1


# -- OpenRouter activity --------------------------------------------------------------------------
def activity(day: str, model: str, usage: float, byok: float, requests: int, tokens: tuple[int, int, int]
             ) -> dict[str, Any]:
    return {"date": day, "model": model, "model_permaslug": f"{model}-2025-04-14",
            "endpoint_id": "550e8400-e29b-41d4-a716-446655440000", "provider_name": "OpenAI", "usage": usage,
            "byok_usage_inference": byok, "requests": requests, "prompt_tokens": tokens[0],
            "completion_tokens": tokens[1], "reasoning_tokens": tokens[2]}


ACTIVITY = [
    activity("2026-11-17", "openai/gpt-4.1", 0.5, 0.1, 3, (100, 50, 10)),
    # the same model and day through a second upstream endpoint
    activity("2026-11-17", "openai/gpt-4.1", 0.25, 0.0, 2, (10, 5, 0)),
    activity("2026-11-02", "openai/gpt-4.1", 1.0, 0.0, 1, (1000, 1, 0)),
    activity("2026-11-02", "deepseek/deepseek-r1", 0.03, 0.0, 4, (40, 80, 400)),
    activity("2026-10-31", "openai/gpt-4.1", 9.0, 9.0, 9, (9, 9, 9)),  # last month
]


def openrouter(fake: FakeServer, status: int = 200) -> str:
    fake.routes["/or/models"] = json_reply({"data": []})
    fake.routes["/or/key"] = json_reply({"data": {"limit": None, "usage": 1.0}})
    fake.routes["/or/credits"] = json_reply({"error": {"code": 403}}, status=403)
    fake.routes["/or/activity"] = json_reply({"data": ACTIVITY} if status == 200 else
                                             {"error": {"code": 403, "message": "Only management keys"}},
                                             status=status)
    return f"  - {{name: or, type: openrouter, url: '{fake.url}/or', api_key: {MANAGEMENT_KEY}, activity: true}}\n"


def test_activity_sums_the_months_completed_days_per_model(fake: FakeServer) -> None:
    clock = Clock(NOW)
    e = engine(openrouter(fake), clock)
    try:
        e.run_once()
        p = samples(metrics(e))
        clock.now += 600  # within 15 minutes: not asked again
        e.run_once()
        assert len(fake.requests_to("/or/activity")) == 1
        clock.now += 300
        e.run_once()
        assert len(fake.requests_to("/or/activity")) == 2
        clock.now = datetime(2026, 12, 1, 5, tzinfo=UTC).timestamp()  # a new month, no completed day yet
        e.run_once()
        december = samples(metrics(e))
    finally:
        e.stop()
    gpt = {"source": "or", "model": "openai/gpt-4.1"}
    assert value(p, "llm_vendor_usage_tokens", token_type="input", **gpt) == 1110
    assert value(p, "llm_vendor_usage_tokens", token_type="output", **gpt) == 56
    assert value(p, "llm_vendor_usage_tokens", token_type="reasoning", **gpt) == 10
    assert value(p, "llm_vendor_usage_requests", **gpt) == 6
    assert value(p, "llm_vendor_model_spend_usd", kind="credits", **gpt) == 1.75
    assert value(p, "llm_vendor_model_spend_usd", kind="byok", **gpt) == 0.1
    assert value(p, "llm_vendor_usage_tokens", source="or", model="deepseek/deepseek-r1", token_type="reasoning") == 400
    assert value(p, "llm_source_requests", source="or", endpoint="activity") == 1
    assert not december.get("llm_vendor_usage_requests") and not december.get("llm_vendor_model_spend_usd")


def test_a_key_without_activity_rights_leaves_the_source_up(fake: FakeServer,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock(NOW)
    e = engine(openrouter(fake, status=403), clock)
    try:
        e.run_once()
        clock.now += 900
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert value(p, "llm_source_up", source="or") == 1
    assert not p.get("llm_vendor_usage_requests") and not p.get("llm_vendor_usage_tokens")
    assert not [lab for lab, v in p["llm_source_request_failures"] if lab["endpoint"] == "activity" and v]
    assert caplog.text.count("needs a management key") == 1
    assert MANAGEMENT_KEY not in caplog.text


def test_activity_over_max_models_is_summed_as_other_and_counted(fake: FakeServer) -> None:
    # 85,000 models used to make 510,000 series
    rows = [activity("2026-11-17", f"m/{i:05d}", 0.001, 0.0, 1 + (i % 7 == 0), (10, 5, 0)) for i in range(85_000)]
    openrouter(fake)
    fake.routes["/or/activity"] = json_reply({"data": rows})
    clock = Clock(NOW)
    e = engine(openrouter_source(fake), clock, head="limits: {max_models: 100, max_response_bytes: 60000000}\n")
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    models = {lab["model"] for lab, _ in p["llm_vendor_usage_requests"]}
    assert len(models) == 100 and "other" in models
    # the 99 kept are those with the most requests; every request is still counted once
    assert sum(v for _, v in p["llm_vendor_usage_requests"]) == sum(r["requests"] for r in rows)
    assert value(p, "llm_vendor_usage_requests", source="or", model="m/00000") == 2
    assert value(p, "llm_exporter_series_folded", family="llm_vendor_usage") == 85_000 - 99
    assert len(p["llm_vendor_usage_tokens"]) == 300


def openrouter_source(fake: FakeServer) -> str:
    return f"  - {{name: or, type: openrouter, url: '{fake.url}/or', api_key: {MANAGEMENT_KEY}, activity: true}}\n"
