"""OpenRouter's catalog: retirement dates."""

from __future__ import annotations

import json

import pytest

from exporter import units
from exporter.sources.openai import openai_model
from exporter.sources.openrouter.catalog import parse_model
from tests.support.adapters import poll
from tests.support.fakeserver import FakeServer, fixture, fixture_reply


# -- 3. retirements ---------------------------------------------------------------------------
def test_retirement_dates_of_openrouter_openai_and_mistral() -> None:
    mistral = {m["id"]: openai_model("mistral", m) for m in json.loads(fixture("mistral__models.json"))["data"]}
    retiring = [m for m in mistral.values() if m is not None and m.retires_at is not None]
    assert [(m.id, m.retires_at, m.replacement) for m in retiring] == [
        ("codestral-2405", 1751241600.0, "codestral-latest")]  # 2025-06-30T00:00:00Z
    openai = [openai_model("openai", m) for m in json.loads(fixture("openai__models.json"))["data"]]
    assert {m.id: m.retires_at for m in openai if m is not None} == {
        "gpt-4o-mini": None, "gpt-4o-2024-05-13": 1792713600.0,  # 2026-10-23, 00:00 UTC
        "ft:gpt-4o-mini-2024-07-18:acme::A1b2C3d4": None}
    item = {"id": "x/y", "name": "Y", "expiration_date": "2026-12-31", "pricing": {}}
    assert parse_model("or", item).retires_at == 1798675200.0  # 2026-12-31, 00:00 UTC
    assert parse_model("or", {**item, "expiration_date": None}).retires_at is None
    assert parse_model("or", {**item, "expiration_date": "soon"}).retires_at is None


def test_a_retirement_in_year_one_leaves_the_model_out_not_a_date_on_the_page() -> None:
    with pytest.raises(units.OutOfRange):
        parse_model("or", {"id": "x/y", "expiration_date": "0001-12-31", "pricing": {}})


def test_legacy_openrouter_modality_string(fake: FakeServer) -> None:
    fake.routes["/models"] = fixture_reply("openrouter__models_legacy_modality.json")
    fake.routes["/key"] = fixture_reply("openrouter__key_unlimited_legacy.json")
    fake.routes["/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    snap, _ = poll("openrouter", fake.url)
    caps = {m.id: dict(m.capabilities) for m in snap.models}
    # vision and image output come from "text+image->text"; tools, reasoning and structured
    # output are not reported at all (no supported_parameters), so they have no value
    assert caps == {
        "raifle/sorcererlm-8x22b": {"vision": False, "image_generation": False},
        "openai/gpt-4o-mini": {"vision": True, "image_generation": False},
        "meta-llama/llama-3.2-11b-vision-instruct:free": {"vision": True, "image_generation": False},
        "acme/mystery": {},
    }
    assert all(m.text_output for m in snap.models)
    (provider,) = snap.providers
    # no model reports tools, so neither does the provider; vision is reported
    assert dict(provider.capabilities) == {"streaming": True, "vision": True, "image_generation": False}
