"""OpenRouter's keys over real HTTP (keys: true): every page of /keys by offset with the
disabled ones, each key's limit, usage by window, remaining credit, reset and expiry, named by
its name (or the masked label OpenRouter shows), never its hash."""

from __future__ import annotations

import json
from typing import Any

from exporter.collector import Exposition
from tests.support.clock import NOW, Clock, utc
from tests.support.engines import engine
from tests.support.fakeserver import FakeServer, fixture, fixture_reply, json_reply
from tests.support.metrics import samples, value
from tests.support.openrouter import RUN_KEY


def keys_route(fake: FakeServer, keys: list[dict[str, Any]], page: int = 2) -> None:
    """/keys as OpenRouter pages it: `page` keys per offset; disabled ones only when asked."""
    def route(q: dict[str, list[str]]) -> Any:
        offset = int(q.get("offset", ["0"])[0])
        shown = [k for k in keys if not k["disabled"] or q.get("include_disabled") == ["true"]]
        return json_reply({"data": shown[offset: offset + page]})
    fake.routes["/or/keys"] = route


def scrape(fake: FakeServer, extra: str = ", keys: true") -> str:
    fake.routes["/or/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/or/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/or/credits"] = fixture_reply("openrouter__credits.json")
    e = engine(f"  - {{name: or, type: openrouter, url: '{fake.url}/or', api_key: {RUN_KEY}{extra}}}\n", Clock(NOW))
    try:
        e.run_once()
        return Exposition(e.view).render().decode()
    finally:
        e.stop()


def recorded() -> list[dict[str, Any]]:
    return json.loads(fixture("openrouter__keys.json"))["data"]


def test_every_key_with_its_limit_usage_and_expiry(fake: FakeServer) -> None:
    disabled = {**recorded()[1], "name": "", "label": "sk-or-v1-dis...0001", "disabled": True, "hash": "d" * 64}
    keys = [*recorded(), disabled]
    keys_route(fake, keys)
    parsed = samples(scrape(fake))
    prod = {"source": "or", "kind": "key", "key": "My Production Key"}
    assert value(parsed, "llm_key_limit_usd", **prod) == 100
    assert value(parsed, "llm_key_limit_remaining_usd", **prod) == 74.5
    assert {lab["window"]: v for lab, v in parsed["llm_key_usage_usd"] if lab["key"] == "My Production Key"} == {
        "total": 25.5, "day": 25.5, "week": 25.5, "month": 25.5}
    assert value(parsed, "llm_key_limit_reset_info", reset="monthly", **prod) == 1
    assert value(parsed, "llm_key_expiry_timestamp_seconds", **prod) == utc(2027, 12, 31, 23, 59, 59)
    # unlimited: no limit, no remaining, usage all the same
    ci = {"source": "or", "kind": "key", "key": "ci-unlimited"}
    assert not [lab for lab, _ in parsed["llm_key_limit_usd"] if lab == ci]
    assert value(parsed, "llm_key_usage_usd", window="week", **ci) == 0.2106
    # a key without a name is its masked label; a disabled one is listed too
    assert value(parsed, "llm_key_disabled", source="or", kind="key", key="sk-or-v1-dis...0001") == 1
    offsets = [s.query["offset"] for s in fake.requests_to("/or/keys")]
    assert offsets == [["0"], ["2"], ["3"]]  # pages of two until an empty one
    assert all(s.query["include_disabled"] == ["true"] for s in fake.requests_to("/or/keys"))


def test_no_hash_nor_key_in_any_output(fake: FakeServer) -> None:
    keys_route(fake, recorded())
    text = scrape(fake)
    assert not [k["hash"] for k in recorded() if k["hash"] in text]
    assert RUN_KEY not in text


def test_without_keys_true_no_key_is_asked(fake: FakeServer) -> None:
    keys_route(fake, recorded())
    text = scrape(fake, extra="")
    assert not fake.requests_to("/or/keys") and "llm_key_limit_usd{" not in text
