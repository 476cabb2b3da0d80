"""The openai type, for every OpenAI-compatible vendor: OpenAI, Groq, Together's bare list and per-
million prices, Mistral's capabilities, an empty list, a 401."""

from __future__ import annotations

import json

import pytest

from exporter.http import FetchError
from tests.support.adapters import KEY, D, poll
from tests.support.fakeserver import FakeServer, fixture, fixture_reply, json_reply
from tests.support.present import present


# -- openai and compatible vendors ----------------------------------------------------------
def test_openai_models(fake: FakeServer) -> None:
    fake.routes["/models"] = fixture_reply("openai__models.json")
    snap, rec = poll("openai", fake.url)
    assert [m.id for m in snap.models] == ["gpt-4o-mini", "gpt-4o-2024-05-13",
                                           "ft:gpt-4o-mini-2024-07-18:acme::A1b2C3d4"]
    assert all(m.prices == () and not m.free and m.context_length is None for m in snap.models)
    (provider,) = snap.providers
    assert (provider.id, provider.follows_source) == ("openai", True)
    assert present(provider.response_time_seconds) > 0
    assert fake.requests_to("/models")[0].headers["Authorization"] == f"Bearer {KEY}"
    assert rec.requests == {"models": 1}


def test_groq_context_window_and_inactive_models(fake: FakeServer) -> None:
    body = json.loads(fixture("groq__models.json"))
    body["data"].append({"id": "retired", "active": False, "context_window": 4096})
    fake.routes["/models"] = json_reply(body)
    snap, _ = poll("openai", fake.url)
    assert [(m.id, m.context_length) for m in snap.models] == [
        ("gemma2-9b-it", 8192), ("llama3-8b-8192", 8192), ("qwen/qwen3-32b", 131072)]


def test_together_bare_list_prices_per_million(fake: FakeServer) -> None:
    body = json.loads(fixture("together__models.json"))
    body.append({"id": "dedicated/only", "pricing": {"hourly": 2.5, "input": 0, "output": 0}})
    body.append({"id": "free/one", "pricing": {"hourly": 0, "input": "0", "output": "0"}})
    fake.routes["/models"] = json_reply(body)
    snap, _ = poll("openai", fake.url)
    models = {m.id: m for m in snap.models}
    llama = models["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert dict(llama.prices) == {"input": D("0.00000088"), "output": D("0.00000088")}
    assert (llama.name, llama.context_length) == ("Meta Llama 3.3 70B Instruct Turbo", 131072)
    assert dict(models["BAAI/bge-large-en-v1.5"].prices) == {"input": D("2E-8"), "output": D("0")}
    assert (models["dedicated/only"].prices, models["dedicated/only"].free) == ((), False)
    assert models["free/one"].free


def test_mistral_capabilities(fake: FakeServer) -> None:
    fake.routes["/models"] = fixture_reply("mistral__models.json")
    snap, _ = poll("openai", fake.url)
    large, codestral = snap.models
    assert dict(large.capabilities) == {"tools": True, "vision": True}
    assert dict(codestral.capabilities) == {"tools": True, "vision": False}
    assert (large.context_length, large.name) == (131072, "mistral-large-2411")


def test_openai_empty_list(fake: FakeServer) -> None:
    fake.routes["/models"] = json_reply({"object": "list", "data": []})
    snap, _ = poll("openai", fake.url)
    assert snap.models == () and snap.catalog


def test_openai_401(fake: FakeServer) -> None:
    fake.routes["/models"] = fixture_reply("openai__error_401.json", status=401)
    with pytest.raises(FetchError) as err:
        poll("openai", fake.url)
    assert err.value.reason == "auth"
