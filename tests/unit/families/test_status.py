"""Status pages against what the exporter saw: the sources a page covers, its unresolved
incidents, and the detection lead, measured over real HTTP against a page that posts its
incident late."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.support.adapters import KEY
from tests.support.clock import NOW, Clock
from tests.support.engines import SUMMARY, engine_for, metrics
from tests.support.fakeserver import FakeServer, StreamReply, fixture, fixture_reply, json_reply
from tests.support.metrics import samples, value
from tests.support.probes import chat_stream

PROBE_EVERY = 60.0


def page(*, incident_at: float | None = None) -> dict[str, Any]:
    """The recorded Anthropic page: green until the incident, which the vendor declares at
    `incident_at` (its created_at), without touching its indicator or components."""
    doc = json.loads(fixture("statuspage__summary_with_incident.json"))
    doc["status"]["indicator"] = "none"
    for component in doc["components"]:
        component["status"] = "operational"
    if incident_at is None:
        doc["incidents"] = []
    else:
        stamp = datetime.fromtimestamp(incident_at, UTC).isoformat().replace("+00:00", "Z")
        doc["incidents"][0].update(created_at=stamp, started_at=stamp)
    return doc


def config(fake: FakeServer) -> str:
    return f"""
timeout: 5s
sources:
  - {{name: oai, type: openai, url: '{fake.url}/v1', api_key: {KEY}}}
  - {{name: status, type: statuspage, url: '{fake.url}/status', covers: [oai]}}
probes:
  interval: {PROBE_EVERY:.0f}s
  targets: [{{source: oai, models: [gpt-4o-mini]}}]
"""


def test_the_lead_is_measured_within_one_probe_interval(fake: FakeServer) -> None:
    """The vendor starts failing 30 s after a good probe; the probes see it at the next one
    (60 s), the page declares it 6 minutes after it began. The true lead is 360 s; measured
    from the first failing probe it is 330 s: within one probe interval of the truth."""
    fake.routes["/v1/models"] = fixture_reply("openai__models.json")
    fake.routes["/v1/chat/completions"] = StreamReply(chat_stream("gpt-4o-mini", "fp"))
    fake.routes[f"/status{SUMMARY}"] = json_reply(page())
    clock = Clock(NOW)
    e = engine_for(config(fake), clock)
    outage = NOW + 30
    try:
        e.run_once()
        fake.routes["/v1/chat/completions"] = json_reply({"error": {"message": "upstream error"}}, status=500)
        while clock.now < outage + 360:
            clock.now += PROBE_EVERY
            e.run_once()
            p = samples(metrics(e))
            assert "llm_status_incident_detection_lead_seconds" not in p  # nothing declared yet
        fake.routes[f"/status{SUMMARY}"] = json_reply(page(incident_at=outage + 360))
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    lead = value(p, "llm_status_incident_detection_lead_seconds", source="status", incident="7g1qpkyz5gxh")
    assert 360 - PROBE_EVERY <= lead <= 360
    assert lead == 330
    (info,) = p["llm_status_incident_info"]
    assert info[0] == {"source": "status", "incident": "7g1qpkyz5gxh", "name": "Elevated errors for multiple models",
                       "impact": "major"}
    assert value(p, "llm_status_page_covers_info", source="status", covered_source="oai") == 1


def test_no_lead_without_a_failure_around_the_incident(fake: FakeServer) -> None:
    fake.routes["/v1/models"] = fixture_reply("openai__models.json")
    fake.routes["/v1/chat/completions"] = StreamReply(chat_stream("gpt-4o-mini", "fp"))
    fake.routes[f"/status{SUMMARY}"] = json_reply(page(incident_at=NOW - 60))
    e = engine_for(config(fake), Clock(NOW))
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert "llm_status_incident_info" in p and "llm_status_incident_detection_lead_seconds" not in p


def test_failures_that_are_not_outages_start_no_streak(fake: FakeServer) -> None:
    """Rate limits and an empty account are the account's, not the vendor's: no lead from them."""
    fake.routes["/v1/models"] = fixture_reply("openai__models.json")
    fake.routes["/v1/chat/completions"] = fixture_reply("openai__error_429_insufficient_quota.json", status=429)
    fake.routes[f"/status{SUMMARY}"] = json_reply(page())
    clock = Clock(NOW)
    e = engine_for(config(fake), clock)
    try:
        e.run_once()
        fake.routes[f"/status{SUMMARY}"] = json_reply(page(incident_at=NOW + 60))
        clock.now += PROBE_EVERY
        e.run_once()
        p = samples(metrics(e))
        seen = next(s for s in e.view().sources if s.name == "oai")
    finally:
        e.stop()
    assert seen.failure_streaks == () and seen.observed[1] == 0
    assert "llm_status_incident_detection_lead_seconds" not in p
    assert value(p, "llm_probe_failures", source="oai", model="gpt-4o-mini", reason="credit_exhausted") == 2
