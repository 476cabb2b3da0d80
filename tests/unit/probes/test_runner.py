"""The probe runner: the daily budget (free models go on after it), a down source, never two probes
of a model at once, reloads that keep counters, targets spread over their interval."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

import pytest

from exporter.config import load_text
from exporter.engine import Engine
from exporter.probes.book import ProbeBook, ProbeEntry
from exporter.probes.probe import ProbeResult
from exporter.probes.runner import Schedule
from exporter.probes.settings import ProbeSettings
from tests.support.clock import Clock
from tests.support.fakeserver import FakeServer, StreamReply, json_reply
from tests.support.present import present
from tests.support.probes import catalog, openai_stream, stream_config, target, timed


def counters(engine: Engine, source: str, model: str) -> ProbeEntry:
    return next(e for e in engine.view().probes.entries if e.target.key == (source, model))


def test_budget_runs_out_mid_day_and_comes_back_at_midnight(fake: FakeServer, caplog: pytest.LogCaptureFixture
                                                            ) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(usage={
        "prompt_tokens": 1000, "completion_tokens": 1000, "cost": 0.004})))
    clock = Clock(1_700_000_000.0)  # 2023-11-14 22:13 UTC
    engine = Engine(load_text(stream_config(fake, "  daily_budget_usd: 0.01"), env={}), clock=clock)
    try:
        engine.run_once()
        t = engine._config.probes.targets[0]
        with caplog.at_level(logging.WARNING, logger="exporter.probes"):
            for _ in range(4):
                engine._probes._probe(t.key)
        entry = counters(engine, "oai", "gpt-4o-mini")
        # 0.004 per probe: after 3 probes ($0.012) the budget of $0.01 is spent; one over at most
        assert entry.probes == 3 and dict(entry.skipped)["budget"] == 2
        view = engine.view().probes
        assert view.spend_usd == Decimal("0.012") and view.budget_remaining_usd == 0
        assert sum("budget" in r.message for r in caplog.records) == 1  # logged once
        clock.now += 2 * 3600  # past 00:00 UTC
        engine._probes._probe(t.key)
        assert counters(engine, "oai", "gpt-4o-mini").probes == 4
        assert engine.view().probes.budget_remaining_usd == Decimal("0.006")
    finally:
        engine.stop()


def test_free_models_are_probed_after_the_budget_is_spent() -> None:
    book = ProbeBook(ProbeSettings(daily_budget_usd=Decimal("0.01")), clock=lambda: 1_700_000_000.0)
    book.record(ProbeResult("s", "paid", 0, True, cost_usd=Decimal("0.02")))
    assert not book.allows(free=False)
    assert book.allows(free=True)


def test_a_down_source_is_not_probed(fake: FakeServer) -> None:
    fake.routes["/v1/models"] = json_reply({"error": "down"}, status=503)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream()))
    engine = Engine(load_text(stream_config(fake), env={}), backoff=0.01)
    try:
        engine.run_once()
        entry = counters(engine, "oai", "gpt-4o-mini")
        assert entry.probes == 0 and dict(entry.skipped)["source_down"] == 1
        assert fake.requests_to("/v1/chat/completions") == []
    finally:
        engine.stop()


def test_a_probe_never_overlaps_itself(fake: FakeServer) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(), first=1.5))
    engine = Engine(load_text(stream_config(fake), env={}))
    try:
        engine.run_once()
        t = engine._config.probes.targets[0]
        first = present(engine._probes.submit(t))
        time.sleep(0.2)
        assert engine._probes.submit(t) is None  # the first one is still streaming
        first.result(timeout=10)
        entry = counters(engine, "oai", "gpt-4o-mini")
        assert dict(entry.skipped)["overlap"] == 1 and entry.probes == 2
        assert len(fake.requests_to("/v1/chat/completions")) == 2
    finally:
        engine.stop()


def test_a_reload_keeps_the_counters_of_kept_targets(fake: FakeServer) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream()))
    engine = Engine(load_text(stream_config(fake), env={}))
    try:
        engine.run_once()
        engine.reload(load_text(stream_config(fake, models="[gpt-4o-mini, gpt-4o]"), env={}))
        assert counters(engine, "oai", "gpt-4o-mini").probes == 1
        assert counters(engine, "oai", "gpt-4o").probes == 0
        engine.reload(load_text(stream_config(fake, models="[gpt-4o]"), env={}))
        assert [e.target.model for e in engine.view().probes.entries] == ["gpt-4o"]
    finally:
        engine.stop()


def test_schedule_spreads_targets_over_the_interval() -> None:
    targets = [target(model=f"m{i}") for i in range(4)]
    schedule = Schedule(targets, now=1000.0)
    assert [t.model for t in schedule.due(1000.0)] == ["m0"]
    assert [t.model for t in schedule.due(1015.0)] == ["m1"]
    assert [t.model for t in schedule.due(1044.9)] == ["m2"]
    # a stall of several intervals gives one run each, not a burst of the missed ones
    assert sorted(t.model for t in schedule.due(1300.0)) == ["m0", "m1", "m2", "m3"]
    assert schedule.due(1300.5) == []
