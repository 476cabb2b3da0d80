"""The OpenRouter source: one poll of its catalog, key and credits over real HTTP (recorded
answers): balance, limit and spend, a management key's credits, legacy keys, a 429."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest

from exporter.http import FetchError
from exporter.snapshot import Money
from tests.support.adapters import D, poll
from tests.support.clock import NOW
from tests.support.fakeserver import FakeServer, fixture, fixture_reply, json_reply


# -- openrouter ----------------------------------------------------------------------------
@pytest.fixture
def openrouter(fake: FakeServer) -> FakeServer:
    fake.routes["/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    return fake


def test_openrouter_catalog(openrouter: FakeServer) -> None:
    snap, rec = poll("openrouter", openrouter.url)
    models = {m.id: m for m in snap.models}
    assert list(models) == ["openai/gpt-4o", "google/gemini-2.5-pro", "deepseek/deepseek-r1:free", "openrouter/auto"]
    gpt = models["openai/gpt-4o"]
    assert dict(gpt.prices) == {"input": D("0.0000025"), "output": D("0.00001"), "cache_read": D("0.00000125")}
    assert (gpt.context_length, gpt.free, gpt.name, gpt.provider) == (128000, False, "OpenAI: GPT-4o", "openrouter")
    assert dict(gpt.capabilities) == {"tools": True, "vision": True, "image_generation": False,
                                      "reasoning": False, "structured_output": True}
    gemini = models["google/gemini-2.5-pro"]
    assert dict(gemini.capabilities)["reasoning"] is True
    assert gemini.price("cache_read") == D("0.000000125")
    free = models["deepseek/deepseek-r1:free"]
    assert free.free and dict(free.prices) == {"input": D("0"), "output": D("0")}
    # "-1" is a dynamic price: omitted, and never taken for free
    auto = models["openrouter/auto"]
    assert (auto.prices, auto.free) == ((), False)
    assert openrouter.requests_to("/models")[0].query == {"output_modalities": ["all"]}
    # the 403 from /credits is normal for non-management keys: requested, not a failure
    assert rec.requests == {"models": 1, "key": 1, "credits": 1} and not rec.failures


def test_openrouter_balance_limit_and_spend(openrouter: FakeServer) -> None:
    snap, _ = poll("openrouter", openrouter.url)
    assert snap.balances == (Money("USD", D("74.5")),)
    assert snap.credit_limits == (Money("USD", D("100")),)
    assert dict(snap.spend) == {"day": D("25.5"), "week": D("25.5"), "month": D("25.5"), "total": D("25.5")}
    (provider,) = snap.providers
    assert (provider.id, provider.follows_source, provider.active) == ("openrouter", True, True)
    assert provider.response_time_seconds is not None and provider.response_time_seconds > 0


def test_openrouter_management_key_credits_win(openrouter: FakeServer) -> None:
    openrouter.routes["/credits"] = fixture_reply("openrouter__credits.json")
    snap, _ = poll("openrouter", openrouter.url)
    assert snap.balances == (Money("USD", D("74.75")),)  # 100.5 - 25.75


def test_openrouter_unlimited_legacy_key(openrouter: FakeServer) -> None:
    openrouter.routes["/key"] = fixture_reply("openrouter__key_unlimited_legacy.json")
    snap, _ = poll("openrouter", openrouter.url)
    assert snap.balances == () and snap.credit_limits == ()
    assert dict(snap.spend) == {"total": D("0.1015644762")}


def test_openrouter_zero_priced_model_without_free_suffix_is_free(openrouter: FakeServer) -> None:
    openrouter.routes["/models"] = json_reply({"data": [
        {"id": "x/zero", "pricing": {"prompt": "0", "completion": "0"}},
        {"id": "x/half", "pricing": {"prompt": "0", "completion": "0.000001"}},
        {"id": "x/none"},
    ]})
    snap, _ = poll("openrouter", openrouter.url)
    assert [(m.id, m.free) for m in snap.models] == [("x/zero", True), ("x/half", False), ("x/none", False)]


def test_openrouter_rate_limited(openrouter: FakeServer) -> None:
    openrouter.routes["/models"] = fixture_reply("openrouter__error_429.json", status=429,
                                                 headers={"Retry-After": "30"})
    with pytest.raises(FetchError) as err:
        poll("openrouter", openrouter.url)
    assert (err.value.reason, err.value.retry_after) == ("rate_limited", 30.0)




def test_a_key_with_a_negative_spend_keeps_the_rest_and_counts_it(fake: FakeServer,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    key = json.loads(fixture("openrouter__key.json"))
    key["data"]["usage_daily"] = -12.5
    fake.routes["/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/key"] = json_reply(key)
    fake.routes["/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    for _ in range(2):
        snapshot, recorder = poll("openrouter", fake.url, now=NOW)
    spend = dict(snapshot.spend)
    assert "day" not in spend and spend["total"] == Decimal(str(key["data"]["usage"]))
    assert recorder.failures[("key", "invalid_response")] == 1
    assert snapshot.models  # the rest of the poll stands
