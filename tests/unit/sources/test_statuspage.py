"""Atlassian status pages: the indicator and components, maintenance, and a page that moved
platforms (unknown, never an outage)."""

from __future__ import annotations

import pytest

from exporter.http import FetchError
from tests.support.adapters import poll
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
