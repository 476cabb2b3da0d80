"""The demo's streamed answers: the cycle of slow, limited and cut answers the probe alerts need,
rate-limit headroom that runs low for long enough, and fingerprint changes."""

from __future__ import annotations


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
