"""The model families: a capability a source does not report has no sample (not 0)."""

from __future__ import annotations

from exporter.collector import Exposition
from exporter.config import load_text
from exporter.engine import Engine
from tests.support.fakeserver import FakeServer, fixture_reply
from tests.support.metrics import samples, value


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
