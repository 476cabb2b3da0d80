"""The demo fleet moves: what it says depends on the time since it started (any moment can be
asked for, with a clock)."""

from __future__ import annotations

from exporter.demo.simulator import VendorSimulator


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def at(seconds: float) -> VendorSimulator:
    clock = Clock()
    sim = VendorSimulator(clock=clock, seed=1)
    clock.now += seconds
    return sim


def test_a_provider_degrades_goes_down_and_recovers() -> None:
    assert [at(t).health("anthropic") for t in (0, 210, 260, 310)] == ["healthy", "degraded", "down", "healthy"]
    stats = at(260).gatewayz_stats()
    assert stats["down"] == 2 and stats["total"] == 7  # anthropic, and inactive mistral


def test_the_free_model_comes_and_goes() -> None:
    ids = lambda t: [m["id"] for m in at(t).openrouter_models()["data"]]  # noqa: E731
    blinking = "meta-llama/llama-3.3-70b-instruct:free"
    # absent at the start, so the second poll (15 s) discovers it; gone from 130 s to 190 s
    assert [blinking in ids(t) for t in (0, 9, 10, 129, 130, 189, 190)] == [False, False, True, True, False, False,
                                                                          True]


def test_the_cheap_vendor_goes_down_and_recovers() -> None:
    assert [at(t).acme_health()[0] for t in (0, 149, 150, 239, 240)] == [200, 200, 503, 503, 200]


def test_balances_drain_and_refill() -> None:
    early, later = at(0).openrouter_key()["data"], at(3600).openrouter_key()["data"]
    assert later["limit_remaining"] < early["limit_remaining"]
    assert float(at(3600).deepseek_balance()["balance_infos"][0]["total_balance"]) == 44.0
    # never below the floor: it is topped up instead
    assert all(float(at(t).deepseek_balance()["balance_infos"][0]["total_balance"]) >= 2 for t in range(0, 90000, 997))


def test_latency_jitters() -> None:
    sim = at(0)
    values = {p["average_response_time_ms"] for _ in range(5) for p in sim.gatewayz_providers()
              if p["slug"] == "openai"}
    assert len(values) > 1


def test_proxy_account_rate_limit_window() -> None:
    assert at(10).ccflare_health()[0] == 200
    status, body = at(200).ccflare_health()
    assert (status, body["status"]) == (503, "degraded")
    limited = [a for a in at(200).ccflare_accounts() if a["rateLimitedUntil"]]
    assert [a["name"] for a in limited] == ["claude-max-2"]


def test_paging_shapes() -> None:
    sim = at(0)
    first = sim.anthropic_models(None)
    second = sim.anthropic_models(first["last_id"])
    assert first["has_more"] and not second["has_more"]
    assert len(first["data"]) + len(second["data"]) == 4
    page = sim.gemini_models(None)
    assert "nextPageToken" not in sim.gemini_models(page["nextPageToken"])


def test_streamed_answers_cycle_through_slow_limited_and_cut() -> None:
    from exporter.demo.streaming import PROBE_CYCLE, StreamSim

    sim = StreamSim(seed=1)
    plans = [sim.plan("anthropic/claude-haiku-4-5", 8) for _ in range(PROBE_CYCLE)]
    assert [p.status for p in plans].count(429) == 1 and plans[6].status == 429
    assert plans[3].ttft > 3.0 and all(p.ttft < 0.7 for i, p in enumerate(plans) if i not in (3, 6))
    assert [i for i, p in enumerate(plans) if p.cut] == [11]
    assert plans[0].tokens == 7  # the whole answer fits in max_tokens 8


def test_spells_make_the_probe_alerts_fire() -> None:
    from exporter.demo.streaming import StreamSim

    sim = StreamSim(seed=1)
    # GPT-4o-mini on OpenRouter: 503 from 5 to 7 minutes, more than 3 probes at 30 s
    assert [sim.plan("openrouter/openai/gpt-4o-mini", 8, elapsed=t).status for t in (299, 300, 419, 420)] == [
        200, 503, 503, 200]
    # Gemini 2.5 Flash: over the demo's 2 s slow_first_token threshold for 12 minutes
    assert all(sim.plan("gemini/gemini-2.5-flash", 8, elapsed=t).ttft > 2.5 for t in (0, 400, 719))
    assert StreamSim(seed=1).plan("gemini/gemini-2.5-flash", 8, elapsed=721).ttft < 2.0


def test_deepseek_loses_every_upstream_and_the_alerts_can_fire() -> None:
    from exporter.demo.upstreams import endpoints

    def at_time(t: float) -> list[dict]:  # type: ignore[type-arg]
        status, body = endpoints("deepseek/deepseek-chat-v3", t, 1.0)
        assert status == 200
        return body["data"]["endpoints"]

    # serving at the start with full uptime, all down from 15 to 27 minutes, back after
    assert {e["status"] for e in at_time(0)} == {0} and {e["uptime_last_30m"] for e in at_time(0)} == {100.0}
    assert all({e["status"] for e in at_time(t)} == {-2} for t in range(900, 1620, 60))  # 12 min > the 10m `for:`
    assert {e["status"] for e in at_time(1620)} == {0} == {e["status"] for e in at_time(899)}
    # the best upstream's 30-minute uptime stays under 90% for longer than the 15m `for:`
    under = [t for t in range(0, 3600, 60) if max(e["uptime_last_30m"] for e in at_time(t)) < 90]
    assert len(under) * 60 > 15 * 60 and under == list(range(under[0], under[-1] + 60, 60))
    # no data yet (OpenRouter's null) for one upstream's latency and shortest uptime window
    fireworks = next(e for e in at_time(0) if e["tag"] == "fireworks")
    assert fireworks["latency_last_30m"] is None and fireworks["uptime_last_5m"] is None
    assert endpoints("nobody/unknown", 0, 1.0)[0] == 404


def test_rate_limit_headroom_runs_low_for_longer_than_the_alert_waits() -> None:
    from exporter.demo.streaming import ratelimit_headers

    def left(vendor: str, t: float, kind: str) -> float:
        h = ratelimit_headers(vendor, t, 1_000_000.0 + t)
        if vendor == "anthropic":
            return int(h[f"anthropic-ratelimit-{kind}-remaining"]) / int(h[f"anthropic-ratelimit-{kind}-limit"])
        return int(h[f"x-ratelimit-remaining-{kind}"]) / int(h[f"x-ratelimit-limit-{kind}"])

    for vendor in ("openai", "anthropic"):
        low = [t for t in range(0, 1800, 30) if left(vendor, t, "tokens") < 0.1]
        assert len(low) * 30 >= 12 * 60 and low[0] == 900, vendor
        assert left(vendor, 0, "tokens") > 0.5 and left(vendor, 0, "requests") > 0.9
    assert ratelimit_headers("openrouter", 0, 0) == {} and ratelimit_headers("gemini", 0, 0) == {}
    assert ratelimit_headers("anthropic", 0, 1_000_000.0)["anthropic-ratelimit-tokens-reset"] == "1970-01-12T13:47:00Z"


def test_fingerprint_changes_and_anthropic_overloads_once_a_cycle() -> None:
    from exporter.demo.streaming import PROBE_CYCLE, StreamSim, fingerprint

    assert fingerprint(0) == fingerprint(2699) != fingerprint(2700)
    sim = StreamSim(seed=1)
    statuses = [sim.plan("anthropic/claude-haiku-4-5", 8).status for _ in range(PROBE_CYCLE)]
    assert statuses.count(529) == 1 and statuses[9] == 529
    assert 529 not in [sim.plan("gemini/gemini-2.5-flash", 8).status for _ in range(PROBE_CYCLE)]


def test_catalogs_announce_retirements_relative_to_now() -> None:
    sim = at(0)  # the clock at 1,000,000 s: 1970-01-12 13:46:40 UTC
    sonnet = next(m for m in sim.openrouter_models()["data"] if m["id"] == "anthropic/claude-sonnet-4")
    assert sonnet["expiration_date"] == "1970-02-02"
    assert [m["id"] for m in sim.openrouter_models()["data"] if "expiration_date" in m] == [sonnet["id"]]
    codestral = next(m for m in sim.mistral_models()["data"] if m["id"] == "codestral-2405")
    assert (codestral["deprecation"], codestral["deprecation_replacement_model"]) == (
        "1970-02-23T00:00:00Z", "codestral-latest")
