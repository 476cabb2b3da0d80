"""The demo fleet moves: what it says depends on the time since it started (any moment can be
asked for, with a clock)."""

from __future__ import annotations

from exporter.demo import outages
from exporter.demo.simulator import VendorSimulator
from tests.support.clock import Clock

START = 1_000_000.0  # the simulator only counts the seconds since its start


def at(seconds: float) -> VendorSimulator:
    clock = Clock(START)
    sim = VendorSimulator(clock=clock, seed=1)
    clock.now += seconds
    return sim


def test_a_provider_degrades_goes_down_and_recovers() -> None:
    assert [at(t).health("anthropic") for t in (0, 210, 260, 310)] == ["healthy", "degraded", "down", "healthy"]
    stats = at(260).gatewayz_stats()
    assert stats["down"] == 2 and stats["total"] == 7  # anthropic, and inactive mistral


def test_the_free_model_comes_and_goes() -> None:
    def ids(t: float) -> list[str]:
        return [m["id"] for m in at(t).openrouter_models()["data"]]

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
    # never below the floor: it is topped up instead, except while the account is out of credit
    for t in range(0, 90000, 997):
        total = float(at(t).deepseek_balance()["balance_infos"][0]["total_balance"])
        assert total == 0 if outages.out_of_credit(t) else total >= 2, t


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


def test_catalogs_announce_retirements_relative_to_now() -> None:
    sim = at(0)  # the clock at 1,000,000 s: 1970-01-12 13:46:40 UTC
    sonnet = next(m for m in sim.openrouter_models()["data"] if m["id"] == "anthropic/claude-sonnet-4")
    assert sonnet["expiration_date"] == "1970-02-02"
    assert [m["id"] for m in sim.openrouter_models()["data"] if "expiration_date" in m] == [sonnet["id"]]
    codestral = next(m for m in sim.mistral_models()["data"] if m["id"] == "codestral-2405")
    assert (codestral["deprecation"], codestral["deprecation_replacement_model"]) == (
        "1970-02-23T00:00:00Z", "codestral-latest")
