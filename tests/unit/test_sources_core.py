"""gatewayz, openrouter and statuspage against the recorded vendor responses."""

from __future__ import annotations

import pytest

from exporter.http import FetchError
from exporter.snapshot import Money
from tests.support.adapters import KEY, D, poll
from tests.support.fakeserver import FakeServer, Reply, fixture_reply, json_reply


# -- gatewayz ------------------------------------------------------------------------------
@pytest.fixture
def gatewayz(fake: FakeServer) -> FakeServer:
    fake.routes["/providers"] = fixture_reply("gatewayz__providers.json")
    fake.routes["/providers/stats"] = fixture_reply("gatewayz__providers_stats.json")
    return fake


def test_gatewayz_providers_and_stats(gatewayz: FakeServer) -> None:
    snap, rec = poll("gatewayz", gatewayz.url)
    openai, mistral = snap.providers
    assert (openai.id, openai.name, openai.health, openai.active) == ("openai", "OpenAI", "healthy", True)
    assert openai.response_time_seconds == pytest.approx(0.245)
    assert dict(openai.capabilities) == {"streaming": True, "function_calling": True, "vision": True,
                                         "image_generation": False}
    # null average_response_time_ms: no sample at all, not zero
    assert (mistral.health, mistral.active, mistral.response_time_seconds) == ("down", False, None)
    stats = snap.gatewayz
    assert (stats.total, stats.active, stats.inactive, stats.healthy, stats.degraded, stats.down,
            stats.unknown) == (5, 4, 1, 3, 1, 1, 0)
    assert stats.response_times_ms == (("openai", 245.0),)
    # 2025-12-16T20:10:00Z; mistral's null check time gives no entry at all
    assert stats.last_health_checks == (("openai", 1765915800.0),)
    assert rec.requests == {"providers": 1, "providers_stats": 1}
    call = gatewayz.requests_to("/providers")[0]
    assert call.query == {"include_inactive": ["true"]}
    assert call.headers["Authorization"] == f"Bearer {KEY}"


def test_gatewayz_all_zero_stats_means_backend_failure(gatewayz: FakeServer) -> None:
    gatewayz.routes["/providers/stats"] = json_reply({k: 0 for k in
                                                      ("total", "active", "inactive", "healthy", "degraded",
                                                       "down", "unknown")})
    with pytest.raises(FetchError) as err:
        poll("gatewayz", gatewayz.url)
    assert err.value.reason == "invalid_response" and err.value.endpoint == "providers_stats"


def test_gatewayz_empty_fleet_with_zero_stats_is_fine(gatewayz: FakeServer) -> None:
    gatewayz.routes["/providers"] = json_reply([])
    gatewayz.routes["/providers/stats"] = json_reply({"total": 0})
    snap, _ = poll("gatewayz", gatewayz.url)
    assert snap.providers == () and snap.gatewayz.total == 0


def test_gatewayz_unknown_health_and_string_numbers(gatewayz: FakeServer) -> None:
    gatewayz.routes["/providers"] = json_reply([
        {"slug": "x", "name": "X", "health_status": "on fire", "is_active": "true",
         "average_response_time_ms": "120.5"},
        None,
    ])
    snap, _ = poll("gatewayz", gatewayz.url)
    (x,) = snap.providers
    assert (x.health, x.active, x.response_time_seconds) == ("unknown", True, pytest.approx(0.1205))


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
    assert free.free and dict(free.prices) == {"input": D(0), "output": D(0)}
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


# -- statuspage ----------------------------------------------------------------------------
def test_statuspage_summary(fake: FakeServer) -> None:
    fake.routes["/api/v2/summary.json"] = fixture_reply("statuspage__summary.json")
    snap, rec = poll("statuspage", fake.url, key=None)
    page = snap.status_page
    assert page.indicator == "major"
    assert page.components == (("API", "partial_outage"), ("Management Portal", "major_outage"),
                               ("Embeddings", "degraded_performance"), ("Fine-tuning", "under_maintenance"),
                               ("Batch", "operational"))
    assert rec.requests == {"summary": 1}


def test_statuspage_maintenance_indicator(fake: FakeServer) -> None:
    fake.routes["/api/v2/summary.json"] = json_reply({"status": {"indicator": "maintenance"}, "components": []})
    snap, _ = poll("statuspage", fake.url, key=None)
    assert snap.status_page.indicator == "maintenance"


@pytest.mark.parametrize(
    "reply",
    [Reply(body=b"<!doctype html><title>We moved</title>", headers={"Content-Type": "text/html"}),
     Reply(status=302, body=b"", headers={"Location": "/moved"}),
     Reply(body=b'{"page": {}}')],
    ids=["html", "redirect-to-html", "no-indicator"],
)
def test_statuspage_unknown_is_invalid_response_not_outage(fake: FakeServer, reply: Reply) -> None:
    fake.routes["/api/v2/summary.json"] = reply
    fake.routes["/moved"] = Reply(body=b"<html>incident.io</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(FetchError) as err:
        poll("statuspage", fake.url, key=None)
    assert err.value.reason == "invalid_response"


# -- one bad item -----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [
    {"pricing": {"prompt": "9e999999", "completion": "1"}},  # overflows the first multiplication
    {"pricing": {"prompt": "NaN", "completion": "0.1"}},
    {"context_length": 1.7e308},
    {"id": 4},
])
def test_one_bad_model_is_left_out_and_counted_once(fake: FakeServer, bad: dict) -> None:
    import json

    from tests.support.fakeserver import fixture

    body = json.loads(fixture("openrouter__models.json"))
    total = len(body["data"])
    body["data"][0] = {**body["data"][0], **bad}
    fake.routes["/models"] = json_reply(body)
    fake.routes["/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/credits"] = fixture_reply("openrouter__credits.json")
    snap, rec = poll("openrouter", fake.url)
    assert len(snap.models) == total - 1
    assert rec.failures == {("models", "invalid_response"): 1}


def test_an_answer_with_no_usable_item_fails_the_poll(fake: FakeServer) -> None:
    fake.routes["/models"] = json_reply({"data": [{"id": None}, {"id": 7, "pricing": {}}]})
    fake.routes["/key"] = fixture_reply("openrouter__key.json")
    with pytest.raises(FetchError) as err:
        poll("openrouter", fake.url)
    assert (err.value.endpoint, err.value.reason) == ("models", "invalid_response")


def test_a_direct_vendor_is_named_as_people_know_it_never_by_a_bare_host() -> None:
    from exporter.sources.base import vendor_name
    from tests.support.adapters import make_source

    assert vendor_name(make_source("openai", "https://api.mistral.ai/v1")) == "Mistral"
    assert vendor_name(make_source("anthropic", "http://127.0.0.1:9999")) == "Anthropic"  # the type's vendor
    assert vendor_name(make_source("litellm", "http://litellm.internal:4000")) == "LiteLLM"
    # an OpenAI-compatible server on an unknown host: the source's name, or its display_name
    assert vendor_name(make_source("openai", "http://127.0.0.1:9999/together/v1")) == "openai"
    import dataclasses

    named = make_source("openai", "http://127.0.0.1:9999/together/v1")
    named.config = dataclasses.replace(named.config, display_name="Together")
    assert vendor_name(named) == "Together"
