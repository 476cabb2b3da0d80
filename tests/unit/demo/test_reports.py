"""The demo's usage: the application ledger and the LiteLLM proxy's spend log, each with the
live-traffic fields real ones carry, substitutions included, at a fixed time."""

from __future__ import annotations

import json

from exporter.demo import reports
from tests.support.clock import utc

NOON = utc(2026, 12, 5, 12)


def test_the_proxy_falls_back_from_claude_sonnet_for_ten_minutes_an_hour() -> None:
    rows = reports.proxy_calls(NOON + 3600, NOON - 86400, NOON, NOON + 3600)
    swapped = [r for r in rows if r["model"] != r["model_group"]]
    assert swapped and {(r["model_group"], r["model"]) for r in swapped} == {("claude-sonnet", "gpt-4o")}
    minutes = {int(r["startTime"][14:16]) for r in swapped}
    assert minutes and all(20 <= m < 30 for m in minutes)
    # every claude-sonnet call of those minutes fell back; no other call did
    inside = [r for r in rows if r["model_group"] == "claude-sonnet" and 20 <= int(r["startTime"][14:16]) < 30]
    assert len(inside) == len(swapped)


def test_the_coding_app_records_its_fallbacks_in_the_ledger() -> None:
    first = int(NOON // reports.LEDGER_SLOT)
    lines = [json.loads(line) for line in reports.ledger_lines(first, first + 24 * 60) if line.endswith("}")]
    asked = [doc for doc in lines if doc.get("requested_model")]
    assert asked and {(d["requested_model"], d["model"]) for d in asked} == {
        ("anthropic/claude-sonnet-4", "openai/gpt-4o-mini")}
    coding = [doc for doc in lines if doc["task"] == "coding"]
    assert len(asked) == len(coding) // reports.APP_FALLBACK_EVERY


def test_a_new_call_reaches_the_proxy_log_at_least_every_two_minutes() -> None:
    """longest_silence (what the dashboards test waits for) is what the log's readers see:
    second by second through an hour, the longest stretch in which no call was added, late
    calls included."""
    first = NOON - 300  # calls from here on, so those written late at the hour's start count
    seen, since, longest = 0, NOON, 0.0
    for t in range(int(NOON), int(NOON) + 3600):
        count = len(reports.proxy_calls(t, NOON - 86400, first, t))
        if count > seen:
            seen, longest, since = count, max(longest, t - since), t
    assert longest > 60  # a late call leaves a gap: the reader must wait out more than a slot
    assert reports.longest_silence(NOON, NOON + 3600) == longest <= 2 * reports.LEDGER_SLOT
