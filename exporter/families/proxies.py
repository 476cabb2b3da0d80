"""Proxies in front of vendors: better-ccflare's health, accounts and windowed stats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator

from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.snapshot import PROXY_ACCOUNT_STATES
from exporter.views import FleetView, SourceView

WINDOW = " A total over the proxy's stats window (stats_window_days, 30 by default), not a counter."
STATS = (("requests", "requests", "Requests through the proxy."), ("tokens", "tokens", "Tokens through the proxy."),
         ("cost_usd", "USD", "Cost of the proxy's traffic in USD."),
         ("success_ratio", "ratio 0–1", "Share of the proxy's requests that succeeded, 0 to 1."),
         ("response_time_seconds", "seconds", "Average response time of the proxy's requests."))

F = Family
ACCOUNT = ("source", "account")
FAMILIES = (
    F("llm_proxy_up", "gauge", "0/1", ("source",), "1 when the proxy's /health reports status ok." + CACHED),
    F("llm_proxy_accounts", "gauge", "accounts", ("source", "state"),
      "Proxy accounts by state (available, paused, rate_limited)." + CACHED),
    F("llm_proxy_account_rate_limited", "gauge", "0/1", ACCOUNT, "1 while the account is rate limited." + CACHED),
    F("llm_proxy_account_rate_limited_until_timestamp_seconds", "gauge", "unix seconds", ACCOUNT,
      "Unix time the account's rate limit ends; present only while it lies ahead." + CACHED),
    F("llm_proxy_account_token_expiry_timestamp_seconds", "gauge", "unix seconds", ACCOUNT,
      "Unix time the account's token expires." + CACHED),
    F("llm_proxy_account_requests_total", "counter", "requests", ACCOUNT,
      "All-time requests through the account (totalRequests)." + CACHED),
    *(F(f"llm_proxy_{name}", "gauge", unit, ("source",), doc + WINDOW + CACHED) for name, unit, doc in STATS),
)


def _key(view: FleetView, s: SourceView) -> Hashable:
    return (Same(s.snapshot.proxy) if s.snapshot else None,)


def _samples(view: FleetView, s: SourceView) -> Iterator[Sample]:
    proxy = s.snapshot.proxy if s.snapshot else None
    if proxy is None:
        return
    for name, _, _ in STATS:
        value = getattr(proxy, name)
        if value is not None:
            yield f"llm_proxy_{name}", (s.name,), value
    yield "llm_proxy_up", (s.name,), proxy.up
    states = Counter(a.state for a in proxy.accounts)
    for state in PROXY_ACCOUNT_STATES:
        yield "llm_proxy_accounts", (s.name, state), states[state]
    for a in proxy.accounts:
        yield "llm_proxy_account_rate_limited", (s.name, a.name), a.state == "rate_limited"
        if a.rate_limited_until is not None:
            yield "llm_proxy_account_rate_limited_until_timestamp_seconds", (s.name, a.name), a.rate_limited_until
        if a.token_expires_at is not None:
            yield "llm_proxy_account_token_expiry_timestamp_seconds", (s.name, a.name), a.token_expires_at
        if a.total_requests is not None:
            yield "llm_proxy_account_requests_total", (s.name, a.name), a.total_requests


PARTS = (Part("proxy", "source", _key, _samples),)
