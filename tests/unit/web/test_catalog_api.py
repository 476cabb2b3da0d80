"""/api/models, /api/route and /api/changes over real HTTP: sorting, filters, the route and its
fallbacks, bad parameters, upstreams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from exporter.engine import Engine
from exporter.web.app import App
from exporter.web.server import Server
from tests.support.catalogs import http_source, litellm_model, litellm_source, serve_litellm, vendor
from tests.support.clients import get_json as get
from tests.support.clock import NOW, Clock
from tests.support.engines import engine
from tests.support.fakeserver import FakeServer, fixture, json_reply
from tests.support.openrouter import openrouter


def test_api_models_lists_upstreams_and_routes_avoid_a_model_with_none_up(fake: FakeServer) -> None:
    down = json.loads(fixture("openrouter__model_endpoints.json"))
    for endpoint in down["data"]["endpoints"]:
        endpoint["status"] = -5
    fake.routes["/or/models/openai/gpt-4o/endpoints"] = json_reply(down)

    def route_and_models(watch: str) -> tuple[list[str], dict[str, Any]]:
        e = engine(openrouter(fake, models=watch), Clock(NOW))
        server = Server(App(e), "127.0.0.1:0")
        server.start()
        try:
            e.run_once()
            url = f"http://127.0.0.1:{server.port}"
            route = requests.get(url + "/api/route?class=chat", timeout=5).json()
            models = requests.get(url + "/api/models?id=openai/gpt-4o&id=google/gemini-2.5-pro", timeout=5).json()
        finally:
            server.stop()
            e.stop()
        chosen = [c["model"] for c in [route["best"], *route["fallbacks"]] if c]
        return chosen, {m["model"]: m for m in models["models"]}

    chosen, models = route_and_models("[]")
    assert "openai/gpt-4o" in chosen and models["openai/gpt-4o"]["upstreams"] is None
    chosen, models = route_and_models("[openai/gpt-4o]")
    assert "openai/gpt-4o" not in chosen and "google/gemini-2.5-pro" in chosen
    assert set(models) == {"openai/gpt-4o", "google/gemini-2.5-pro"}
    upstreams = models["openai/gpt-4o"]["upstreams"]
    assert [(u["upstream"], u["up"], u["status"]) for u in upstreams] == [
        ("deepinfra/fp8", False, -5), ("together/fp8", False, -5)]
    assert upstreams[0]["uptime_ratio"] == {"5m": 1.0, "30m": 0.9962, "1d": 0.9941}
    assert upstreams[0]["latency_seconds"]["0.5"] == pytest.approx(0.612)
    assert models["google/gemini-2.5-pro"]["upstreams"] is None  # not watched


# the catalog API's address, the vendors behind it, the clock and the engine it serves
Api = tuple[str, FakeServer, Clock, Engine]


@pytest.fixture
def api(fake: FakeServer) -> Iterator[Api]:
    serve_litellm(fake, "proxy", [
        litellm_model("mini", 1e-7, 4e-7, 128_000, function_calling=True, vision=True),
        litellm_model("large", 2e-6, 8e-6, 200_000, function_calling=True, vision=True, reasoning=True),
        litellm_model("local", 0.0, 0.0, 8192),
    ])
    fake.routes["/acme/models"] = json_reply(vendor([("acme-small", "0.1", "0.3"), ("acme-router", None, None)]))
    clock = Clock()
    e = engine(litellm_source(fake, "proxy") + http_source(fake, "acme"), clock)
    e.run_once()
    server = Server(App(e), "127.0.0.1:0")
    server.start()
    yield f"http://127.0.0.1:{server.port}", fake, clock, e
    server.stop()
    e.stop()




def ids(doc: dict[str, Any]) -> list[str]:
    return [m["model"] for m in doc["models"]]


def test_models_sorted_free_first_unknown_price_last(api: Api) -> None:
    url, *_ = api
    doc = get(url, "/api/models")
    assert doc["total"] == 5 and doc["offset"] == 0 and doc["limit"] == 100
    assert ids(doc) == ["local", "acme-small", "mini", "large", "acme-router"]
    mini = doc["models"][2]
    assert mini == {
        "source": "proxy", "provider": "proxy", "model": "mini", "name": "mini", "free": False,
        "weighted_price_usd_per_token": 1.75e-07, "price_usd_per_token": {"input": 1e-07, "output": 4e-07},
        "context_length_tokens": 128000, "capabilities": {"tools": True, "vision": True}, "health": "healthy",
        "first_seen": Clock().now, "retires_at": None, "replacement": None, "upstreams": None,
    }
    # the http source reports no capabilities: none are listed, rather than all false
    assert doc["models"][1]["capabilities"] == {}


@pytest.mark.parametrize(("query", "expected"), [
    ("free=true", ["local"]),
    ("free=false", ["acme-small", "mini", "large", "acme-router"]),
    ("capability=vision", ["mini", "large"]),
    ("capability=vision&capability=reasoning", ["large"]),
    ("class=long_context", ["mini", "large"]),
    ("class=reasoning", ["large"]),
    ("provider=acme", ["acme-small", "acme-router"]),
    ("source=proxy&free=false", ["mini", "large"]),
    ("min_context=150000", ["large"]),
    ("limit=2", ["local", "acme-small"]),
    ("limit=2&offset=3", ["large", "acme-router"]),
    ("offset=9", []),
    ("id=large&id=acme-small", ["acme-small", "large"]),
    ("id=large&free=true", []),
])
def test_models_filters_combine(api: Api, query: str, expected: list[str]) -> None:
    url, *_ = api
    doc = get(url, f"/api/models?{query}")
    assert ids(doc) == expected
    if "limit" not in query and "offset" not in query:
        assert doc["total"] == len(expected)


def test_route_gives_the_best_and_three_fallbacks(api: Api) -> None:
    url, *_ = api
    doc = get(url, "/api/route?class=chat")
    assert doc["class"] == "chat" and doc["input_output_ratio"] == 3
    assert doc["requires"] == {"capabilities": [], "min_context": 0, "include_free": False, "min_quality": None}
    assert doc["best"] == {"source": "acme", "provider": "acme", "model": "acme-small", "name": "acme-small",
                           "weighted_price_usd_per_token": 1.5e-07, "health": "healthy"}
    assert [f["model"] for f in doc["fallbacks"]] == ["mini", "large"]
    assert get(url, "/api/route?class=reasoning")["fallbacks"] == []


def test_route_skips_a_failed_source(api: Api) -> None:
    url, fake, clock, e = api
    fake.routes["/acme/models"] = json_reply({"error": "maintenance"}, status=503)
    clock.now += 60
    e.run_once()
    doc = get(url, "/api/route?class=chat")
    assert doc["best"]["model"] == "mini"
    # the catalog still lists the stale model, with its health
    acme = get(url, "/api/models?source=acme")["models"][0]
    assert (acme["model"], acme["health"]) == ("acme-small", "down")


def test_changes_newest_first(api: Api) -> None:
    url, fake, clock, e = api
    assert get(url, "/api/changes") == {"total": 0, "limit": 50, "changes": []}
    fake.routes["/acme/models"] = json_reply(vendor([("acme-small", "0.2", "0.3"), ("acme-new", "1", "1")]))
    clock.now += 60
    e.run_once()
    doc = get(url, "/api/changes?limit=2")
    assert doc["total"] == 3 and doc["limit"] == 2
    assert [(c["model"], c["change"]) for c in doc["changes"]] == [("acme-router", "removed"), ("acme-new", "added")]
    full = get(url, "/api/changes")["changes"]
    reprice = next(c for c in full if c["change"] == "price_changed")
    assert reprice == {"time": clock.now, "source": "acme", "provider": "acme", "model": "acme-small",
                       "change": "price_changed",
                       "old_price_usd_per_token": {"input": 1e-07, "output": 3e-07},
                       "new_price_usd_per_token": {"input": 2e-07, "output": 3e-07}}
    removed = full[0]
    assert removed["new_price_usd_per_token"] is None
    assert removed["old_price_usd_per_token"] == {"input": None, "output": None}


@pytest.mark.parametrize(("path", "error"), [
    ("/api/models?free=yes", "free must be true or false, got 'yes'"),
    ("/api/models?capability=telepathy", "unknown capability 'telepathy'"),
    ("/api/models?class=poetry", "unknown class 'poetry'"),
    ("/api/models?min_context=-1", "min_context must be at least 0, got -1"),
    ("/api/models?min_context=lots", "min_context must be a whole number, got 'lots'"),
    ("/api/models?limit=0", "limit must be from 1 to 1000, got 0"),
    ("/api/models?limit=1001", "limit must be from 1 to 1000, got 1001"),
    ("/api/models?offset=-5", "offset must be at least 0, got -5"),
    ("/api/models?limit=1&limit=2", "limit is given 2 times; give it once"),
    ("/api/models?sort=price", "unknown parameter 'sort'"),
    ("/api/route", "class is required"),
    ("/api/route?class=", "unknown class ''"),
    ("/api/route?class=poetry", "unknown class 'poetry'"),
    ("/api/changes?limit=201", "limit must be from 1 to 200, got 201"),
    ("/api/changes?limit=%00", "limit must be a whole number, got '\\x00'"),
])
def test_bad_parameters_are_400_with_a_json_error(api: Api, path: str, error: str) -> None:
    url, *_ = api
    doc = get(url, path, status=400)
    assert doc["error"] == error
    if "class" in error:
        assert doc["classes"] == ["chat", "tools", "vision", "long_context", "reasoning"]
