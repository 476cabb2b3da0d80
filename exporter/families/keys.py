"""Every API key (and LiteLLM team) of a source with keys: true: its limit, usage, remaining
credit, expiry and reset, and when its credit runs out at the rate the exporter measured."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.views import FleetView, SourceView

F = Family
KEY = ("source", "kind", "key")
FAMILIES = (
    F("llm_key_limit_usd", "gauge", "USD", KEY,
      "The key's (kind=key) or team's (kind=team) credit limit or budget; absent when it has none (null, or a "
      "sentinel such as LiteLLM's int64 max)." + CACHED),
    F("llm_key_usage_usd", "gauge", "USD", (*KEY, "window"),
      "What the key used: total, day, week and month (OpenRouter, the windows of llm_spend_usd), or "
      "budget_period (LiteLLM's spend, reset every budget_duration)." + CACHED),
    F("llm_key_limit_remaining_usd", "gauge", "USD", KEY,
      "Credit left under the key's limit (OpenRouter's limit_remaining; LiteLLM's max_budget minus spend)."
      + CACHED),
    F("llm_key_disabled", "gauge", "0/1", KEY, "1 when the vendor has disabled (blocked) the key." + CACHED),
    F("llm_key_expiry_timestamp_seconds", "gauge", "unix seconds", KEY,
      "When the key expires; absent for a key that does not." + CACHED),
    F("llm_key_limit_reset_info", "gauge", "–", (*KEY, "reset"),
      "How often the key's limit resets (OpenRouter's limit_reset: daily, weekly, monthly); always 1." + CACHED),
    F("llm_key_budget_reset_timestamp_seconds", "gauge", "unix seconds", KEY,
      "When the budget period's spend resets next (LiteLLM's budget_reset_at)." + CACHED),
    F("llm_key_exhaustion_timestamp_seconds", "gauge", "unix seconds", ("source", "key"),
      "When the key's remaining credit runs out at its spend rate, measured from the exporter's own readings "
      "of its usage over up to the last 24 h (kept across restarts); absent before an hour of readings, "
      "without spend in them, or without a limit."),
    F("llm_budget_exhaustion_timestamp_seconds", "gauge", "unix seconds", ("budget", "period"),
      "When the budget's limit is reached at the spend rate measured over up to the last 24 h of the "
      "exporter's readings; absent before an hour of them or without spend."),
)


def _key(view: FleetView, s: SourceView) -> Hashable:
    return (Same(s.snapshot.keys) if s.snapshot else None,)


def _samples(view: FleetView, s: SourceView) -> Iterator[Sample]:
    for k in s.snapshot.keys if s.snapshot else ():
        labels = (s.name, k.kind, k.name)
        if k.limit_usd is not None:
            yield "llm_key_limit_usd", labels, k.limit_usd
        for window, usd in k.usage:
            yield "llm_key_usage_usd", (*labels, window), usd
        if k.remaining_usd is not None:
            yield "llm_key_limit_remaining_usd", labels, k.remaining_usd
        yield "llm_key_disabled", labels, k.disabled
        if k.expires_at is not None:
            yield "llm_key_expiry_timestamp_seconds", labels, k.expires_at
        if k.limit_reset is not None:
            yield "llm_key_limit_reset_info", (*labels, k.limit_reset), 1
        if k.budget_reset_at is not None:
            yield "llm_key_budget_reset_timestamp_seconds", labels, k.budget_reset_at


def _run_out_key(view: FleetView) -> Hashable:
    return (view.spend.keys_run_out, view.spend.budgets_run_out)


def _run_out(view: FleetView) -> Iterator[Sample]:
    for (source, key), at in view.spend.keys_run_out:
        yield "llm_key_exhaustion_timestamp_seconds", (source, key), at
    for (budget, period), at in view.spend.budgets_run_out:
        yield "llm_budget_exhaustion_timestamp_seconds", (budget, period), at


PARTS = (Part("keys", "source", _key, _samples), Part("keys_run_out", "fleet", _run_out_key, _run_out))
