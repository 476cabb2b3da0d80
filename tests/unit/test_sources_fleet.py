"""The rest of the fleet's adapters against the recorded vendor responses."""

from __future__ import annotations

import json
import time

import pytest

from exporter.http import FetchError
from exporter.snapshot import BalancePart, Money
from tests.support.adapters import KEY, D, poll
from tests.support.fakeserver import FakeServer, Reply, fixture, fixture_reply, json_reply


# -- openai and compatible vendors ----------------------------------------------------------
def test_openai_models(fake: FakeServer) -> None:
    fake.routes["/models"] = fixture_reply("openai__models.json")
    snap, rec = poll("openai", fake.url)
    assert [m.id for m in snap.models] == ["gpt-4o-mini", "gpt-4o-2024-05-13",
                                           "ft:gpt-4o-mini-2024-07-18:acme::A1b2C3d4"]
    assert all(m.prices == () and not m.free and m.context_length is None for m in snap.models)
    (provider,) = snap.providers
    assert (provider.id, provider.follows_source) == ("openai", True)
    assert provider.response_time_seconds > 0
    assert fake.requests_to("/models")[0].headers["Authorization"] == f"Bearer {KEY}"
    assert rec.requests == {"models": 1}


def test_groq_context_window_and_inactive_models(fake: FakeServer) -> None:
    body = json.loads(fixture("groq__models.json"))
    body["data"].append({"id": "retired", "active": False, "context_window": 4096})
    fake.routes["/models"] = json_reply(body)
    snap, _ = poll("openai", fake.url)
    assert [(m.id, m.context_length) for m in snap.models] == [
        ("gemma2-9b-it", 8192), ("llama3-8b-8192", 8192), ("qwen/qwen3-32b", 131072)]


def test_together_bare_list_prices_per_million(fake: FakeServer) -> None:
    body = json.loads(fixture("together__models.json"))
    body.append({"id": "dedicated/only", "pricing": {"hourly": 2.5, "input": 0, "output": 0}})
    body.append({"id": "free/one", "pricing": {"hourly": 0, "input": "0", "output": "0"}})
    fake.routes["/models"] = json_reply(body)
    snap, _ = poll("openai", fake.url)
    models = {m.id: m for m in snap.models}
    llama = models["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert dict(llama.prices) == {"input": D("0.00000088"), "output": D("0.00000088")}
    assert (llama.name, llama.context_length) == ("Meta Llama 3.3 70B Instruct Turbo", 131072)
    assert dict(models["BAAI/bge-large-en-v1.5"].prices) == {"input": D("2E-8"), "output": D(0)}
    assert (models["dedicated/only"].prices, models["dedicated/only"].free) == ((), False)
    assert models["free/one"].free


def test_mistral_capabilities(fake: FakeServer) -> None:
    fake.routes["/models"] = fixture_reply("mistral__models.json")
    snap, _ = poll("openai", fake.url)
    large, codestral = snap.models
    assert dict(large.capabilities) == {"tools": True, "vision": True}
    assert dict(codestral.capabilities) == {"tools": True, "vision": False}
    assert (large.context_length, large.name) == (131072, "mistral-large-2411")


def test_openai_empty_list(fake: FakeServer) -> None:
    fake.routes["/models"] = json_reply({"object": "list", "data": []})
    snap, _ = poll("openai", fake.url)
    assert snap.models == () and snap.catalog


def test_openai_401(fake: FakeServer) -> None:
    fake.routes["/models"] = fixture_reply("openai__error_401.json", status=401)
    with pytest.raises(FetchError) as err:
        poll("openai", fake.url)
    assert err.value.reason == "auth"


# -- anthropic ------------------------------------------------------------------------------
def test_anthropic_pages_with_after_id(fake: FakeServer) -> None:
    last = json.loads(fixture("anthropic__models.json"))
    first = {"data": [{"type": "model", "id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5",
                       "max_input_tokens": "200000"}],
             "has_more": True, "first_id": "claude-sonnet-4-5", "last_id": "claude-sonnet-4-5"}
    fake.routes["/v1/models"] = lambda q: json_reply(last if q.get("after_id") == ["claude-sonnet-4-5"] else first)
    snap, rec = poll("anthropic", fake.url)
    assert [m.id for m in snap.models] == ["claude-sonnet-4-5", "claude-opus-4-6", "claude-3-5-haiku-20241022"]
    assert rec.requests == {"models": 2}
    call = fake.requests_to("/v1/models")[0]
    assert call.headers["x-api-key"] == KEY and call.headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in call.headers
    sonnet, opus, haiku = snap.models
    assert sonnet.context_length == 200000  # a number sent as a string
    assert (opus.name, opus.context_length) == ("Claude Opus 4.6", 200000)
    assert dict(opus.capabilities) == {"vision": True, "reasoning": True, "structured_output": True}
    assert (haiku.capabilities, haiku.context_length) == ((), None)  # older shape: no capabilities


def test_anthropic_page_cap(fake: FakeServer) -> None:
    endless = {"data": [{"id": "m"}], "has_more": True, "last_id": "m"}
    fake.routes["/v1/models"] = json_reply(endless)
    snap, rec = poll("anthropic", fake.url, max_pages=3)
    assert rec.requests == {"models": 3}
    # every page repeats the same id: it is one model (the duplicate rule of snapshot.py)
    assert [m.id for m in snap.models] == ["m"]


def test_anthropic_401(fake: FakeServer) -> None:
    fake.routes["/v1/models"] = fixture_reply("anthropic__error_401.json", status=401)
    with pytest.raises(FetchError) as err:
        poll("anthropic", fake.url)
    assert err.value.reason == "auth"


# -- gemini ---------------------------------------------------------------------------------
def test_gemini_follows_next_page_token(fake: FakeServer) -> None:
    first = json.loads(fixture("gemini__models.json"))
    token = first["nextPageToken"]
    last = {"models": [{"name": "models/gemini-2.0-flash", "displayName": "Gemini 2.0 Flash",
                        "inputTokenLimit": 1048576}]}  # the last page has no nextPageToken
    fake.routes["/models"] = lambda q: json_reply(last if q.get("pageToken") == [token] else first)
    snap, rec = poll("gemini", fake.url)
    assert [(m.id, m.name, m.context_length) for m in snap.models] == [
        ("gemini-2.5-flash", "Gemini 2.5 Flash", 1048576),
        ("gemini-embedding-001", "Gemini Embedding 001", 2048),
        ("gemini-2.0-flash", "Gemini 2.0 Flash", 1048576),
    ]
    assert dict(snap.models[0].capabilities) == {"reasoning": True}
    assert rec.requests == {"models": 2}
    call = fake.requests_to("/models")[0]
    assert call.headers["x-goog-api-key"] == KEY and "key" not in call.query


# -- ollama ---------------------------------------------------------------------------------
def test_ollama_installed_and_loaded(fake: FakeServer) -> None:
    fake.routes["/api/tags"] = fixture_reply("ollama__tags.json")
    fake.routes["/api/ps"] = fixture_reply("ollama__ps.json")
    snap, rec = poll("ollama", fake.url, key=None)
    assert snap.ollama_installed == ("codellama:13b", "llama3:latest")
    assert [(m.model, m.vram_bytes) for m in snap.ollama_loaded] == [("mistral:latest", 5137025024)]
    assert [(m.id, m.free) for m in snap.models] == [("codellama:13b", True), ("llama3:latest", True)]
    assert rec.requests == {"tags": 1, "ps": 1}
    assert "Authorization" not in fake.requests_to("/api/tags")[0].headers


def test_ollama_nothing_loaded(fake: FakeServer) -> None:
    fake.routes["/api/tags"] = json_reply({"models": []})
    fake.routes["/api/ps"] = json_reply({"models": []})
    snap, _ = poll("ollama", fake.url, key=None)
    assert snap.ollama_installed == () and snap.ollama_loaded == () and snap.catalog


# -- balances -------------------------------------------------------------------------------
def test_deepseek_balance(fake: FakeServer) -> None:
    fake.routes["/user/balance"] = fixture_reply("deepseek__user_balance.json")
    snap, _ = poll("deepseek", fake.url)
    assert snap.balances == (Money("CNY", D("110.00")),)
    assert snap.balance_breakdown == (BalancePart("CNY", "granted", D("10.00")),
                                      BalancePart("CNY", "topped_up", D("100.00")))
    assert snap.account_available is True


def test_deepseek_exhausted_multi_currency(fake: FakeServer) -> None:
    fake.routes["/user/balance"] = fixture_reply("deepseek__user_balance_multi.json")
    snap, _ = poll("deepseek", fake.url)
    assert snap.balances == (Money("USD", D("0.00")), Money("CNY", D("0.00")))
    assert snap.account_available is False


def test_moonshot_currency_by_host(fake: FakeServer) -> None:
    fake.routes["/users/me/balance"] = fixture_reply("moonshot__users_me_balance.json")
    snap, _ = poll("moonshot", fake.url)  # 127.0.0.1 is not a .cn host
    assert snap.balances == (Money("USD", D("49.58894")),)
    assert snap.balance_breakdown == (BalancePart("USD", "cash", D("3.00001")),
                                      BalancePart("USD", "voucher", D("46.58893")))
    snap, _ = poll("moonshot", fake.url, currency="cny")
    assert snap.balances[0].currency == "CNY"


def test_moonshot_negative_cash(fake: FakeServer) -> None:
    fake.routes["/users/me/balance"] = json_reply({"code": 0, "data": {
        "available_balance": 0, "voucher_balance": 0, "cash_balance": -4.5}, "status": True})
    snap, _ = poll("moonshot", fake.url)
    assert BalancePart("USD", "cash", D("-4.5")) in snap.balance_breakdown


def test_currency_for_host() -> None:
    from exporter.money import currency_for_host

    assert currency_for_host("api.moonshot.cn") == "CNY"
    assert currency_for_host("api.siliconflow.cn") == "CNY"
    assert currency_for_host("api.moonshot.ai") == "USD"
    assert currency_for_host("api.siliconflow.com") == "USD"


def test_siliconflow_user_info(fake: FakeServer) -> None:
    fake.routes["/user/info"] = fixture_reply("siliconflow__user_info.json")
    snap, rec = poll("siliconflow", fake.url)
    assert snap.balances == (Money("USD", D("88.88")),)
    assert snap.balance_breakdown == (BalancePart("USD", "granted", D("0.88")),
                                      BalancePart("USD", "topped_up", D("88.00")))
    assert rec.requests == {"user_info": 1}


def test_siliconflow_failure_code(fake: FakeServer) -> None:
    fake.routes["/user/info"] = json_reply({"code": 30001, "message": "insufficient", "status": False,
                                            "data": None})
    with pytest.raises(FetchError) as err:
        poll("siliconflow", fake.url)
    assert (err.value.reason, err.value.endpoint) == ("invalid_response", "user_info")


# -- ccflare --------------------------------------------------------------------------------
def ccflare_routes(fake: FakeServer, accounts: object, health: Reply | None = None) -> None:
    fake.routes["/health"] = health or fixture_reply("better_ccflare__health.json")
    fake.routes["/api/stats"] = fixture_reply("better_ccflare__stats.json")
    fake.routes["/api/accounts"] = json_reply(accounts)


def test_better_ccflare(fake: FakeServer) -> None:
    accounts = json.loads(fixture("better_ccflare__accounts.json"))
    soon_ms = int((time.time() + 600) * 1000)
    accounts.append({**accounts[0], "name": "limited", "paused": False, "rateLimitedUntil": soon_ms,
                     "rateLimitStatus": "OK", "totalRequests": "7"})
    ccflare_routes(fake, accounts)
    snap, rec = poll("ccflare", fake.url, key=None, stats_window_days=7)
    proxy = snap.proxy
    assert proxy.up
    assert (proxy.requests, proxy.tokens, proxy.cost_usd) == (5000, 1500000, D("125.5"))
    assert (proxy.success_ratio, proxy.response_time_seconds, proxy.window_days) == (0.98, 1.25, 7)
    by_name = {a.name: a for a in proxy.accounts}
    assert by_name["account1"].state == "available"
    assert by_name["account1"].total_requests == 1500  # lifetime totalRequests, not requestCount
    assert by_name["account1"].token_expires_at == 1787335200.0  # 2026-08-21T18:00:00Z
    assert by_name["account1"].rate_limited_until is None
    # paused wins over an (expired) rate limit; prose in rateLimitStatus is never parsed
    assert (by_name["openrouter-backup"].state, by_name["openrouter-backup"].rate_limited_until) == ("paused", None)
    assert by_name["limited"].state == "rate_limited"
    assert by_name["limited"].rate_limited_until == soon_ms / 1000
    assert by_name["limited"].total_requests == 7
    assert fake.requests_to("/api/stats")[0].query == {"since": ["7"]}
    assert rec.requests == {"health": 1, "stats": 1, "accounts": 1} and not rec.failures


def test_ccflare_503_with_body_is_not_a_failure(fake: FakeServer) -> None:
    ccflare_routes(fake, [], health=fixture_reply("better_ccflare__health_detail.json", status=503))
    snap, rec = poll("ccflare", fake.url, key=None)
    assert snap.proxy.up is False and snap.proxy.accounts == ()
    assert not rec.failures


def test_ccflare_503_without_body_fails(fake: FakeServer) -> None:
    ccflare_routes(fake, [], health=Reply(status=503, body=b"Service Unavailable",
                                          headers={"Content-Type": "text/plain"}))
    with pytest.raises(FetchError) as err:
        poll("ccflare", fake.url, key=None)
    assert (err.value.endpoint, err.value.reason) == ("health", "invalid_response")


def test_original_ccflare(fake: FakeServer) -> None:
    ccflare_routes(fake, json.loads(fixture("ccflare__accounts.json")),
                   health=fixture_reply("ccflare__health.json"))
    snap, _ = poll("ccflare", fake.url, key="proxy-key-0000")
    assert snap.proxy.up
    (account,) = snap.proxy.accounts
    assert (account.name, account.state, account.total_requests) == ("account1", "available", 1500)
    assert fake.requests_to("/health")[0].headers["x-api-key"] == "proxy-key-0000"


# -- litellm --------------------------------------------------------------------------------
def test_litellm(fake: FakeServer) -> None:
    fake.routes["/health/readiness"] = fixture_reply("litellm__health_readiness.json")
    fake.routes["/model/info"] = fixture_reply("litellm__model_info.json")
    snap, rec = poll("litellm", fake.url)
    gpt, local = snap.models
    assert dict(gpt.prices) == {"input": D("0.0000025"), "output": D("0.00001"), "cache_read": D("0.00000125")}
    assert (gpt.context_length, gpt.free) == (128000, False)
    assert dict(gpt.capabilities) == {"tools": True, "vision": True, "reasoning": False, "structured_output": True}
    assert (local.id, local.free, dict(local.capabilities)) == ("local-llama", True, {"tools": False})
    assert "ollama:11434" not in repr(snap)  # api_base is never read
    assert rec.requests == {"readiness": 1, "model_info": 1}


def test_litellm_not_ready(fake: FakeServer) -> None:
    fake.routes["/health/readiness"] = json_reply({"detail": "Service Unhealthy (db)"}, status=503)
    with pytest.raises(FetchError) as err:
        poll("litellm", fake.url)
    assert (err.value.endpoint, err.value.reason) == ("readiness", "http_error")


# -- http (declarative) ---------------------------------------------------------------------
def declarative(url: str) -> dict[str, object]:
    return {
        "health": {"url": f"{url}/health", "expect_status": 204},
        "balance": {"url": f"{url}/balance", "headers": {"X-Token": "declared-header-secret"},
                    "amount": "data.balance", "currency_path": "data.currency", "scale": 0.0001},
        "models": {"url": f"{url}/models", "items": "data", "id": "id", "name": "name",
                   "input_price": "pricing.prompt", "output_price": "pricing.completion", "price_scale": 1e-6,
                   "context_length": "context_length"},
    }


def test_http_source(fake: FakeServer) -> None:
    fake.routes["/health"] = Reply(status=204, body=b"")
    fake.routes["/balance"] = json_reply({"data": {"balance": "250000", "currency": "usd"}})
    fake.routes["/models"] = json_reply({"data": [
        {"id": "acme-1", "name": "Acme One", "pricing": {"prompt": "0.5", "completion": 1.5}, "context_length": "8192"},
        {"id": "acme-free", "pricing": {"prompt": 0, "completion": 0}},
    ]})
    snap, rec = poll("http", fake.url, key=None, **declarative(fake.url))
    assert snap.balances == (Money("USD", D("25.0000")),)
    one, free = snap.models
    assert dict(one.prices) == {"input": D("5E-7"), "output": D("0.0000015")}
    assert (one.name, one.context_length, one.free) == ("Acme One", 8192, False)
    assert (free.name, free.free) == ("acme-free", True)
    assert fake.requests_to("/balance")[0].headers["X-Token"] == "declared-header-secret"
    assert rec.requests == {"health": 1, "balance": 1, "models": 1}


def test_http_source_bad_path_names_the_path(fake: FakeServer) -> None:
    fake.routes["/health"] = Reply(status=204, body=b"")
    fake.routes["/balance"] = json_reply({"result": {"balance": 1}})
    with pytest.raises(FetchError) as err:
        poll("http", fake.url, key=None, **declarative(fake.url))
    assert (err.value.endpoint, err.value.reason) == ("balance", "invalid_response")
    assert "'data.balance'" in err.value.message


def test_http_source_wrong_health_status(fake: FakeServer) -> None:
    fake.routes["/health"] = json_reply({"ok": True})  # 200, but 204 is expected
    with pytest.raises(FetchError) as err:
        poll("http", fake.url, key=None, **declarative(fake.url))
    assert (err.value.endpoint, err.value.reason) == ("health", "http_error")


def test_page_cap_is_logged(fake: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    fake.routes["/models"] = json_reply({"models": [{"name": "models/m"}], "nextPageToken": "again"})
    with caplog.at_level("WARNING"):
        _, rec = poll("gemini", fake.url, max_pages=2)
    assert rec.requests == {"models": 2}
    assert "stopped after limits.max_pages=2 pages" in caplog.text
