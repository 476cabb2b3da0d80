"""Providers behind a source, and the source's account: balances, limits and spend."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.snapshot import HEALTH_STATES
from exporter.views import FleetView, SourceView

F = Family
SP = ("source", "provider")
FAMILIES = (
    F("llm_provider_info", "gauge", "–", (*SP, "name"),
      "A provider behind a source, with its display name; always 1." + CACHED),
    F("llm_provider_health", "gauge", "state set", (*SP, "state"),
      "Provider health as a state set: 1 for the current state of healthy, degraded, down, unknown." + CACHED),
    F("llm_provider_active", "gauge", "0/1", SP, "1 when the provider is active (enabled for routing)." + CACHED),
    F("llm_provider_response_time_seconds", "gauge", "seconds", SP,
      "Provider response time as reported or measured." + CACHED),
    F("llm_provider_capability", "gauge", "0/1", (*SP, "capability"),
      "1 when the provider supports the capability (streaming, function_calling, vision, image_generation)."
      + CACHED),
    F("llm_account_balance", "gauge", "currency units", ("source", "currency"),
      "Remaining credit or balance, in currency units." + CACHED),
    F("llm_account_credit_limit", "gauge", "currency units", ("source", "currency"),
      "Credit limit of the account or key, in currency units." + CACHED),
    F("llm_account_balance_alert_threshold", "gauge", "currency units", ("source", "currency"),
      "The source's balance_alert_threshold from the config, per balance currency: LLMBalanceLow fires under it."),
    F("llm_account_balance_breakdown", "gauge", "currency units", ("source", "currency", "kind"),
      "Parts of the balance by kind (granted, topped_up, cash, voucher), in currency units." + CACHED),
    F("llm_account_available", "gauge", "0/1", ("source",),
      "1 when the vendor says the account can make calls, else 0." + CACHED),
    F("llm_spend_usd", "gauge", "USD", ("source", "window"),
      "Spend reported by the vendor per window (day, week, month, total), in USD." + CACHED),
)


def _key(view: FleetView, s: SourceView) -> Hashable:
    snap = s.snapshot
    if snap is None:
        return (None,)
    return (Same(snap.providers), s.up, Same(snap.balances), Same(snap.credit_limits), Same(snap.balance_breakdown),
            snap.account_available, Same(snap.spend), dict(view.thresholds).get(s.name))


def _samples(view: FleetView, s: SourceView) -> Iterator[Sample]:
    snap = s.snapshot
    if snap is None:
        return
    for p in snap.providers:
        health = p.state(s.up)
        yield "llm_provider_info", (s.name, p.id, p.name), 1
        for state in HEALTH_STATES:
            yield "llm_provider_health", (s.name, p.id, state), state == health
        yield "llm_provider_active", (s.name, p.id), p.active
        if p.response_time_seconds is not None:
            yield "llm_provider_response_time_seconds", (s.name, p.id), p.response_time_seconds
        for capability, supported in p.capabilities:
            yield "llm_provider_capability", (s.name, p.id, capability), supported
    threshold = dict(view.thresholds).get(s.name)
    for m in snap.balances:
        yield "llm_account_balance", (s.name, m.currency), m.amount
        if threshold is not None:
            yield "llm_account_balance_alert_threshold", (s.name, m.currency), threshold
    for m in snap.credit_limits:
        yield "llm_account_credit_limit", (s.name, m.currency), m.amount
    for part in snap.balance_breakdown:
        yield "llm_account_balance_breakdown", (s.name, part.currency, part.kind), part.amount
    if snap.account_available is not None:
        yield "llm_account_available", (s.name,), snap.account_available
    for window, usd in snap.spend:
        yield "llm_spend_usd", (s.name, window), usd


PARTS = (Part("providers", "source", _key, _samples),)
