"""better-ccflare and the original ccflare: accounts, stats, a 503 that still carries its body."""

from __future__ import annotations

import json
import time

import pytest

from exporter.http import FetchError
from tests.support.adapters import D, poll
from tests.support.clock import NOW
from tests.support.fakeserver import FakeServer, Reply, fixture, fixture_reply, json_reply
from tests.support.present import present


# -- ccflare --------------------------------------------------------------------------------
def ccflare_routes(fake: FakeServer, accounts: object, health: Reply | None = None) -> None:
    fake.routes["/health"] = health or fixture_reply("better_ccflare__health.json")
    fake.routes["/api/stats"] = fixture_reply("better_ccflare__stats.json")
    fake.routes["/api/accounts"] = json_reply(accounts)


def test_better_ccflare(fake: FakeServer) -> None:
    accounts = json.loads(fixture("better_ccflare__accounts.json"))
    soon_ms = int((time.time() + 600) * 1000)
    accounts.append({**accounts[0], "name": "limited", "paused": False, "rateLimitedUntil": soon_ms,
                     "rateLimitStatus": "OK", "totalRequests": "7"})
    ccflare_routes(fake, accounts)
    snap, rec = poll("ccflare", fake.url, key=None, stats_window_days=7)
    proxy = present(snap.proxy)
    assert proxy.up
    assert (proxy.requests, proxy.tokens, proxy.cost_usd) == (5000, 1500000, D("125.5"))
    assert (proxy.success_ratio, proxy.response_time_seconds, proxy.window_days) == (0.98, 1.25, 7)
    by_name = {a.name: a for a in proxy.accounts}
    assert by_name["account1"].state == "available"
    assert by_name["account1"].total_requests == 1500  # lifetime totalRequests, not requestCount
    assert by_name["account1"].token_expires_at == 1787335200.0  # 2026-08-21T18:00:00Z
    assert by_name["account1"].rate_limited_until is None
    # paused wins over an (expired) rate limit; prose in rateLimitStatus is never parsed
    assert (by_name["openrouter-backup"].state, by_name["openrouter-backup"].rate_limited_until) == ("paused", None)
    assert by_name["limited"].state == "rate_limited"
    assert by_name["limited"].rate_limited_until == soon_ms / 1000
    assert by_name["limited"].total_requests == 7
    assert fake.requests_to("/api/stats")[0].query == {"since": ["7"]}
    assert rec.requests == {"health": 1, "stats": 1, "accounts": 1} and not rec.failures


def test_ccflare_503_with_body_is_not_a_failure(fake: FakeServer) -> None:
    ccflare_routes(fake, [], health=fixture_reply("better_ccflare__health_detail.json", status=503))
    snap, rec = poll("ccflare", fake.url, key=None)
    assert present(snap.proxy).up is False and present(snap.proxy).accounts == ()
    assert not rec.failures


def test_ccflare_503_without_body_fails(fake: FakeServer) -> None:
    ccflare_routes(fake, [], health=Reply(status=503, body=b"Service Unavailable",
                                          headers={"Content-Type": "text/plain"}))
    with pytest.raises(FetchError) as err:
        poll("ccflare", fake.url, key=None)
    assert (err.value.endpoint, err.value.reason) == ("health", "invalid_response")


def test_original_ccflare(fake: FakeServer) -> None:
    ccflare_routes(fake, json.loads(fixture("ccflare__accounts.json")),
                   health=fixture_reply("ccflare__health.json"))
    snap, _ = poll("ccflare", fake.url, key="proxy-key-0000")
    assert present(snap.proxy).up
    (account,) = present(snap.proxy).accounts
    assert (account.name, account.state, account.total_requests) == ("account1", "available", 1500)
    assert fake.requests_to("/health")[0].headers["x-api-key"] == "proxy-key-0000"




def test_a_proxy_reporting_150_percent_success_has_no_ratio(fake: FakeServer) -> None:
    stats = json.loads(fixture("better_ccflare__stats.json"))
    stats["successRate"], stats["avgResponseTime"] = 150, -3
    fake.routes["/health"] = fixture_reply("better_ccflare__health.json")
    fake.routes["/api/stats"] = json_reply(stats)
    fake.routes["/api/accounts"] = fixture_reply("better_ccflare__accounts.json")
    snapshot, recorder = poll("ccflare", fake.url, key=None, now=NOW)
    assert snapshot.proxy is not None
    assert snapshot.proxy.success_ratio is None and snapshot.proxy.response_time_seconds is None
    assert snapshot.proxy.requests == stats["totalRequests"]
    assert recorder.failures[("stats", "invalid_response")] == 2
