"""Gemini's models, paged with nextPageToken."""

from __future__ import annotations

import json

from tests.support.adapters import KEY, poll
from tests.support.fakeserver import FakeServer, fixture, json_reply


# -- gemini ---------------------------------------------------------------------------------
def test_gemini_follows_next_page_token(fake: FakeServer) -> None:
    first = json.loads(fixture("gemini__models.json"))
    token = first["nextPageToken"]
    last = {"models": [{"name": "models/gemini-2.0-flash", "displayName": "Gemini 2.0 Flash",
                        "inputTokenLimit": 1048576}]}  # the last page has no nextPageToken
    fake.routes["/models"] = lambda q: json_reply(last if q.get("pageToken") == [token] else first)
    snap, rec = poll("gemini", fake.url)
    assert [(m.id, m.name, m.context_length) for m in snap.models] == [
        ("gemini-2.5-flash", "Gemini 2.5 Flash", 1048576),
        ("gemini-embedding-001", "Gemini Embedding 001", 2048),
        ("gemini-2.0-flash", "Gemini 2.0 Flash", 1048576),
    ]
    assert dict(snap.models[0].capabilities) == {"reasoning": True}
    assert rec.requests == {"models": 2}
    call = fake.requests_to("/models")[0]
    assert call.headers["x-goog-api-key"] == KEY and "key" not in call.query
