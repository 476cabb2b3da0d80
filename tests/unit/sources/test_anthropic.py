"""Anthropic's /v1/models: paging with after_id, the page cap, a 401."""

from __future__ import annotations

import json

import pytest

from exporter.http import FetchError
from tests.support.adapters import KEY, poll
from tests.support.fakeserver import FakeServer, fixture, fixture_reply, json_reply


# -- anthropic ------------------------------------------------------------------------------
def test_anthropic_pages_with_after_id(fake: FakeServer) -> None:
    last = json.loads(fixture("anthropic__models.json"))
    first = {"data": [{"type": "model", "id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5",
                       "max_input_tokens": "200000"}],
             "has_more": True, "first_id": "claude-sonnet-4-5", "last_id": "claude-sonnet-4-5"}
    fake.routes["/v1/models"] = lambda q: json_reply(last if q.get("after_id") == ["claude-sonnet-4-5"] else first)
    snap, rec = poll("anthropic", fake.url)
    assert [m.id for m in snap.models] == ["claude-sonnet-4-5", "claude-opus-4-6", "claude-3-5-haiku-20241022"]
    assert rec.requests == {"models": 2}
    call = fake.requests_to("/v1/models")[0]
    assert call.headers["x-api-key"] == KEY and call.headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in call.headers
    sonnet, opus, haiku = snap.models
    assert sonnet.context_length == 200000  # a number sent as a string
    assert (opus.name, opus.context_length) == ("Claude Opus 4.6", 200000)
    assert dict(opus.capabilities) == {"vision": True, "reasoning": True, "structured_output": True}
    assert (haiku.capabilities, haiku.context_length) == ((), None)  # older shape: no capabilities


def test_anthropic_page_cap(fake: FakeServer) -> None:
    endless = {"data": [{"id": "m"}], "has_more": True, "last_id": "m"}
    fake.routes["/v1/models"] = json_reply(endless)
    snap, rec = poll("anthropic", fake.url, max_pages=3)
    assert rec.requests == {"models": 3}
    # every page repeats the same id: it is one model (the duplicate rule of snapshot.py)
    assert [m.id for m in snap.models] == ["m"]


def test_anthropic_401(fake: FakeServer) -> None:
    fake.routes["/v1/models"] = fixture_reply("anthropic__error_401.json", status=401)
    with pytest.raises(FetchError) as err:
        poll("anthropic", fake.url)
    assert err.value.reason == "auth"
