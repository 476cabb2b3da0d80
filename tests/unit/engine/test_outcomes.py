"""What the exporter saw of a source: failures that say the vendor is down (not a rate limit,
an empty account or an old version), over five minutes and as streaks."""

from __future__ import annotations

from exporter.engine.outcomes import MAX_STREAKS, Outcomes, counts_as_outage
from exporter.failures import STREAK_GAP


def test_only_failures_about_the_vendor_count() -> None:
    assert counts_as_outage(True, "timeout") and counts_as_outage(True, "http_error")
    assert counts_as_outage(True, "overloaded")  # a probe's own reason: the vendor has no capacity
    assert not counts_as_outage(True, "rate_limited") and not counts_as_outage(True, "credit_exhausted")
    assert not counts_as_outage(True, "unsupported") and not counts_as_outage(False, None)


def test_the_window_keeps_five_minutes() -> None:
    seen = Outcomes()
    for t, failed in ((0, False), (100, True), (200, True)):
        seen.record(t, failed)
    assert seen.window(200) == (3, 2)
    seen.record(350, False)
    assert seen.window(350) == (3, 2)  # the call at 0 is older than five minutes
    assert seen.window(410) == (2, 1)  # and the one at 100 too


def test_a_streak_runs_until_five_quiet_minutes_then_a_new_one_starts() -> None:
    seen = Outcomes()
    seen.record(0, False)
    seen.record(60, True)
    seen.record(90, False)  # a success in between does not end it: failures of one outage come in bursts
    seen.record(60 + STREAK_GAP, True)
    assert seen.streaks == ((60, 60 + STREAK_GAP),)
    seen.record(60 + 2 * STREAK_GAP + 1, True)
    assert seen.streaks == ((60, 60 + STREAK_GAP), (60 + 2 * STREAK_GAP + 1, 60 + 2 * STREAK_GAP + 1))
    for i in range(10):
        seen.record(10_000 + i * 1000, True)
    assert len(seen.streaks) == MAX_STREAKS and seen.streaks[-1] == (19_000, 19_000)
