from __future__ import annotations

import time

import pytest

from exporter.collector import Exposition
from exporter.config import load_text
from exporter.engine import Engine
from exporter.jobs import poll_budget
from tests.support.fakeserver import FakeServer, fixture_reply, json_reply

SUMMARY = "/api/v2/summary.json"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def engine_for(text: str, clock: Clock | None = None) -> Engine:
    return Engine(load_text(text, env={}), clock=clock or Clock(), backoff=0.01)


def statuspages(url: str, n: int, interval: str = "60s") -> str:
    lines = [f"  - {{name: page{i}, type: statuspage, url: '{url}/p{i}', interval: {interval}}}" for i in range(n)]
    return "stale_after: 3\ntimeout: 5s\nsources:\n" + "\n".join(lines) + "\n"


def source(engine: Engine, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in engine.view().sources if s.name == name)


def test_polls_run_concurrently(fake: FakeServer) -> None:
    for i in range(20):
        fake.routes[f"/p{i}{SUMMARY}"] = fixture_reply("statuspage__summary.json", delay=1.0)
    engine = engine_for(statuspages(fake.url, 20))
    view = engine.run_once()
    engine.stop()
    assert all(s.up for s in view.sources)
    # All twenty slow answers were in flight at once: no source waited for another.
    assert fake.max_in_flight == 20


def test_stale_policy_keeps_then_drops(fake: FakeServer) -> None:
    clock = Clock()
    fake.routes[f"/p0{SUMMARY}"] = fixture_reply("statuspage__summary.json")
    engine = engine_for(statuspages(fake.url, 1), clock)
    engine.run_once()
    first = source(engine, "page0")
    assert first.up and first.snapshot is not None and first.last_success == clock.now

    fake.routes[f"/p0{SUMMARY}"] = json_reply({}, status=500)
    for interval in (1, 2, 3):  # stale_after: 3 failed intervals keep the last good values
        clock.now += 60
        engine.run_once()
        s = source(engine, "page0")
        assert not s.up and s.snapshot is first.snapshot, interval
        assert s.failed_polls == interval
    clock.now += 60
    engine.run_once()
    s = source(engine, "page0")
    assert not s.up and s.snapshot is None
    assert s.last_success == first.last_success
    text = Exposition(engine.view).render().decode()
    assert 'llm_source_up{source="page0"} 0.0' in text
    assert "llm_status_page_indicator{" not in text

    fake.routes[f"/p0{SUMMARY}"] = fixture_reply("statuspage__summary.json")
    clock.now += 60
    engine.run_once()
    assert source(engine, "page0").snapshot is not None
    engine.stop()


def test_retry_after_skips_polls_and_counts_them(fake: FakeServer) -> None:
    clock = Clock()
    fake.routes[f"/p0{SUMMARY}"] = [
        json_reply({"error": "slow down"}, status=429, headers={"Retry-After": "150"}),
        fixture_reply("statuspage__summary.json"),
    ]
    engine = engine_for(statuspages(fake.url, 1), clock)
    engine.run_once()
    s = source(engine, "page0")
    assert not s.up and dict(s.failures)[("summary", "rate_limited")] == 1
    for _ in range(2):  # t+60, t+120: still inside Retry-After
        clock.now += 60
        engine.run_once()
    s = source(engine, "page0")
    assert dict(s.skipped) == {"rate_limited": 2}
    assert dict(s.requests) == {"summary": 1}
    clock.now += 60  # t+180: past it
    engine.run_once()
    s = source(engine, "page0")
    assert s.up and dict(s.requests) == {"summary": 2}
    text = Exposition(engine.view).render().decode()
    assert 'llm_source_polls_skipped_total{reason="rate_limited",source="page0"} 2.0' in text
    engine.stop()


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


def test_vanished_provider_vanishes_from_metrics(fake: FakeServer) -> None:
    fake.routes["/providers"] = fixture_reply("gatewayz__providers.json")
    fake.routes["/providers/stats"] = fixture_reply("gatewayz__providers_stats.json")
    engine = engine_for(f"sources:\n  - {{name: gw, type: gatewayz, url: '{fake.url}', api_key: abcd1234}}\n")
    exposition = Exposition(engine.view)
    engine.run_once()
    assert 'provider="mistral"' in exposition.render().decode()
    fake.routes["/providers"] = json_reply([{"slug": "openai", "name": "OpenAI", "health_status": "healthy"}])
    engine.run_once()
    text = exposition.render().decode()
    assert 'provider="mistral"' not in text and 'provider="openai"' in text
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


def test_requests_exist_at_zero_before_first_poll(fake: FakeServer) -> None:
    engine = engine_for(f"sources:\n  - {{name: or, type: openrouter, url: '{fake.url}', api_key: abcd1234}}\n")
    text = Exposition(engine.view).render().decode()
    for endpoint in ("models", "key", "credits"):
        assert f'llm_source_requests_total{{endpoint="{endpoint}",source="or"}} 0.0' in text
    assert 'llm_source_up{source="or"} 0.0' in text
    engine.stop()


def test_reload_adds_keeps_and_removes(fake: FakeServer) -> None:
    fake.routes[f"/p0{SUMMARY}"] = fixture_reply("statuspage__summary.json")
    fake.routes[f"/p1{SUMMARY}"] = fixture_reply("statuspage__summary.json")
    engine = engine_for(statuspages(fake.url, 1))
    engine.run_once()
    before = source(engine, "page0")
    engine.reload(load_text(statuspages(fake.url, 2), env={}))
    engine.run_once()
    names = [s.name for s in engine.view().sources]
    assert names == ["page0", "page1"]
    assert dict(source(engine, "page0").requests)["summary"] == dict(before.requests)["summary"] + 1
    engine.reload(load_text(statuspages(fake.url, 1).replace("page0", "other"), env={}))
    assert [s.name for s in engine.view().sources] == ["other"]
    engine.stop()


def test_poll_budget_stays_inside_the_interval() -> None:
    assert poll_budget(60, 10, 2) == 32
    assert poll_budget(15, 10, 2) == 12
    assert poll_budget(1, 10, 2) == 0.8


def test_ready_does_not_wait_for_a_hanging_source_beyond_its_timeout(fake: FakeServer) -> None:
    fake.routes[f"/p0{SUMMARY}"] = fixture_reply("statuspage__summary.json")
    fake.routes[f"/p1{SUMMARY}"] = fixture_reply("statuspage__summary.json", delay=60)
    text = statuspages(fake.url, 2).replace("timeout: 5s", "timeout: 1s")
    engine = engine_for(text)
    engine.start()
    try:
        # One second of timeout (hangs are not retried), far less than the 60 s hang.
        assert engine.wait_ready(timeout=15)
        hanging = source(engine, "page1")
        assert not hanging.up and dict(hanging.failures)[("summary", "timeout")] == 1
        assert source(engine, "page0").up
    finally:
        engine.stop()


def test_reload_keeps_the_schedule_of_unchanged_sources(fake: FakeServer) -> None:
    engine = engine_for(statuspages(fake.url, 2))
    jobs = {name: slot.scheduled for name, slot in engine._slots.items()}
    next_runs = {name: job.next_run for name, job in jobs.items()}
    changed = statuspages(fake.url, 2).replace("p1', interval: 60s", "p1', interval: 30s")
    engine.reload(load_text(changed, env={}))
    assert engine._slots["page0"].scheduled is jobs["page0"]
    assert engine._slots["page0"].scheduled.next_run == next_runs["page0"]
    assert engine._slots["page1"].scheduled is not jobs["page1"]
    assert engine._scheduler.jobs == [engine._slots["page0"].scheduled, engine._slots["page1"].scheduled]
    engine.reload(load_text(statuspages(fake.url, 1), env={}))
    assert engine._scheduler.jobs == [engine._slots["page0"].scheduled]
    engine.stop()


def test_polls_of_a_source_reuse_one_connection(fake: FakeServer) -> None:
    fake.routes[f"/p0{SUMMARY}"] = fixture_reply("statuspage__summary.json")
    clock = Clock()
    engine = engine_for(statuspages(fake.url, 1), clock)
    for _ in range(10):
        clock.now += 60
        engine.run_once()
    assert len(fake.requests_to(f"/p0{SUMMARY}")) == 10
    assert fake.connections == 1  # kept alive across polls, not one handshake per poll
    # a reload that changes the source's settings starts a new session
    engine.reload(load_text(statuspages(fake.url, 1, interval="30s"), env={}))  # polls it at once
    deadline = time.monotonic() + 10
    while len(fake.requests_to(f"/p0{SUMMARY}")) < 11:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    engine.stop()
    assert fake.connections == 2


def test_ready_is_announced_after_the_exposition_has_the_ready_view(fake: FakeServer) -> None:
    """/readyz and /metrics must agree: while the listeners render the view of the finished
    first round, the engine does not say ready yet, and once it does, the exposition's body
    holds every source of that round."""
    for i in range(5):
        fake.routes[f"/p{i}{SUMMARY}"] = fixture_reply("statuspage__summary.json", delay=0.05 * i)
    engine = engine_for(statuspages(fake.url, 5))
    exposition = Exposition(engine.view)
    said_ready_while_rendering: list[bool] = []

    def slow_listener() -> None:
        view = engine.view()
        if view.ready:
            said_ready_while_rendering.append(engine.ready)
            time.sleep(0.3)  # a long render: a scrape in this gap must not see ready

    engine.subscribe(slow_listener)
    exposition.follow(engine)
    engine.start()
    try:
        assert engine.wait_ready(10)
        assert said_ready_while_rendering and not any(said_ready_while_rendering)
        body = exposition.render().decode()
        assert exposition.view is not None and exposition.view.ready
        assert all(f'indicator="none",source="page{i}"}}' in body for i in range(5)), body
    finally:
        engine.stop()


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
        snap = source(engine, "gw").snapshot
        assert len(snap.providers) == 40
        assert len(snap.gatewayz.response_times_ms) == len(snap.gatewayz.last_health_checks) == 40
        text = Exposition(engine.view).render().decode()
        assert 'llm_source_providers_dropped_total{source="gw"} 19960.0' in text
        assert text.count("gatewayz_provider_is_active{") == 40
        assert snap.gatewayz.total == 20_000  # GatewayZ's own counts are its own
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
        assert s.up and len(s.snapshot.models) == 1500 and s.models_dropped == 500
    finally:
        engine.stop()
