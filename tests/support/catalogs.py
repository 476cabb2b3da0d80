"""Catalogs served from the fake server: an `http` source whose models a test rewrites
between polls, and LiteLLM proxies whose models carry capabilities."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exporter.snapshot import Model
from tests.support.fakeserver import FakeServer, json_reply


def model(model_id: str, inp: str | None = None, out: str | None = None, free: bool = False) -> Model:
    """A catalog entry of provider `p`, with the prices given (USD per token)."""
    prices = tuple((k, Decimal(v)) for k, v in (("input", inp), ("output", out)) if v is not None)
    return Model(provider="p", id=model_id, name=model_id, prices=prices, free=free)


def vendor(models: list[tuple[str, str | None, str | None]]) -> dict[str, Any]:
    """A body for the `http` source below: (id, USD per 1M input, per 1M output)."""
    return {"data": [{"id": i, "in": inp, "out": out} for i, inp, out in models]}


def http_source(fake: FakeServer, name: str) -> str:
    return (f"  - name: {name}\n    type: http\n"
            f"    models: {{url: '{fake.url}/{name}/models', items: data, id: id, input_price: in, "
            "output_price: out, price_scale: 1e-6}\n")


def litellm_model(name: str, inp: float, out: float, context: int = 8192, **flags: bool) -> dict[str, Any]:
    info = {"input_cost_per_token": inp, "output_cost_per_token": out, "max_input_tokens": context, "mode": "chat"}
    info.update({f"supports_{k}": v for k, v in flags.items()})
    return {"model_name": name, "model_info": info}


def serve_litellm(fake: FakeServer, name: str, models: list[dict[str, Any]], ready: bool = True) -> None:
    fake.routes[f"/{name}/health/readiness"] = json_reply(
        {"status": "healthy"} if ready else {"detail": "Service Unhealthy"}, status=200 if ready else 503)
    fake.routes[f"/{name}/model/info"] = json_reply({"data": models})


def litellm_source(fake: FakeServer, name: str) -> str:
    return f"  - {{name: {name}, type: litellm, url: '{fake.url}/{name}'}}\n"
