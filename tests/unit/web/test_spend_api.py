"""/api/usage, /api/recommendations and /api/compare over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from exporter.web.app import App
from exporter.web.server import Server
from tests.support.catalogs import litellm_model, litellm_source, serve_litellm
from tests.support.clients import get_json as get
from tests.support.clock import Clock
from tests.support.engines import engine
from tests.support.fakeserver import FakeServer

# -- usage, recommendations and comparison ----------------------------------------------------
NOON = 1_795_392_000.0 + 12 * 3600  # 2026-11-23 12:00 UTC, a Monday


@pytest.fixture
def spend_api(fake: FakeServer, tmp_path: Path) -> Iterator[str]:
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
