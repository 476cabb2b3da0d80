"""Atlassian status pages: the indicator and components, maintenance, and a page that moved
platforms (unknown, never an outage)."""

from __future__ import annotations

import pytest

from exporter.http import FetchError
from tests.support.adapters import poll
from tests.support.clock import utc
from tests.support.fakeserver import FakeServer, Reply, fixture_reply, json_reply
from tests.support.present import present


# -- statuspage ----------------------------------------------------------------------------
def test_statuspage_summary(fake: FakeServer) -> None:
    fake.routes["/api/v2/summary.json"] = fixture_reply("statuspage__summary.json")
    snap, rec = poll("statuspage", fake.url, key=None)
    page = present(snap.status_page)
    assert page.indicator == "major"
    assert page.components == (("API", "partial_outage"), ("Management Portal", "major_outage"),
                               ("Embeddings", "degraded_performance"), ("Fine-tuning", "under_maintenance"),
                               ("Batch", "operational"))
    assert rec.requests == {"summary": 1}


def test_statuspage_maintenance_indicator(fake: FakeServer) -> None:
    fake.routes["/api/v2/summary.json"] = json_reply({"status": {"indicator": "maintenance"}, "components": []})
    snap, _ = poll("statuspage", fake.url, key=None)
    assert present(snap.status_page).indicator == "maintenance"


@pytest.mark.parametrize(
    "reply",
    [Reply(body=b"<!doctype html><title>We moved</title>", headers={"Content-Type": "text/html"}),
     Reply(status=302, body=b"", headers={"Location": "/moved"}),
     Reply(body=b'{"page": {}}')],
    ids=["html", "redirect-to-html", "no-indicator"],
)
def test_statuspage_unknown_is_invalid_response_not_outage(fake: FakeServer, reply: Reply) -> None:
    fake.routes["/api/v2/summary.json"] = reply
    fake.routes["/moved"] = Reply(body=b"<html>incident.io</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(FetchError) as err:
        poll("statuspage", fake.url, key=None)
    assert err.value.reason == "invalid_response"


def test_unresolved_incidents_are_read_and_resolved_ones_left_out(fake: FakeServer) -> None:
    """The recorded Anthropic page: an incident whose impact (major) is worse than the page's
    indicator (minor); neither is derived from the other."""
    fake.routes["/api/v2/summary.json"] = fixture_reply("statuspage__summary_with_incident.json")
    snap, _ = poll("statuspage", fake.url, key=None)
    page = present(snap.status_page)
    assert page.indicator == "minor" and not page.green
    (incident,) = page.incidents
    assert (incident.id, incident.name, incident.impact) == ("7g1qpkyz5gxh", "Elevated errors for multiple models",
                                                             "major")
    assert incident.created_at == pytest.approx(utc(2026, 9, 22, 0, 57, 26) + 0.126)


def test_bad_and_resolved_incidents_cost_the_page_nothing(fake: FakeServer) -> None:
    fake.routes["/api/v2/summary.json"] = json_reply({
        "status": {"indicator": "none"}, "components": [{"name": "API", "status": "operational"}],
        "incidents": [
            {"id": "done", "status": "resolved", "created_at": "2026-09-01T00:00:00Z", "impact": "minor"},
            {"id": "no-date", "status": "investigating", "impact": "minor"},
            {"id": 7, "status": "investigating", "created_at": "2026-09-01T00:00:00Z"},
            "not an incident",
            {"id": "open", "status": "identified", "created_at": "2026-09-02T00:00:00Z", "impact": "catastrophic",
             "name": "x" * 500},
        ]})
    snap, _ = poll("statuspage", fake.url, key=None)
    page = present(snap.status_page)
    assert page.green
    (incident,) = page.incidents
    assert (incident.id, incident.impact, len(incident.name)) == ("open", "none", 200)
