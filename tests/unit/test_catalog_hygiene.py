"""Catalog shapes that real vendors send and that change detection and "cheapest" depend on:
duplicate ids, legacy OpenRouter modalities, Ollama cloud models."""

from __future__ import annotations

from exporter.collector import Exposition
from exporter.config import load_text
from exporter.engine import Engine
from exporter.web import catalog_api as api
from exporter.web import summary
from tests.support.adapters import poll
from tests.support.fakeserver import FakeServer, fixture_reply
from tests.support.metrics import samples, value


def test_duplicate_ids_resolve_to_one_entry_everywhere(fake: FakeServer) -> None:
    fake.routes["/models"] = fixture_reply("mistral__models_duplicate_ids.json")
    snap, _ = poll("openai", fake.url)
    # the larger context wins: the chat entries, whatever their position in the list
    assert [(m.id, m.name, m.context_length) for m in snap.models] == [
        ("voxtral-mini-2507", "voxtral-mini-2507", 32768), ("voxtral-mini-latest", "voxtral-mini-2507", 32768),
        ("mistral-small-latest", "mistral-small-2506", 131072)]

    engine = Engine(load_text(f"sources: [{{name: mistral, type: openai, url: '{fake.url}', api_key: k-00000000}}]\n",
                              env={}))
    view = engine.run_once()
    engine.stop()
    p = samples(Exposition(engine.view).render().decode())
    assert value(p, "llm_models", source="mistral", provider="mistral") == 3
    assert len(p["llm_model_info"]) == 3
    assert summary.build(view)["model_counts"] == [{"source": "mistral", "provider": "mistral", "models": 3,
                                                    "free": 0}]
    assert api.models(view, "")["total"] == 3


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


def test_not_reported_capabilities_have_no_sample(fake: FakeServer) -> None:
    fake.routes["/models"] = fixture_reply("openrouter__models_legacy_modality.json")
    fake.routes["/key"] = fixture_reply("openrouter__key_unlimited_legacy.json")
    fake.routes["/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    engine = Engine(load_text(f"sources: [{{name: or, type: openrouter, url: '{fake.url}', api_key: k-00000000}}]\n",
                              env={}))
    engine.run_once()
    engine.stop()
    p = samples(Exposition(engine.view).render().decode())
    reported = {(lab["model"], lab["capability"]) for lab, _ in p["llm_model_capability"]}
    assert ("openai/gpt-4o-mini", "vision") in reported
    assert not any(cap == "tools" for _, cap in reported)
    assert not any(model == "acme/mystery" for model, _ in reported)
    assert value(p, "llm_model_capability", model="openai/gpt-4o-mini", capability="vision") == 1
    assert value(p, "llm_model_capability", model="raifle/sorcererlm-8x22b", capability="vision") == 0
    assert {lab["capability"] for lab, _ in p["llm_provider_capability"]} == {"streaming", "vision",
                                                                              "image_generation"}


def test_ollama_cloud_models_are_not_free_and_are_labelled(fake: FakeServer) -> None:
    fake.routes["/api/tags"] = fixture_reply("ollama__tags_cloud.json")
    fake.routes["/api/ps"] = fixture_reply("ollama__ps.json")  # loads mistral:latest, which tags does not list
    engine = Engine(load_text(f"sources: [{{name: ollama, type: ollama, url: '{fake.url}'}}]\n", env={}))
    engine.run_once()
    engine.stop()
    p = samples(Exposition(engine.view).render().decode())
    assert {lab["model"]: v for lab, v in p["llm_model_free"]} == {
        "llama3.2:latest": 1, "gpt-oss:120b-cloud": 0, "glm-4.6:cloud": 0}
    assert {lab["model"]: v for lab, v in p["llm_ollama_model_cloud"]} == {
        "llama3.2:latest": 0, "gpt-oss:120b-cloud": 1, "glm-4.6:cloud": 1}
    assert value(p, "llm_models", source="ollama", provider="ollama") == 3
    assert value(p, "llm_models_free", source="ollama", provider="ollama") == 1
    # a model in /api/ps that /api/tags does not list is still reported as loaded
    assert value(p, "llm_ollama_model_loaded", source="ollama", model="mistral:latest") == 1
    assert value(p, "llm_ollama_model_loaded", source="ollama", model="gpt-oss:120b-cloud") == 0
