"""/api/models, /api/route and /api/changes over real HTTP, and their answers to bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from exporter.web.app import App
from exporter.web.server import Server
from tests.support.catalogs import Clock, engine, http_source, litellm_model, litellm_source, serve_litellm, vendor
from tests.support.fakeserver import FakeServer, json_reply


@pytest.fixture
def api(fake: FakeServer) -> Iterator[tuple[str, FakeServer, Clock, object]]:
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


def get(url: str, path: str, status: int = 200) -> dict:  # type: ignore[type-arg]
    response = requests.get(url + path, timeout=5)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def ids(doc: dict) -> list[str]:  # type: ignore[type-arg]
    return [m["model"] for m in doc["models"]]


def test_models_sorted_free_first_unknown_price_last(api) -> None:  # type: ignore[no-untyped-def]
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
def test_models_filters_combine(api, query: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    url, *_ = api
    doc = get(url, f"/api/models?{query}")
    assert ids(doc) == expected
    if "limit" not in query and "offset" not in query:
        assert doc["total"] == len(expected)


def test_route_gives_the_best_and_three_fallbacks(api) -> None:  # type: ignore[no-untyped-def]
    url, *_ = api
    doc = get(url, "/api/route?class=chat")
    assert doc["class"] == "chat" and doc["input_output_ratio"] == 3
    assert doc["requires"] == {"capabilities": [], "min_context": 0, "include_free": False, "min_quality": None}
    assert doc["best"] == {"source": "acme", "provider": "acme", "model": "acme-small", "name": "acme-small",
                           "weighted_price_usd_per_token": 1.5e-07, "health": "healthy"}
    assert [f["model"] for f in doc["fallbacks"]] == ["mini", "large"]
    assert get(url, "/api/route?class=reasoning")["fallbacks"] == []


def test_route_skips_a_failed_source(api) -> None:  # type: ignore[no-untyped-def]
    url, fake, clock, e = api
    fake.routes["/acme/models"] = json_reply({"error": "maintenance"}, status=503)
    clock.now += 60
    e.run_once()
    doc = get(url, "/api/route?class=chat")
    assert doc["best"]["model"] == "mini"
    # the catalog still lists the stale model, with its health
    acme = get(url, "/api/models?source=acme")["models"][0]
    assert (acme["model"], acme["health"]) == ("acme-small", "down")


def test_changes_newest_first(api) -> None:  # type: ignore[no-untyped-def]
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
def test_bad_parameters_are_400_with_a_json_error(api, path: str, error: str) -> None:  # type: ignore[no-untyped-def]
    url, *_ = api
    doc = get(url, path, status=400)
    assert doc["error"] == error
    if "class" in error:
        assert doc["classes"] == ["chat", "tools", "vision", "long_context", "reasoning"]


# -- usage, recommendations and comparison ----------------------------------------------------
NOON = 1_795_392_000.0 + 12 * 3600  # 2026-11-23 12:00 UTC, a Monday


@pytest.fixture
def spend_api(fake: FakeServer, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import json

    serve_litellm(fake, "proxy", [
        litellm_model("mini", 1e-7, 4e-7, 128_000, function_calling=True),
        litellm_model("large", 2e-6, 8e-6, 200_000, function_calling=True),
    ])
    ledger = tmp_path / "app.jsonl"
    events = [{"ts": NOON - 3600 * i, "provider": "proxy", "model": "large", "task": "coding", "input_tokens": 1000,
               "output_tokens": 100, "success": i != 0, "duration_seconds": 2.0} for i in range(10)]
    events += [{"ts": NOON - 86400 * 3, "provider": "proxy", "model": "mini", "task": "summary", "input_tokens": 500,
                "output_tokens": 50}]
    ledger.write_text("".join(json.dumps(e) + "\n" for e in events))
    head = (f"usage: {{ledger: ['{ledger}']}}\n"
            "fleet:\n"
            "  models:\n"
            "    - {id: l, provider: proxy, model: large, scores: {coding: 90}, roles: [{name: coder}]}\n"
            "    - {id: m, provider: proxy, model: mini, scores: {coding: 80}}\n"
            "  roles:\n"
            "    coder: {min_scores: {coding: 75}, capabilities: [tools], tasks: [coding]}\n")
    e = engine(litellm_source(fake, "proxy"), Clock(NOON), head=head)
    e.run_once()
    server = Server(App(e), "127.0.0.1:0")
    server.start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()
    e.stop()


def test_usage_totals_by_group_and_window(spend_api: str) -> None:
    day = get(spend_api, "/api/usage?group_by=task&window=day")
    assert (day["group_by"], day["window"], day["since"]) == ("task", "day", 1_795_392_000.0)
    (coding,) = day["groups"]
    # 10 calls of 1000 x 2e-6 + 100 x 8e-6 = $0.0028 each
    assert coding == {"task": "coding", "requests": 10, "failures": 1, "success_ratio": 0.9,
                      "tokens": {"input": 10000, "output": 1000, "cache_read": 0}, "cost_usd": 0.028,
                      "mean_duration_seconds": 2.0}
    month = get(spend_api, "/api/usage?window=month")  # group_by defaults to model
    assert [(g["model"], g["requests"]) for g in month["groups"]] == [("large", 10), ("mini", 1)]
    assert month["total_cost_usd"] == pytest.approx(0.028 + 500 * 1e-7 + 50 * 4e-7)
    # a week starts on Monday: today is one, so the summary three days ago is last week's
    assert [g["model"] for g in get(spend_api, "/api/usage?window=week")["groups"]] == ["large"]


def test_recommendations_detail(spend_api: str) -> None:
    doc = get(spend_api, "/api/recommendations")
    assert doc["window_days"] == 7 and doc["min_savings_usd"] == 1
    coding = next(r for r in doc["recommendations"] if r["task"] == "coding")
    assert coding["role"] == "coder"
    assert coding["current"] == {"provider": "proxy", "model": "large", "monthly_cost_usd": pytest.approx(0.12)}
    assert coding["suggested"]["model"] == "mini"
    # mini: 10 x (1000 x 1e-7 + 100 x 4e-7) = $0.0014; (0.028 - 0.0014) x 30/7 = $0.114
    assert coding["savings_usd_per_month"] == pytest.approx(0.114)
    assert coding["quality_delta"] == -10
    assert not coding["exported"]  # under the $1 minimum
    summary = next(r for r in doc["recommendations"] if r["task"] == "summary")
    assert summary["suggested"] is None and "No fleet role" in summary["reasoning"]


def test_compare_side_by_side(spend_api: str) -> None:
    doc = get(spend_api, "/api/compare?models=large,mini,nope")
    large, mini, nope = doc["models"]
    assert nope == {"model": "nope", "known": False}
    assert large["known"] and large["listings"][0]["price_usd_per_token"] == {"input": 2e-06, "output": 8e-06}
    assert large["fleet"] == {"id": "l", "provider": "proxy", "status": "active", "scores": {"coding": 90.0},
                              "roles": [{"role": "coder", "priority": 1}]}
    assert large["recent"]["success_ratio"] == 0.9 and large["recent"]["mean_duration_seconds"] == 2.0
    assert mini["recent"]["requests"] == 1


@pytest.mark.parametrize(("path", "error"), [
    ("/api/usage?group_by=team", "group_by must be one of model, task, provider, got 'team'"),
    ("/api/usage?window=year", "window must be one of day, week, month, got 'year'"),
    ("/api/compare", "models is required: a comma-separated list of model ids"),
    ("/api/compare?models=,,", "models is required: a comma-separated list of model ids"),
    ("/api/compare?models=" + ",".join(f"m{i}" for i in range(11)), "models takes at most 10 ids, got 11"),
    ("/api/recommendations?task=coding", "unknown parameter 'task'"),
])
def test_spend_endpoints_answer_bad_parameters_with_400(spend_api: str, path: str, error: str) -> None:
    assert get(spend_api, path, status=400)["error"] == error


def test_hostile_ids_keep_every_page_whole(fake: FakeServer) -> None:
    """A lone surrogate in a model id and a key-looking query string in another: the JSON
    documents stay valid (redaction runs on the strings, before encoding), the unencodable
    character becomes U+FFFD, and the landing page answers 200."""
    body = (b'{"data": [{"id": "lone-\\ud800-id", "in": "1", "out": "2"},'
            b' {"id": "leak?key=abc\\"def", "in": "1", "out": "2"}]}')
    from tests.support.fakeserver import Reply

    fake.routes["/acme/models"] = Reply(body=body)
    e = engine(http_source(fake, "acme"), Clock())
    e.run_once()
    server = Server(App(e), "127.0.0.1:0")
    server.start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        models = {m["model"] for m in get(url, "/api/models")["models"]}
        assert models == {"lone-\ufffd-id", 'leak?key=<redacted>"def'}
        assert get(url, "/api/summary")["sources"][0]["up"] is True
        page = requests.get(url + "/", timeout=5)
        assert page.status_code == 200 and "lone-\ufffd-id" in page.text and "abc" not in page.text
    finally:
        server.stop()
        e.stop()
