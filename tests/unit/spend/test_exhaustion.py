"""When credit runs out: from the exporter's own readings over up to a day, none before an
hour of them or without spend, the readings starting again when the vendor resets the usage,
and kept across a restart."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from exporter.spend.exhaustion import MIN_SPAN, READING_EVERY, WINDOW, Readings
from tests.support.clock import NOW, Clock
from tests.support.fakeserver import FakeServer

KEY = ("key", "or", "prod")


def feed(readings: Readings, start: float, seconds: float, every: float, per_second: float, used: float = 0) -> float:
    t = start
    while t <= start + seconds:
        readings.read(KEY, t, Decimal(str(round(used + (t - start) * per_second, 6))))
        t += every
    return t - every


def test_a_rate_from_an_hour_of_readings() -> None:
    r = Readings()
    last = feed(r, NOW, MIN_SPAN - 60, 60, 0.001)  # under an hour: nothing yet
    assert r.runs_out(KEY, Decimal(10), last) is None
    last = feed(r, last + 60, 120, 60, 0.001, used=0.001 * (last + 60 - NOW))
    # spending $0.001 a second, $10 left: 10,000 s from now
    assert r.runs_out(KEY, Decimal(10), last) == pytest.approx(last + 10_000, rel=1e-6)
    assert r.runs_out(KEY, Decimal(0), last) == last  # nothing left: now
    assert r.runs_out(KEY, None, last) is None  # no limit, no date


def test_no_spend_no_date_and_a_reset_starts_again() -> None:
    r = Readings()
    last = feed(r, NOW, 2 * MIN_SPAN, 60, 0.0)
    assert r.runs_out(KEY, Decimal(10), last) is None
    last = feed(r, last + 60, 2 * MIN_SPAN, 60, 0.01, used=5)
    assert r.runs_out(KEY, Decimal(10), last) is not None
    r.read(KEY, last + 60, Decimal(0))  # the monthly reset: usage drops
    assert r.runs_out(KEY, Decimal(10), last + 60) is None


def test_a_day_of_readings_is_kept_sparse_and_survives_a_restart(tmp_path: Path) -> None:
    r = Readings(str(tmp_path))
    last = feed(r, NOW, 2 * WINDOW, 10, 0.001)
    r.save()
    series = r._series[KEY]
    assert len(series) <= WINDOW / (READING_EVERY - 10) + 2 and series[0][0] >= last - WINDOW - READING_EVERY
    again = Readings(str(tmp_path))
    assert again.runs_out(KEY, Decimal(10), last) == pytest.approx(r.runs_out(KEY, Decimal(10), last) or 0)
    again.forget([])
    assert again.runs_out(KEY, Decimal(10), last) is None


def test_a_key_s_and_a_budget_s_run_out_over_real_http(fake: FakeServer, tmp_path: Path) -> None:
    """A key spending $2 an hour of its $100, read every ten minutes by a live engine: after an
    hour it runs out when the $70 left are spent, 35 hours on."""
    import json

    from tests.support.engines import engine, metrics
    from tests.support.fakeserver import fixture, fixture_reply, json_reply
    from tests.support.metrics import samples, value
    from tests.support.openrouter import RUN_KEY

    clock = Clock(NOW)
    base = json.loads(fixture("openrouter__keys.json"))["data"][0]

    def keys(q: dict[str, list[str]]) -> object:
        if q.get("offset") != ["0"]:
            return json_reply({"data": []})
        used = 28 + 2 * (clock.now - NOW) / 3600
        return json_reply({"data": [{**base, "usage": used, "limit_remaining": 100 - used}]})

    fake.routes["/or/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/or/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/or/credits"] = fixture_reply("openrouter__credits.json")
    fake.routes["/or/keys"] = keys
    e = engine(f"  - {{name: or, type: openrouter, url: '{fake.url}/or', api_key: {RUN_KEY}, keys: true}}\n", clock,
               head=f"state_dir: {tmp_path}\n", persist=True)
    try:
        for _ in range(6):
            e.run_once()
            assert "llm_key_exhaustion_timestamp_seconds{" not in metrics(e)  # under an hour of readings
            clock.now += 600
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    runs_out = value(p, "llm_key_exhaustion_timestamp_seconds", source="or", key="My Production Key")
    assert runs_out == pytest.approx(clock.now + 70 / 2 * 3600, rel=1e-6)
    assert (tmp_path / "exhaustion.json").exists()
