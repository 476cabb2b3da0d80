"""Ollama: installed and loaded models, nothing loaded."""

from __future__ import annotations

from exporter.collector import Exposition
from exporter.config import load_text
from exporter.engine import Engine
from tests.support.adapters import poll
from tests.support.fakeserver import FakeServer, fixture_reply, json_reply
from tests.support.metrics import samples, value


# -- ollama ---------------------------------------------------------------------------------
def test_ollama_installed_and_loaded(fake: FakeServer) -> None:
    fake.routes["/api/tags"] = fixture_reply("ollama__tags.json")
    fake.routes["/api/ps"] = fixture_reply("ollama__ps.json")
    snap, rec = poll("ollama", fake.url, key=None)
    assert snap.ollama_installed == ("codellama:13b", "llama3:latest")
    assert [(m.model, m.vram_bytes) for m in snap.ollama_loaded] == [("mistral:latest", 5137025024)]
    assert [(m.id, m.free) for m in snap.models] == [("codellama:13b", True), ("llama3:latest", True)]
    assert rec.requests == {"tags": 1, "ps": 1}
    assert "Authorization" not in fake.requests_to("/api/tags")[0].headers


def test_ollama_nothing_loaded(fake: FakeServer) -> None:
    fake.routes["/api/tags"] = json_reply({"models": []})
    fake.routes["/api/ps"] = json_reply({"models": []})
    snap, _ = poll("ollama", fake.url, key=None)
    assert snap.ollama_installed == () and snap.ollama_loaded == () and snap.catalog


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
