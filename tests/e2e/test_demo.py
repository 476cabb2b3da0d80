"""The demo fleet over real HTTP with its own config, through the real engine: the catalog
signals move, and cost, budgets and recommendations come out of its ledger and reports."""

from __future__ import annotations

from exporter.demo.simulator import VendorSimulator


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_demo_moves_the_catalog_signals(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Over real HTTP with the demo's own config: within one poll the free-change counters
    count the blinking model, and the cheapest chat model moves while its vendor is down and
    back when it recovers."""
    from exporter.collector import Exposition
    from exporter.config import load_text
    from exporter.demo.server import DemoServer, config_text
    from exporter.engine import Engine
    from tests.support.metrics import samples, value

    clock = Clock()
    fleet = DemoServer(sim=VendorSimulator(clock=clock, seed=1)).start()
    engine = Engine(load_text(config_text(), env=fleet.env()), clock=clock, backoff=0.01)

    def poll_at(seconds: float):  # type: ignore[no-untyped-def]
        clock.now = 1_000_000.0 + seconds
        engine.run_once()
        p = samples(Exposition(engine.view).render().decode())
        free = {c: value(p, "llm_catalog_free_changes", source="openrouter", change=c) for c in ("added", "removed")}
        chat = next(lab["model"] for lab, _ in p["llm_cheapest_model_info"] if lab["class"] == "chat")
        return free, chat, value(p, "llm_cheapest_model_changes", **{"class": "chat"})

    try:
        assert poll_at(0) == ({"added": 0, "removed": 0}, "acme-small", 0)
        assert poll_at(15) == ({"added": 1, "removed": 0}, "acme-small", 0)
        assert poll_at(135) == ({"added": 1, "removed": 1}, "acme-small", 0)
        assert poll_at(150) == ({"added": 1, "removed": 1}, "openai/gpt-4o-mini", 1)
        assert poll_at(240) == ({"added": 2, "removed": 1}, "acme-small", 2)  # listed again from 190 s
    finally:
        engine.stop()
        fleet.stop()


def test_demo_makes_cost_and_budgets_move() -> None:
    """The demo's ledger, cost reports, fleet and budgets: at noon UTC the coding budget is
    forecast over its limit, the vendors report spend, and heartbeats get a recommendation."""
    from exporter.collector import Exposition
    from exporter.config import load_text
    from exporter.demo.server import DemoServer, config_text
    from exporter.engine import Engine
    from tests.support.metrics import samples, value

    clock = Clock()
    clock.now = 1_795_392_000.0 + 12 * 3600  # 2026-11-23 12:00 UTC
    fleet = DemoServer(sim=VendorSimulator(clock=clock, seed=1)).start()
    engine = Engine(load_text(config_text(), env=fleet.env()), clock=clock, backoff=0.01)
    try:
        engine.run_once()
        p = samples(Exposition(engine.view).render().decode())
        coding = {"budget": "coding-daily", "period": "day"}
        assert value(p, "llm_budget_forecast_usd", **coding) > value(p, "llm_budget_limit_usd", **coding) == 2
        assert value(p, "llm_budget_spent_usd", budget="fleet-monthly", period="month") > 0
        assert value(p, "llm_spend_usd", source="openai-costs", window="month") > value(
            p, "llm_spend_usd", source="openai-costs", window="day") > 0
        assert value(p, "llm_spend_usd", source="anthropic-costs", window="day") > 0
        tasks = {lab["task"] for lab, _ in p["llm_usage_requests"]}
        assert tasks == {"coding", "heartbeat", "summarize", "research", "chat"}
        assert sum(v for lab, v in p["llm_usage_failures"]) > 0
        assert value(p, "llm_usage_unpriced_events", model="mystery-model") > 0
        assert sum(v for _, v in p["llm_usage_invalid_lines"]) > 0
        savings = {lab["task"]: lab["suggested_model"] for lab, _ in p["llm_recommendation_savings_usd_per_month"]}
        assert savings == {"coding": "deepseek/deepseek-chat-v3", "heartbeat": "acme-small"}
        # the apps keep writing: a minute later there are more calls
        before = sum(v for _, v in p["llm_usage_requests"])
        clock.now += 120
        fleet.write_ledger()
        engine.run_once()
        after = sum(v for _, v in samples(Exposition(engine.view).render().decode())["llm_usage_requests"])
        assert after > before
    finally:
        engine.stop()
        fleet.stop()


# The families the provider-truth work added: `--demo --once` shows every one.
PROVIDER_TRUTH = [
    "llm_upstream_endpoint_info", "llm_upstream_endpoint_up", "llm_upstream_endpoint_status_code",
    "llm_upstream_endpoint_uptime_ratio", "llm_upstream_endpoint_latency_seconds",
    "llm_upstream_endpoint_throughput_tokens_per_second", "llm_upstream_endpoint_price_usd_per_token",
    "llm_upstream_endpoints", "llm_upstream_endpoints_up", "llm_upstream_models_skipped",
    "llm_model_retirement_timestamp_seconds", "llm_model_replacement_info", "llm_probe_ttft_seconds_histogram",
    "llm_probe_response_model_info", "llm_probe_response_changes", "llm_ratelimit_limit", "llm_ratelimit_remaining",
    "llm_ratelimit_reset_timestamp_seconds",
]


def test_demo_once_shows_upstreams_rate_limits_retirements_and_answering_models() -> None:
    from tests.support.metrics import samples, value
    from tests.support.processes import run_cli

    result = run_cli("--demo", "--once", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    parsed = samples(result.stdout)
    assert [name for name in PROVIDER_TRUTH if not parsed.get(name)] == []
    # what the demo vendors said, through the real parsers: percent -> ratio, ms -> s, dates
    sonnet = {"source": "openrouter", "model": "anthropic/claude-sonnet-4"}
    assert value(parsed, "llm_upstream_endpoints", **sonnet) == 3
    assert value(parsed, "llm_upstream_endpoint_uptime_ratio", upstream="amazon-bedrock", window="1d", **sonnet) == 1
    # 1,450 ms with the demo's jitter of 0.8 to 1.3
    assert 1.16 <= value(parsed, "llm_upstream_endpoint_latency_seconds", upstream="anthropic", quantile="0.5",
                         **sonnet) <= 1.885
    assert value(parsed, "llm_model_replacement_info", model="codestral-2405", replacement="codestral-latest") == 1
    retires = value(parsed, "llm_model_retirement_timestamp_seconds", **sonnet)
    assert retires % 86400 == 0  # OpenRouter's expiration_date is a date: 00:00 UTC
    assert value(parsed, "llm_ratelimit_limit", source="anthropic", kind="input_tokens") == 320000
    assert value(parsed, "llm_ratelimit_limit", source="openai", kind="tokens") == 2_000_000
    assert value(parsed, "llm_probe_response_model_info", source="anthropic",
                 response_model="claude-haiku-4-5-20251001") == 1
    assert {v for _, v in parsed["llm_probe_response_changes"]} == {0.0}  # the first probe is no change
