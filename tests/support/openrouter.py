"""An OpenRouter source on the fake server that watches the upstream endpoints of some models,
from the recorded answers."""

from __future__ import annotations

import secrets

from tests.support.fakeserver import FakeServer, fixture_reply, json_reply

R1 = "deepseek/deepseek-r1"  # the model whose endpoints are recorded
RUN_KEY = secrets.token_hex(16)  # made for this run: no key is committed


def openrouter(fake: FakeServer, *, models: str = f"[{R1}, nope/unknown]", extra: str = "") -> str:
    """The source's config entry; `models` are the watched ones (nope/unknown answers 404)."""
    fake.routes["/or/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/or/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/or/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    fake.routes[f"/or/models/{R1}/endpoints"] = fixture_reply("openrouter__model_endpoints.json")
    fake.routes["/or/models/nope/unknown/endpoints"] = json_reply(
        {"error": {"code": 404, "message": "Model not found"}}, status=404)
    return (f"  - name: or\n    type: openrouter\n    url: '{fake.url}/or'\n    api_key: {RUN_KEY}\n"
            f"    endpoints: {{models: {models}{extra}}}\n")
