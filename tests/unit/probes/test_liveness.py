"""Liveness checks over real HTTP against vendors that answer as the recorded ones do: a dead
model's refusal gives servable 0 with its reason and retirement date, a normal answer 1, and
anything else keeps the last verdict; the checks share the probes' daily budget, skip a source
that is down, and never run on the scrape path."""

from __future__ import annotations

import json
from decimal import Decimal

from exporter.collector import Exposition
from tests.support.adapters import KEY
from tests.support.catalogs import litellm_model, litellm_source, serve_litellm
from tests.support.clock import NOW, Clock, utc
from tests.support.engines import engine_for, metrics
from tests.support.fakeserver import FakeServer, PerModel, Reply, fixture, fixture_reply, json_reply
from tests.support.metrics import samples, value

DEAD = "deepseek-ai/deepseek-v4-pro"
OLD = "davinci"


def completion(cost: float | None = None) -> Reply:
    """A non-streamed chat completion cut at one token, as OpenAI-compatible vendors answer."""
    usage: dict[str, object] = {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}
    if cost is not None:
        usage["cost"] = cost  # OpenRouter's own figure
    return json_reply({"id": "chatcmpl-1", "object": "chat.completion", "model": "m", "usage": usage,
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"},
                                    "finish_reason": "length"}]})


def vendor(fake: FakeServer, cost: float | None = None) -> None:
    models = [{"id": m, "object": "model", "created": 1, "owned_by": "x"} for m in ("gpt-4o-mini", DEAD, OLD)]
    fake.routes["/v1/models"] = json_reply({"object": "list", "data": models})
    fake.routes["/v1/chat/completions"] = PerModel({
        DEAD: fixture_reply("nvidia_nim__error_410_end_of_life.json", status=410,
                            headers={"Content-Type": "application/problem+json"}),
        OLD: fixture_reply("openai__error_404_model_deprecated.json", status=404),
    }, completion(cost))


def config(fake: FakeServer, extra: str = "") -> str:
    return f"""
timeout: 5s
sources:
  - {{name: oai, type: openai, url: '{fake.url}/v1', api_key: {KEY}}}
probes: {{daily_budget_usd: 0.001}}
liveness:
  models:
    - {{source: oai, models: [gpt-4o-mini, {DEAD}, {OLD}]}}
{extra}
"""


def checks(fake: FakeServer) -> list[str]:
    return [json.loads(s.body)["model"] for s in fake.requests_to("/v1/chat/completions")]


def test_a_dead_model_is_not_servable_with_its_reason_and_retirement(fake: FakeServer) -> None:
    vendor(fake)
    e = engine_for(config(fake), Clock(NOW))
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert sorted(checks(fake)) == sorted(["gpt-4o-mini", DEAD, OLD])
    request = json.loads(fake.requests_to("/v1/chat/completions")[0].body)
    assert request["max_tokens"] == 1 and "stream" not in request  # the smallest call there is
    servable = {lab["model"]: v for lab, v in p["llm_model_servable"]}
    assert servable == {"gpt-4o-mini": 1.0, DEAD: 0.0, OLD: 0.0}
    reasons = {lab["model"]: lab["reason"] for lab, _ in p["llm_model_unservable_reason_info"]}
    assert reasons == {DEAD: "end_of_life", OLD: "end_of_life"}
    # NIM's detail names the instant; OpenAI's deprecation names no date, so none is made up
    assert value(p, "llm_model_retirement_timestamp_seconds", model=DEAD) == utc(2026, 8, 7, 9)
    assert not [lab for lab, _ in p.get("llm_model_retirement_timestamp_seconds", []) if lab["model"] == OLD]
    assert value(p, "llm_liveness_checks", source="oai", model=DEAD) == 1


def test_an_unservable_model_never_wins_a_route(fake: FakeServer) -> None:
    serve_litellm(fake, "proxy", [litellm_model("cheap-dead", 1e-7, 1e-7), litellm_model("dear-alive", 1e-6, 1e-6)])
    # OpenRouter's refusal of a model without endpoints, naming the model asked for
    refusal = fixture("openrouter__error_404_no_endpoints.json").replace(b"deepseek/deepseek-chat-v3.1:free",
                                                                         b"cheap-dead")
    fake.routes["/proxy/chat/completions"] = PerModel({"cheap-dead": Reply(status=404, body=refusal)}, completion())
    e = engine_for("sources:\n" + litellm_source(fake, "proxy")
                   + "liveness: {models: [{source: proxy, models: [cheap-dead, dear-alive]}]}\n", Clock(NOW))
    try:
        e.run_once()
        route = [c.model for c in e.view().catalog.routes["chat"]]
    finally:
        e.stop()
    assert route == ["dear-alive"]


def test_anything_but_a_refusal_of_the_model_keeps_the_last_verdict(fake: FakeServer) -> None:
    vendor(fake)
    e = engine_for(config(fake), Clock(NOW))
    try:
        e.run_once()
        fake.routes["/v1/chat/completions"] = PerModel({DEAD: json_reply({"error": {"message": "upstream"}},
                                                                          status=503)}, json_reply(
            {"error": {"message": "max_tokens must be at least 16 for this model", "type": "invalid_request_error"}},
            status=400))
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    servable = {lab["model"]: v for lab, v in p["llm_model_servable"]}
    assert servable == {"gpt-4o-mini": 1.0, DEAD: 0.0, OLD: 0.0}
    assert value(p, "llm_liveness_checks", source="oai", model=DEAD) == 2


def test_the_checks_share_the_probes_budget_and_count_what_they_skip(fake: FakeServer) -> None:
    vendor(fake, cost=0.01)  # each answer costs more than the day's whole budget of 0.001
    e = engine_for(config(fake), Clock(NOW))
    try:
        e.run_once()  # the first answer spends the budget; checks that start after it are skipped
        first = len(checks(fake))
        e.run_once()  # nothing more is asked today
        e.run_once()
        view = e.view()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert "gpt-4o-mini" in checks(fake) and len(checks(fake)) == first
    assert value(p, "llm_liveness_checks_skipped", source="oai", reason="budget") == (3 - first) + 6
    assert value(p, "llm_liveness_checks_skipped", source="oai", reason="source_down") == 0
    assert view.probes.spend_today_usd == Decimal("0.01")  # the one answer; the refusals cost nothing


def test_a_source_that_is_down_is_not_checked(fake: FakeServer) -> None:
    vendor(fake)
    fake.routes["/v1/models"] = json_reply({"error": "down"}, status=503)
    e = engine_for(config(fake), Clock(NOW))
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert checks(fake) == []
    assert value(p, "llm_liveness_checks_skipped", source="oai", reason="source_down") == 3
    assert "llm_model_servable" not in p


def test_scrapes_never_check(fake: FakeServer) -> None:
    vendor(fake)
    e = engine_for(config(fake), Clock(NOW))
    try:
        e.run_once()
        asked = len(checks(fake))
        exposition = Exposition(e.view)
        for _ in range(5):
            exposition.render()
    finally:
        e.stop()
    assert len(checks(fake)) == asked == 3
