"""OpenRouter's account activity: the month's completed days summed per model, a key without the
right, and models past limits.max_models summed as other."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.clock import NOW, Clock
from tests.support.engines import engine, metrics
from tests.support.fakeserver import FakeServer, json_reply
from tests.support.metrics import samples, value

# A management key, made for this run: no key is committed.
MANAGEMENT_KEY = secrets.token_hex(16)


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
