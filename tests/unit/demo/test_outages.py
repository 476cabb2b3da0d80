"""What the demo's vendors do not admit, on the demo's clock: Mistral's outage its page admits
6 minutes late, Moonshot's that its page admitted first, NIM's retired model, DeepSeek's
empty account."""

from __future__ import annotations

import json

import yaml

from exporter.demo import outages
from exporter.demo.server import config_text
from exporter.http.refusals import read, unservable
from exporter.jobs import DEFAULT_RETRIES, stale_window
from exporter.units import parse_duration
from tests.support.clock import NOW, utc

HOUR = 3600


def test_mistral_fails_four_minutes_an_hour_under_a_green_page_then_declares_it() -> None:
    failing = [t for t in range(0, 2 * HOUR, 5) if outages.failing("mistral", t)]
    first_hour = [t for t in failing if t < HOUR]
    assert first_hour[0] == 10 and first_hour[-1] == 245 and HOUR + 10 in failing
    assert len(first_hour) * 5 == 240  # four minutes
    for t in (10, 200, 365):  # failing, or after, and the page still green
        page = outages.status_summary("mistral", t, NOW + t)
        assert page["status"]["indicator"] == "none" and page["incidents"] == []
    page = outages.status_summary("mistral", 400, NOW + 400)
    (incident,) = page["incidents"]
    assert page["status"]["indicator"] == "minor" and incident["resolved_at"] is None
    assert incident["created_at"].startswith("2026-11-18T11:12:50")  # NOW + 370: 6 minutes after 10 s
    assert outages.status_summary("mistral", 1300, NOW + 1300)["incidents"] == []  # resolved


def test_mistral_s_spell_fails_two_polls_in_three_and_never_outlasts_the_stale_window() -> None:
    """Polled at the demo's interval through an hour, each poll calling again on a refusal as
    often as the exporter retries, Mistral fails two of every three polls in its spell: an
    outage by the at-least-half rule, and its last answer never older than the demo's stale
    window, so its catalog (the demo's only named replacements) stays through the spell."""
    config = yaml.safe_load(config_text())
    interval = int(parse_duration(config["poll_interval"]) or 0)
    window = stale_window(interval, config["stale_after"])
    spells = outages.Spells()

    def polled(t: int) -> bool:
        return any(not spells.refuses("mistral", t) for _ in range(1 + DEFAULT_RETRIES))

    answered = [(t, polled(t)) for t in range(0, HOUR, interval)]
    spell = [ok for t, ok in answered if outages.failing("mistral", t)]
    assert len(spell) == 16 and spell[:3] == [False, False, True] and spell.count(False) >= 2 * len(spell) // 3
    last = 0
    for t, ok in answered:
        assert ok or t - last < window, t
        last = t if ok else last
    moonshot = outages.Spells()
    assert all(moonshot.refuses("moonshot", t) for t in range(0, 150, interval))  # a dead API
    assert not moonshot.refuses("moonshot", 150)
    assert moonshot.answer("moonshot", 0, dict)[0] == 503 and moonshot.answer("moonshot", 150, dict) == (200, {})


def test_moonshot_s_page_admits_its_incident_before_the_demo_starts() -> None:
    page = outages.status_summary("moonshot", 0, NOW)
    (incident,) = page["incidents"]
    assert incident["created_at"].startswith("2026-11-18T11:04:40")  # NOW - 120
    assert outages.failing("moonshot", 0) and not outages.failing("moonshot", 150)


def test_nim_s_retired_model_is_listed_and_refused_as_end_of_life() -> None:
    assert outages.RETIRED_MODEL in [m["id"] for m in outages.nim_models()["data"]]
    body = outages.end_of_life(outages.RETIRED_MODEL, NOW)
    found = unservable(read(410, json.dumps(body).encode()), outages.RETIRED_MODEL)
    assert found is not None and found.reason == "end_of_life"
    assert found.retires_at == utc(2026, 10, 19, 9)  # 30 days before NOW, 09:00 UTC


def test_deepseek_runs_out_of_credit_three_minutes_in_twenty() -> None:
    dry = [t for t in range(0, 2400) if outages.out_of_credit(t)]
    assert dry[0] == 60 and len(dry) == 2 * 180
