"""What every source shares: an item a parser rejects is left out and counted, not the answer; a
direct vendor's name; paging stops at limits.max_pages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exporter.http import FetchError
from tests.support.adapters import poll
from tests.support.fakeserver import FakeServer, fixture, fixture_reply, json_reply


# -- one bad item -----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [
    {"pricing": {"prompt": "9e999999", "completion": "1"}},  # overflows the first multiplication
    {"pricing": {"prompt": "NaN", "completion": "0.1"}},
    {"context_length": 1.7e308},
    {"id": 4},
])
def test_one_bad_model_is_left_out_and_counted_once(fake: FakeServer, bad: dict[str, Any]) -> None:


    body = json.loads(fixture("openrouter__models.json"))
    total = len(body["data"])
    body["data"][0] = {**body["data"][0], **bad}
    fake.routes["/models"] = json_reply(body)
    fake.routes["/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/credits"] = fixture_reply("openrouter__credits.json")
    snap, rec = poll("openrouter", fake.url)
    assert len(snap.models) == total - 1
    assert rec.failures == {("models", "invalid_response"): 1}


def test_an_answer_with_no_usable_item_fails_the_poll(fake: FakeServer) -> None:
    fake.routes["/models"] = json_reply({"data": [{"id": None}, {"id": 7, "pricing": {}}]})
    fake.routes["/key"] = fixture_reply("openrouter__key.json")
    with pytest.raises(FetchError) as err:
        poll("openrouter", fake.url)
    assert (err.value.endpoint, err.value.reason) == ("models", "invalid_response")


def test_a_direct_vendor_is_named_as_people_know_it_never_by_a_bare_host() -> None:
    from exporter.sources.base import vendor_name
    from tests.support.adapters import make_source

    assert vendor_name(make_source("openai", "https://api.mistral.ai/v1")) == "Mistral"
    assert vendor_name(make_source("anthropic", "http://127.0.0.1:9999")) == "Anthropic"  # the type's vendor
    assert vendor_name(make_source("litellm", "http://litellm.internal:4000")) == "LiteLLM"
    # an OpenAI-compatible server on an unknown host: the source's name, or its display_name
    assert vendor_name(make_source("openai", "http://127.0.0.1:9999/together/v1")) == "openai"
    import dataclasses

    named = make_source("openai", "http://127.0.0.1:9999/together/v1")
    named.config = dataclasses.replace(named.config, display_name="Together")
    assert vendor_name(named) == "Together"


def test_page_cap_is_logged(fake: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    fake.routes["/models"] = json_reply({"models": [{"name": "models/m"}], "nextPageToken": "again"})
    with caplog.at_level("WARNING"):
        _, rec = poll("gemini", fake.url, max_pages=2)
    assert rec.requests == {"models": 2}
    assert "stopped after limits.max_pages=2 pages" in caplog.text
