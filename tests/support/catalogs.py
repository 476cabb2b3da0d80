"""Catalogs served from the fake server: an `http` source whose models a test rewrites
between polls, and LiteLLM proxies whose models carry capabilities."""

from __future__ import annotations

from typing import Any

from exporter.collector import Exposition
from exporter.config import load_text
from exporter.engine import Engine
from tests.support.fakeserver import FakeServer, json_reply


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


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


def engine(sources: str, clock: Clock, *, head: str = "", persist: bool = False) -> Engine:
    return Engine(load_text("timeout: 2s\n" + head + "sources:\n" + sources, env={}), clock=clock,
                  backoff=0.01, persist=persist)


def metrics(e: Engine) -> str:
    return Exposition(e.view).render().decode()
