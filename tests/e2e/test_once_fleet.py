"""`--once` against a local server replaying the recorded responses, one source of every type."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from exporter.sources.registry import SOURCE_TYPES
from tests.support.fakeserver import FakeServer, fixture, fixture_reply, json_reply
from tests.support.metrics import samples, value
from tests.support.processes import run_cli


@pytest.fixture
def replay(fake: FakeServer) -> FakeServer:
    r = fake.routes
    r["/gw/providers"] = fixture_reply("gatewayz__providers.json")
    r["/gw/providers/stats"] = fixture_reply("gatewayz__providers_stats.json")
    r["/or/models"] = fixture_reply("openrouter__models.json")
    r["/or/key"] = fixture_reply("openrouter__key.json")
    r["/or/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    r["/sp/api/v2/summary.json"] = fixture_reply("statuspage__summary.json")
    r["/oai/models"] = fixture_reply("openai__models.json")
    r["/together/models"] = fixture_reply("together__models.json")
    r["/mistral/models"] = fixture_reply("mistral__models.json")
    r["/groq/models"] = fixture_reply("groq__models.json")
    r["/ant/v1/models"] = fixture_reply("anthropic__models.json")
    gemini = json.loads(fixture("gemini__models.json"))
    r["/gem/models"] = lambda q: json_reply({"models": []} if q.get("pageToken") else gemini)
    r["/oll/api/tags"] = fixture_reply("ollama__tags.json")
    r["/oll/api/ps"] = fixture_reply("ollama__ps.json")
    r["/ds/user/balance"] = fixture_reply("deepseek__user_balance.json")
    r["/ms/users/me/balance"] = fixture_reply("moonshot__users_me_balance.json")
    r["/sf/user/info"] = fixture_reply("siliconflow__user_info.json")
    r["/cc/health"] = fixture_reply("better_ccflare__health_detail.json", status=503)
    r["/cc/api/stats"] = fixture_reply("better_ccflare__stats.json")
    accounts = json.loads(fixture("better_ccflare__accounts.json"))
    accounts[1]["paused"] = False
    accounts[1]["rateLimitedUntil"] = int((time.time() + 3600) * 1000)
    r["/cc/api/accounts"] = json_reply(accounts)
    r["/ll/health/readiness"] = fixture_reply("litellm__health_readiness.json")
    r["/ll/model/info"] = fixture_reply("litellm__model_info.json")
    r["/acme/balance"] = json_reply({"result": {"credits": "123400", "unit": "usd"}})
    r["/oaic/organization/costs"] = fixture_reply("openai__costs.json")
    r["/oaic/organization/usage/completions"] = fixture_reply("openai__usage_completions_grouped.json")
    r["/antc/v1/organizations/cost_report"] = fixture_reply("anthropic__cost_report.json")
    usage = json.loads(fixture("anthropic__usage_report_messages.json"))
    r["/antc/v1/organizations/usage_report/messages"] = lambda q: json_reply(
        {"data": [], "has_more": False} if q.get("page") else usage)
    return fake


def test_once_every_type(replay: FakeServer, tmp_path: Path) -> None:
    u = replay.url
    key = "api_key: not-a-real-key"
    config = tmp_path / "fleet.yaml"
    config.write_text(f"""
sources:
  - {{name: gw, type: gatewayz, url: '{u}/gw', {key}}}
  - {{name: or, type: openrouter, url: '{u}/or', {key}}}
  - {{name: sp, type: statuspage, url: '{u}/sp'}}
  - {{name: oai, type: openai, url: '{u}/oai', {key}}}
  - {{name: together, type: openai, url: '{u}/together', {key}}}
  - {{name: mistral, type: openai, url: '{u}/mistral', {key}}}
  - {{name: groq, type: openai, url: '{u}/groq', {key}}}
  - {{name: ant, type: anthropic, url: '{u}/ant', {key}}}
  - {{name: gem, type: gemini, url: '{u}/gem', {key}}}
  - {{name: oll, type: ollama, url: '{u}/oll'}}
  - {{name: ds, type: deepseek, url: '{u}/ds', {key}}}
  - {{name: ms, type: moonshot, url: '{u}/ms', {key}}}
  - {{name: sf, type: siliconflow, url: '{u}/sf', {key}, currency: CNY}}
  - {{name: cc, type: ccflare, url: '{u}/cc', stats_window_days: 14}}
  - {{name: ll, type: litellm, url: '{u}/ll', {key}}}
  - name: acme
    type: http
    balance: {{url: '{u}/acme/balance', amount: result.credits, currency_path: result.unit, scale: 1e-4}}
  - {{name: oaic, type: openai_costs, url: '{u}/oaic', {key}}}
  - {{name: antc, type: anthropic_costs, url: '{u}/antc', {key}}}
""")
    result = run_cli("--once", "--config.file", str(config))
    assert result.returncode == 0, result.stderr
    p = samples(result.stdout)
    types = {lab["source_type"] for lab, _ in p["llm_source_info"]}
    assert types == set(SOURCE_TYPES)
    assert {lab["source"]: v for lab, v in p["llm_source_up"]} == {lab["source"]: 1.0 for lab, _ in p["llm_source_up"]}

    def models(source: str) -> float:
        return value(p, "llm_models", source=source, provider=source)

    # catalogs
    assert (models("or"), value(p, "llm_models_free", source="or", provider="or")) == (4, 1)
    assert (models("oai"), models("together"), models("mistral"), models("groq")) == (3, 3, 2, 3)
    assert (models("ant"), models("gem"), models("oll"), models("ll")) == (2, 2, 2, 2)
    price = "llm_model_price_usd_per_token"
    assert value(p, price, source="together", model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
                 token_type="input") == pytest.approx(8.8e-7)
    assert value(p, price, source="ll", model="gpt-4o", token_type="cache_read") == pytest.approx(1.25e-6)
    assert value(p, "llm_model_capability", source="mistral", model="codestral-2405", capability="vision") == 0
    assert value(p, "llm_model_capability", source="ant", model="claude-opus-4-6", capability="reasoning") == 1
    assert value(p, "llm_model_context_length_tokens", source="groq", model="qwen/qwen3-32b") == 131072
    assert value(p, "llm_model_context_length_tokens", source="gem", model="gemini-2.5-flash") == 1048576
    assert value(p, "llm_model_free", source="ll", model="local-llama") == 1
    # balances
    assert value(p, "llm_account_balance", source="ds", currency="CNY") == 110
    assert value(p, "llm_account_balance_breakdown", source="ds", currency="CNY", kind="granted") == 10
    assert value(p, "llm_account_available", source="ds") == 1
    assert value(p, "llm_account_balance", source="ms", currency="USD") == pytest.approx(49.58894)
    assert value(p, "llm_account_balance", source="sf", currency="CNY") == pytest.approx(88.88)
    assert value(p, "llm_account_balance", source="acme", currency="USD") == pytest.approx(12.34)
    assert value(p, "llm_account_balance", source="or", currency="USD") == 74.5
    # ollama
    assert value(p, "llm_ollama_model_loaded", source="oll", model="mistral:latest") == 1
    assert value(p, "llm_ollama_model_loaded", source="oll", model="llama3:latest") == 0
    assert value(p, "llm_ollama_model_vram_bytes", source="oll", model="mistral:latest") == 5137025024
    # ccflare: 503 with a body keeps the source up and the proxy down
    assert value(p, "llm_proxy_up", source="cc") == 0
    assert value(p, "llm_proxy_accounts", source="cc", state="rate_limited") == 1
    assert value(p, "llm_proxy_accounts", source="cc", state="available") == 1
    assert value(p, "llm_proxy_account_rate_limited", source="cc", account="openrouter-backup") == 1
    assert [lab["account"] for lab, _ in p["llm_proxy_account_rate_limited_until_timestamp_seconds"]] == [
        "openrouter-backup"]
    assert value(p, "llm_proxy_account_requests", source="cc", account="account1") == 1500
    assert value(p, "llm_proxy_success_ratio", source="cc") == 0.98
    assert value(p, "llm_proxy_cost_usd", source="cc") == 125.5
    assert "stats window (stats_window_days" in result.stdout  # the help names the window setting
    # provider health for the self-named providers
    for source in ("oai", "ant", "gem", "oll", "ds", "ms", "sf", "ll"):
        assert value(p, "llm_provider_health", source=source, provider=source, state="healthy") == 1
    # cost reports: the recorded buckets are from past months, so this month's spend is 0
    assert value(p, "llm_spend_usd", source="oaic", window="month") == 0
    assert value(p, "llm_spend_usd", source="antc", window="day") == 0
    # LiteLLM's api_base never leaves the exporter
    assert "ollama:11434" not in result.stdout
