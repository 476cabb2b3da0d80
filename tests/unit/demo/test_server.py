"""The demo fleet moves, polled by a real engine on a clock the test moves: catalog signals (a free
model, the cheapest moving, retirements) and cost (the ledger, the spend log, budgets)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from exporter.config import Config
from exporter.demo.simulator import VendorSimulator
from exporter.probes.settings import ProbeSettings
from tests.support.clock import Clock

START = 1_795_000_000.0  # 2026-11-18T11:06:40Z, when the demo starts in these tests


def without_probes(config: Config) -> Config:
    """The demo's config without its probes: each round would wait for their streamed answers,
    and what these tests check does not depend on them (test_runner.py tests the probes)."""
    return dataclasses.replace(config, probes=ProbeSettings())


def test_demo_moves_the_catalog_signals(tmp_path: Path) -> None:
    """Over real HTTP with the demo's own config: within one poll the free-change counters
    count the blinking model, and the cheapest chat model moves while its vendor is down and
    back when it recovers."""
    from exporter.collector import Exposition
    from exporter.config import load_text
    from exporter.demo.server import DemoServer, config_text
    from exporter.engine import Engine
    from tests.support.metrics import samples, value

    clock = Clock(START)
    fleet = DemoServer(sim=VendorSimulator(clock=clock, seed=1)).start()
    engine = Engine(without_probes(load_text(config_text(), env=fleet.env())), clock=clock, backoff=0.01)

    def poll_at(seconds: float) -> tuple[dict[str, float], str, float]:
        clock.now = START + seconds
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

    clock = Clock(1_795_392_000.0 + 12 * 3600)  # 2026-11-23 12:00 UTC
    fleet = DemoServer(sim=VendorSimulator(clock=clock, seed=1)).start()
    engine = Engine(without_probes(load_text(config_text(), env=fleet.env())), clock=clock, backoff=0.01)
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
