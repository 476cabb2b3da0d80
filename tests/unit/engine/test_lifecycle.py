"""The engine's lifecycle: polls run concurrently, readiness waits for the first round (and no
longer than a hanging source's timeout) and is announced once the exposition has it, reloads
add, keep and remove sources, a source's polls reuse one connection."""

from __future__ import annotations

import time

from exporter.collector import Exposition
from exporter.config import load_text
from tests.support.clock import Clock
from tests.support.engines import SUMMARY, engine_for, source, statuspages
from tests.support.fakeserver import FakeServer, fixture_reply
from tests.support.present import present
from tests.support.wait import wait_for


def test_polls_run_concurrently(fake: FakeServer) -> None:
    for i in range(20):
        fake.routes[f"/p{i}{SUMMARY}"] = fixture_reply("statuspage__summary.json", delay=1.0)
    engine = engine_for(statuspages(fake.url, 20))
    view = engine.run_once()
    engine.stop()
    assert all(s.up for s in view.sources)
    # All twenty slow answers were in flight at once: no source waited for another.
    assert fake.max_in_flight == 20


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
    next_runs = {name: present(job).next_run for name, job in jobs.items()}
    changed = statuspages(fake.url, 2).replace("p1', interval: 60s", "p1', interval: 30s")
    engine.reload(load_text(changed, env={}))
    assert engine._slots["page0"].scheduled is jobs["page0"]
    assert present(engine._slots["page0"].scheduled).next_run == next_runs["page0"]
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
    wait_for(lambda: len(fake.requests_to(f"/p0{SUMMARY}")) >= 11, 10, "the reloaded source's poll", every=0.05)
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
