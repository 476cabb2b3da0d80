"""GatewayZ: its providers and counts over real HTTP, its all-zero answer when its database fails,
string numbers and unknown health."""

from __future__ import annotations

import pytest

from exporter.http import FetchError
from tests.support.adapters import KEY, poll
from tests.support.fakeserver import FakeServer, fixture_reply, json_reply
from tests.support.present import present


# -- gatewayz ------------------------------------------------------------------------------
@pytest.fixture
def gatewayz(fake: FakeServer) -> FakeServer:
    fake.routes["/providers"] = fixture_reply("gatewayz__providers.json")
    fake.routes["/providers/stats"] = fixture_reply("gatewayz__providers_stats.json")
    return fake


def test_gatewayz_providers_and_stats(gatewayz: FakeServer) -> None:
    snap, rec = poll("gatewayz", gatewayz.url)
    openai, mistral = snap.providers
    assert (openai.id, openai.name, openai.health, openai.active) == ("openai", "OpenAI", "healthy", True)
    assert openai.response_time_seconds == pytest.approx(0.245)
    assert dict(openai.capabilities) == {"streaming": True, "function_calling": True, "vision": True,
                                         "image_generation": False}
    # null average_response_time_ms: no sample at all, not zero
    assert (mistral.health, mistral.active, mistral.response_time_seconds) == ("down", False, None)
    stats = present(snap.gatewayz)
    assert (stats.total, stats.active, stats.inactive, stats.healthy, stats.degraded, stats.down,
            stats.unknown) == (5, 4, 1, 3, 1, 1, 0)
    assert stats.response_times_ms == (("openai", 245.0),)
    # 2025-12-16T20:10:00Z; mistral's null check time gives no entry at all
    assert stats.last_health_checks == (("openai", 1765915800.0),)
    assert rec.requests == {"providers": 1, "providers_stats": 1}
    call = gatewayz.requests_to("/providers")[0]
    assert call.query == {"include_inactive": ["true"]}
    assert call.headers["Authorization"] == f"Bearer {KEY}"


def test_gatewayz_all_zero_stats_means_backend_failure(gatewayz: FakeServer) -> None:
    gatewayz.routes["/providers/stats"] = json_reply({k: 0 for k in
                                                      ("total", "active", "inactive", "healthy", "degraded",
                                                       "down", "unknown")})
    with pytest.raises(FetchError) as err:
        poll("gatewayz", gatewayz.url)
    assert err.value.reason == "invalid_response" and err.value.endpoint == "providers_stats"


def test_gatewayz_empty_fleet_with_zero_stats_is_fine(gatewayz: FakeServer) -> None:
    gatewayz.routes["/providers"] = json_reply([])
    gatewayz.routes["/providers/stats"] = json_reply({"total": 0})
    snap, _ = poll("gatewayz", gatewayz.url)
    assert snap.providers == () and present(snap.gatewayz).total == 0


def test_gatewayz_unknown_health_and_string_numbers(gatewayz: FakeServer) -> None:
    gatewayz.routes["/providers"] = json_reply([
        {"slug": "x", "name": "X", "health_status": "on fire", "is_active": "true",
         "average_response_time_ms": "120.5"},
        None,
    ])
    snap, _ = poll("gatewayz", gatewayz.url)
    (x,) = snap.providers
    assert (x.health, x.active) == ("unknown", True) and x.response_time_seconds == pytest.approx(0.1205)
