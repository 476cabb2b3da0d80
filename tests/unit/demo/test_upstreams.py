"""The demo's OpenRouter upstream endpoints: DeepSeek loses every upstream long enough for the alerts."""

from __future__ import annotations

from typing import Any


def test_deepseek_loses_every_upstream_and_the_alerts_can_fire() -> None:
    from exporter.demo.upstreams import endpoints

    def at_time(t: float) -> list[dict[str, Any]]:
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
