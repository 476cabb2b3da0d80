"""One poll: its budget inside the interval, a capped Retry-After, garbage counted and survived,
the model and provider caps."""

from __future__ import annotations

import pytest

from exporter.collector import Exposition
from exporter.config import load_text
from exporter.engine import Engine
from exporter.jobs import poll_budget
from tests.support.clock import Clock
from tests.support.engines import SUMMARY, engine_for, source, statuspages
from tests.support.fakeserver import FakeServer, fixture_reply, json_reply
from tests.support.present import present


@pytest.mark.parametrize(("interval", "parked"), [(60, 600), (600, 3600)])
def test_a_huge_retry_after_is_capped(fake: FakeServer, interval: int, parked: int) -> None:
    """Retry-After: 999999999 parks the source for 10 intervals or an hour, whichever is less."""
    clock = Clock()
    fake.routes[f"/p0{SUMMARY}"] = json_reply({"error": "slow down"}, status=429,
                                              headers={"Retry-After": "999999999"})
    engine = engine_for(statuspages(fake.url, 1, f"{interval}s"), clock)
    try:
        engine.run_once()
        assert source(engine, "page0").blocked_until == clock.now + parked
    finally:
        engine.stop()


@pytest.mark.parametrize(
    "body",
    [b"[1, 2, 3]", b'[{"slug": null}]', b'{"providers": "x"}', b"null", b'[{"slug": "a", "is_active": {}}]'],
)
def test_garbage_is_counted_and_survived(fake: FakeServer, body: bytes) -> None:
    fake.routes["/providers"] = fixture_reply("gatewayz__providers.json")
    fake.routes["/providers"].body = body
    fake.routes["/providers/stats"] = fixture_reply("gatewayz__providers_stats.json")
    engine = engine_for(f"sources:\n  - {{name: gw, type: gatewayz, url: '{fake.url}', api_key: abcd1234}}\n")
    engine.run_once()
    s = source(engine, "gw")
    if s.up:  # some shapes are tolerable (a flag that is an object is just truthy)
        return
    assert dict(s.failures)[("providers", "invalid_response")] == 1
    assert s.last_error and "invalid_response" in s.last_error
    engine.stop()


def test_poll_budget_stays_inside_the_interval() -> None:
    assert poll_budget(60, 10, 2) == 32
    assert poll_budget(15, 10, 2) == 12
    assert poll_budget(1, 10, 2) == 0.8


def test_gatewayz_providers_are_capped_and_counted(fake: FakeServer) -> None:
    """20,000 providers made 360,030 series; limits.max_providers keeps the first ones."""
    providers = [{"id": i, "name": f"P{i}", "slug": f"p{i}", "is_active": True, "health_status": "healthy",
                  "average_response_time_ms": 100, "last_health_check_at": "2026-01-01T00:00:00Z"}
                 for i in range(20_000)]
    fake.routes["/gw/providers"] = json_reply(providers)
    fake.routes["/gw/providers/stats"] = json_reply({"total": 20_000, "active": 20_000, "inactive": 0,
                                                     "healthy": 20_000, "degraded": 0, "down": 0, "unknown": 0})
    config = f"limits: {{max_providers: 40}}\nsources:\n  - {{name: gw, type: gatewayz, url: '{fake.url}/gw', " \
             "api_key: k-00000000}\n"
    engine = Engine(load_text(config, env={}), clock=Clock(), backoff=0.01)
    try:
        engine.run_once()
        snap = present(source(engine, "gw").snapshot)
        stats = present(snap.gatewayz)
        assert len(snap.providers) == 40
        assert len(stats.response_times_ms) == len(stats.last_health_checks) == 40
        text = Exposition(engine.view).render().decode()
        assert 'llm_source_providers_dropped_total{source="gw"} 19960.0' in text
        assert text.count("gatewayz_provider_is_active{") == 40
        assert stats.total == 20_000  # GatewayZ's own counts are its own
    finally:
        engine.stop()


def test_paging_stops_at_the_model_cap(fake: FakeServer) -> None:
    """A catalog whose every page says "more" is not held whole before the cap cuts it."""
    def page(query: dict[str, list[str]]) -> object:
        n = int(query.get("pageToken", ["0"])[0])
        return json_reply({"models": [{"name": f"models/p{n}-m{i}"} for i in range(1000)], "nextPageToken": str(n + 1)})

    fake.routes["/gem/models"] = page
    config = f"limits: {{max_models: 1500}}\nsources:\n  - {{name: gem, type: gemini, url: '{fake.url}/gem', " \
             "api_key: k-00000000}\n"
    engine = Engine(load_text(config, env={}), clock=Clock(), backoff=0.01)
    try:
        engine.run_once()
        assert len(fake.requests_to("/gem/models")) == 2  # not the 50 of limits.max_pages
        s = source(engine, "gem")
        assert s.up and len(present(s.snapshot).models) == 1500 and s.models_dropped == 500
    finally:
        engine.stop()
