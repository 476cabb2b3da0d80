"""Snapshots: a model id listed twice resolves to one entry everywhere it is read."""

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
