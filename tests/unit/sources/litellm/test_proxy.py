"""The LiteLLM proxy: readiness and its model groups with prices and capabilities."""

from __future__ import annotations

import pytest

from exporter.http import FetchError
from tests.support.adapters import D, poll
from tests.support.fakeserver import FakeServer, fixture_reply, json_reply


# -- litellm --------------------------------------------------------------------------------
def test_litellm(fake: FakeServer) -> None:
    fake.routes["/health/readiness"] = fixture_reply("litellm__health_readiness.json")
    fake.routes["/model/info"] = fixture_reply("litellm__model_info.json")
    snap, rec = poll("litellm", fake.url)
    gpt, local = snap.models
    assert dict(gpt.prices) == {"input": D("0.0000025"), "output": D("0.00001"), "cache_read": D("0.00000125")}
    assert (gpt.context_length, gpt.free) == (128000, False)
    assert dict(gpt.capabilities) == {"tools": True, "vision": True, "reasoning": False, "structured_output": True}
    assert (local.id, local.free, dict(local.capabilities)) == ("local-llama", True, {"tools": False})
    assert "ollama:11434" not in repr(snap)  # api_base is never read
    assert rec.requests == {"readiness": 1, "model_info": 1}


def test_litellm_not_ready(fake: FakeServer) -> None:
    fake.routes["/health/readiness"] = json_reply({"detail": "Service Unhealthy (db)"}, status=503)
    with pytest.raises(FetchError) as err:
        poll("litellm", fake.url)
    assert (err.value.endpoint, err.value.reason) == ("readiness", "http_error")
