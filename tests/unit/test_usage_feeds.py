"""Usage from where it already lives: LiteLLM's spend logs counted into the usage book exactly
once (in order, late, repeated, across a restart), and OpenRouter's activity summed for the
month's completed days. Real HTTP to a fake server on loopback; the engine's clock is fixed."""

from __future__ import annotations

import copy
import json
import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.catalogs import Clock, engine, metrics
from tests.support.fakeserver import FakeServer, fixture, json_reply
from tests.support.metrics import samples, value

NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z
# Keys made for this run, so none is committed: the proxy's master key, the management key.
MASTER_KEY, MANAGEMENT_KEY = secrets.token_hex(16), secrets.token_hex(16)
ROW = json.loads(fixture("litellm__spend_logs.json"))[0]  # its api_key hash, user and metadata must stay inside
MODEL_INFO = {"data": [
    {"model_name": "gpt-4", "model_info": {"litellm_provider": "openai", "mode": "chat"}},
    {"model_name": "claude-sonnet", "model_info": {"litellm_provider": "anthropic", "mode": "chat"}},
]}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def row(rid: str, ts: float, model: str = "gpt-4", tags: list[str] | None = None, *, failed: bool = False,
        tokens: tuple[int, int] = (10, 18), spend: float = 0.00123, provider: str | None = None) -> dict[str, Any]:
    out = copy.deepcopy(ROW)
    out.update(request_id=rid, startTime=iso(ts), endTime=iso(ts + 1.2), model=model, model_group=model,
               request_tags=tags or [], status="failure" if failed else "success", prompt_tokens=tokens[0],
               completion_tokens=tokens[1], total_tokens=sum(tokens), spend=spend)
    if provider is not None:
        out["custom_llm_provider"] = provider
    return out


def proxy(fake: FakeServer) -> str:
    fake.routes["/proxy/health/readiness"] = json_reply({"status": "healthy", "db": "connected"})
    fake.routes["/proxy/model/info"] = json_reply(MODEL_INFO)
    return f"  - {{name: proxy, type: litellm, url: '{fake.url}/proxy', api_key: {MASTER_KEY}, spend_logs: true}}\n"


def usage(p: dict) -> dict[tuple[str, str, str, str], float]:  # type: ignore[type-arg]
    out = {}
    for family, what in (("llm_usage_requests", "requests"), ("llm_usage_failures", "failures"),
                         ("llm_usage_cost_usd", "cost")):
        for labels, v in p.get(family, []):
            out[(labels["provider"], labels["model"], labels["task"], what)] = v
    for labels, v in p.get("llm_usage_tokens", []):
        if labels["token_type"] != "cache_read":
            out[(labels["provider"], labels["model"], labels["task"], labels["token_type"])] = v
    return out


def poll(fake: FakeServer, rows: list[dict[str, Any]], clock: Clock, state: Path) -> tuple[dict, str]:  # type: ignore[type-arg]
    """One round (poll and usage run) of a fresh engine on `state`, as a restart would."""
    fake.routes["/proxy/spend/logs"] = json_reply(rows)
    e = engine(proxy(fake), clock, head=f"state_dir: {state}\n", persist=True)
    try:
        e.run_once()
        text = metrics(e)
    finally:
        e.stop()
    return samples(text), text


def test_spend_log_rows_are_counted_once_in_order_late_repeated_and_after_a_restart(
        fake: FakeServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    clock, state = Clock(NOW), tmp_path / "state"
    a = row("a", NOW - 3600, "gpt-4", ["chat", "second-tag"], provider="azure")
    b = row("b", NOW - 1800, "claude-sonnet", failed=True, tokens=(7, 0), spend=0.0)
    last_month = row("z", datetime(2026, 10, 31, 23, 0, tzinfo=UTC).timestamp())
    p, _ = poll(fake, [a, b, last_month], clock, state)
    # the first read starts at the month's first day and ends tomorrow (LiteLLM's end date is 00:00)
    assert fake.requests_to("/proxy/spend/logs")[-1].query == {"start_date": ["2026-11-01"],
                                                               "end_date": ["2026-11-19"]}
    assert usage(p) == {
        ("azure", "gpt-4", "chat", "requests"): 1, ("azure", "gpt-4", "chat", "failures"): 0,
        ("azure", "gpt-4", "chat", "input"): 10, ("azure", "gpt-4", "chat", "output"): 18,
        ("azure", "gpt-4", "chat", "cost"): 0.00123,
        # no custom_llm_provider: /model/info's litellm_provider; no tag: untagged
        ("anthropic", "claude-sonnet", "untagged", "requests"): 1,
        ("anthropic", "claude-sonnet", "untagged", "failures"): 1,
        ("anthropic", "claude-sonnet", "untagged", "input"): 7, ("anthropic", "claude-sonnet", "untagged", "output"): 0,
        ("anthropic", "claude-sonnet", "untagged", "cost"): 0.0,
    }
    assert value(p, "llm_usage_duration_seconds", provider="azure", model="gpt-4", le="1") == 0  # 1.2 s
    assert value(p, "llm_usage_duration_seconds", provider="azure", model="gpt-4", le="2.5") == 1
    assert [v for lab, v in p["llm_usage_duration_seconds"] if lab.get("model") == "gpt-4"][-1] == 1.2  # the sum
    assert value(p, "llm_source_requests", source="proxy", endpoint="spend_logs") == 1

    # a minute later: b again (twice in one answer), a new row, a late one inside the lookback
    clock.now += 60
    c = row("c", NOW + 30, "gpt-4", ["chat"], provider="azure", tokens=(1, 2), spend=0.5)
    late = row("late", NOW - 2000, "mystery-model", ["batch"], tokens=(3, 4), spend=0.25)
    p, _ = poll(fake, [a, b, b, late, c], clock, state)
    # after a restart on the same state: from the saved cursor (b at NOW - 1800) less 15 minutes
    assert fake.requests_to("/proxy/spend/logs")[-1].query["start_date"] == ["2026-11-18"]
    got = usage(p)
    assert got[("azure", "gpt-4", "chat", "requests")] == 2  # a and c
    assert got[("azure", "gpt-4", "chat", "cost")] == pytest.approx(0.50123)
    assert got[("anthropic", "claude-sonnet", "untagged", "requests")] == 1  # b once, however often it came
    assert got[("proxy", "mystery-model", "batch", "requests")] == 1  # unknown to /model/info: the source's name

    # later still, after another restart: one more row; a row later than the lookback is not counted
    clock.now += 60
    d = row("d", NOW + 90, "claude-sonnet", ["chat"], tokens=(5, 5), spend=0.01)
    too_late = row("too-late", NOW - 7200, "gpt-4", ["chat"], provider="azure")
    p, text = poll(fake, [a, b, late, c, d, too_late], clock, state)
    got = usage(p)
    assert (got[("azure", "gpt-4", "chat", "requests")], got[("anthropic", "claude-sonnet", "chat", "requests")],
            got[("anthropic", "claude-sonnet", "untagged", "requests")],
            got[("proxy", "mystery-model", "batch", "requests")]) == (2, 1, 1, 1)
    assert sum(v for k, v in got.items() if k[3] == "requests") == 5  # a, b, c, late, d: each once
    # never a label or a log line from the row's user, end user, key hash, team or metadata
    for secret in (ROW["api_key"], MASTER_KEY, "palantir", "prod-backend"):
        assert secret not in text and secret not in caplog.text, secret
    saved = json.loads((state / "usage.json").read_text())
    assert saved["feeds"]["proxy"]["cursor"] == NOW + 90 and set(saved["feeds"]["proxy"]["seen"]) == {"c", "d"}


def test_unreadable_spend_logs_leave_the_proxy_up_and_lose_nothing(fake: FakeServer, tmp_path: Path) -> None:
    clock, state = Clock(NOW), tmp_path / "state"
    fake.routes["/proxy/spend/logs"] = json_reply({"detail": "not allowed"}, status=401)
    e = engine(proxy(fake), clock, head=f"state_dir: {state}\n", persist=True)
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert value(p, "llm_source_up", source="proxy") == 1
    assert value(p, "llm_source_request_failures", source="proxy", endpoint="spend_logs", reason="auth") == 1
    assert not p.get("llm_usage_requests")
    p, _ = poll(fake, [row("a", NOW - 60)], clock, state)  # readable again: still from the month's start
    assert fake.requests_to("/proxy/spend/logs")[-1].query["start_date"] == ["2026-11-01"]
    assert value(p, "llm_usage_requests", provider="openai", model="gpt-4", task="untagged") == 1


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
