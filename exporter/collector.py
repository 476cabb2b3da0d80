"""Turns the engine's immutable views into metric families, and caches the rendered text.

Families are built fresh from the current view on every render, never kept in module-level
gauges, so a provider or model that vanishes upstream vanishes from /metrics too. Rendering
happens once per view generation; every scrape in between is served from bytes in memory.
"""

from __future__ import annotations

import gzip
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from exporter import __version__
from exporter.changes import CHANGE_TYPES, FREE_CHANGE_TYPES
from exporter.engine import FleetView
from exporter.http import REASONS
from exporter.snapshot import (
    COMPONENT_STATUSES,
    HEALTH_STATES,
    PROXY_ACCOUNT_STATES,
    STATUS_INDICATORS,
)
from exporter.usage import FOLDED_FAMILY, TOKEN_TYPES, UNPRICED_FAMILY

CACHED = " Cached from the source's last poll: a scrape never calls the provider."
GATEWAYZ_HEALTH_CODES = {"unknown": 0, "healthy": 1, "degraded": 2, "down": 3}


class _Families:
    """Collects samples by family name, dropping repeated label sets: a vendor that lists a
    model twice must not produce a duplicate series, which would fail the whole scrape."""

    def __init__(self) -> None:
        self._families: dict[str, Metric] = {}
        self._seen: dict[str, set[tuple[str, ...]]] = {}

    def gauge(self, name: str, doc: str, labels: Iterable[str]) -> None:
        self._add(name, GaugeMetricFamily(name, doc, labels=list(labels)))

    def counter(self, name: str, doc: str, labels: Iterable[str]) -> None:
        self._add(name, CounterMetricFamily(name, doc, labels=list(labels)))

    def histogram(self, name: str, doc: str, labels: Iterable[str]) -> None:
        self._add(name, HistogramMetricFamily(name, doc, labels=list(labels)))

    def observe(self, name: str, labels: Iterable[str], buckets: list[tuple[str, int]], total: float) -> None:
        key = tuple(labels)
        if key not in self._seen[name]:
            self._seen[name].add(key)
            self._families[name].add_metric(list(key), buckets, total)  # type: ignore[call-arg]

    def _add(self, name: str, family: Metric) -> None:
        self._families[name] = family
        self._seen[name] = set()

    def sample(self, name: str, labels: Iterable[str], value: float | Decimal | bool | int) -> None:
        key = tuple(labels)
        if key in self._seen[name]:
            return
        self._seen[name].add(key)
        self._families[name].add_metric(list(key), float(value))

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._families.values())


def families(view: FleetView) -> list[Metric]:
    f = _Families()
    _exporter_families(f, view)
    _provider_families(f, view)
    _model_families(f, view)
    _catalog_families(f, view)
    _usage_families(f, view)
    _fleet_families(f, view)
    _status_families(f, view)
    _gatewayz_families(f, view)
    _proxy_families(f, view)
    _ollama_families(f, view)
    return list(f)


def _exporter_families(f: _Families, view: FleetView) -> None:
    f.gauge("llm_exporter_build_info", "Build of llm-fleet-exporter; always 1.", ["version"])
    f.sample("llm_exporter_build_info", [__version__], 1)
    f.gauge("llm_source_info", "A configured source and its config type; always 1.", ["source", "source_type"])
    f.gauge("llm_source_up", "1 when every endpoint of the source's last poll succeeded, else 0.", ["source"])
    f.gauge("llm_source_last_success_timestamp_seconds", "Unix time of the source's last successful poll.",
            ["source"])
    f.gauge("llm_source_poll_duration_seconds", "Duration of the source's last poll, retries included.",
            ["source"])
    f.gauge("llm_source_poll_interval_seconds", "How often the source is polled (its configured interval).",
            ["source"])
    f.counter("llm_source_requests_total", "HTTP requests made to the source, retries included.",
              ["source", "endpoint"])
    f.counter("llm_source_request_failures_total",
              "Failed requests to the source by reason (timeout, connection, auth, rate_limited, http_error, "
              "invalid_response); every failed attempt counts once.", ["source", "endpoint", "reason"])
    f.counter("llm_source_polls_skipped_total",
              "Polls not made: rate_limited while a 429's Retry-After runs, overlap while the last poll runs.",
              ["source", "reason"])
    for s in view.sources:
        f.sample("llm_source_info", [s.name, s.type], 1)
        f.sample("llm_source_up", [s.name], s.up)
        f.sample("llm_source_poll_interval_seconds", [s.name], s.interval)
        if s.last_success is not None:
            f.sample("llm_source_last_success_timestamp_seconds", [s.name], s.last_success)
        if s.poll_duration is not None:
            f.sample("llm_source_poll_duration_seconds", [s.name], s.poll_duration)
        for endpoint, count in s.requests:
            f.sample("llm_source_requests_total", [s.name, endpoint], count)
        failures = Counter(dict(s.failures))
        for endpoint in dict.fromkeys([*s.endpoints, *(e for (e, _), _ in s.failures)]):
            for reason in REASONS:
                f.sample("llm_source_request_failures_total", [s.name, endpoint, reason],
                         failures[(endpoint, reason)])
        skipped = Counter(dict(s.skipped))
        skipped["rate_limited"] += 0
        for reason, count in sorted(skipped.items()):
            f.sample("llm_source_polls_skipped_total", [s.name, reason], count)


def _provider_families(f: _Families, view: FleetView) -> None:
    f.gauge("llm_provider_info", "A provider behind a source, with its display name; always 1." + CACHED,
            ["source", "provider", "name"])
    f.gauge("llm_provider_health",
            "Provider health as a state set: 1 for the current state of healthy, degraded, down, unknown." + CACHED,
            ["source", "provider", "state"])
    f.gauge("llm_provider_active", "1 when the provider is active (enabled for routing)." + CACHED,
            ["source", "provider"])
    f.gauge("llm_provider_response_time_seconds", "Provider response time as reported or measured." + CACHED,
            ["source", "provider"])
    f.gauge("llm_provider_capability",
            "1 when the provider supports the capability (streaming, function_calling, vision, "
            "image_generation)." + CACHED, ["source", "provider", "capability"])
    f.gauge("llm_account_balance", "Remaining credit or balance, in currency units." + CACHED,
            ["source", "currency"])
    f.gauge("llm_account_credit_limit", "Credit limit of the account or key, in currency units." + CACHED,
            ["source", "currency"])
    f.gauge("llm_account_balance_alert_threshold",
            "The source's balance_alert_threshold from the config, per balance currency: LLMBalanceLow fires under "
            "it.", ["source", "currency"])
    f.gauge("llm_account_balance_breakdown",
            "Parts of the balance by kind (granted, topped_up, cash, voucher), in currency units." + CACHED,
            ["source", "currency", "kind"])
    f.gauge("llm_account_available", "1 when the vendor says the account can make calls, else 0." + CACHED,
            ["source"])
    f.gauge("llm_spend_usd", "Spend reported by the vendor per window (day, week, month, total), in USD." + CACHED,
            ["source", "window"])
    thresholds = dict(view.thresholds)
    for s, snap in view.fresh():
        for p in snap.providers:
            health = p.state(s.up)
            f.sample("llm_provider_info", [s.name, p.id, p.name], 1)
            for state in HEALTH_STATES:
                f.sample("llm_provider_health", [s.name, p.id, state], state == health)
            f.sample("llm_provider_active", [s.name, p.id], p.active)
            if p.response_time_seconds is not None:
                f.sample("llm_provider_response_time_seconds", [s.name, p.id], p.response_time_seconds)
            for capability, supported in p.capabilities:
                f.sample("llm_provider_capability", [s.name, p.id, capability], supported)
        threshold = thresholds.get(s.name)
        for m in snap.balances:
            f.sample("llm_account_balance", [s.name, m.currency], m.amount)
            if threshold is not None:
                f.sample("llm_account_balance_alert_threshold", [s.name, m.currency], threshold)
        for m in snap.credit_limits:
            f.sample("llm_account_credit_limit", [s.name, m.currency], m.amount)
        for part in snap.balance_breakdown:
            f.sample("llm_account_balance_breakdown", [s.name, part.currency, part.kind], part.amount)
        if snap.account_available is not None:
            f.sample("llm_account_available", [s.name], snap.account_available)
        for window, usd in snap.spend:
            f.sample("llm_spend_usd", [s.name, window], usd)


def _model_families(f: _Families, view: FleetView) -> None:
    labels = ["source", "provider", "model"]
    f.gauge("llm_model_info", "A model in the source's catalog, with its display name; always 1." + CACHED,
            [*labels, "name"])
    f.gauge("llm_model_price_usd_per_token",
            "Model price in USD per token by token_type (input, output, cache_read); dynamic or unknown "
            "prices are absent." + CACHED, [*labels, "token_type"])
    f.gauge("llm_model_context_length_tokens", "Model context window in tokens." + CACHED, labels)
    f.gauge("llm_model_free", "1 when the model costs nothing to call." + CACHED, labels)
    f.gauge("llm_model_capability",
            "1 when the model supports the capability (tools, vision, image_generation, reasoning, "
            "structured_output), as far as the source can tell." + CACHED, [*labels, "capability"])
    f.gauge("llm_models", "Models in the provider's catalog." + CACHED, ["source", "provider"])
    f.gauge("llm_models_free", "Free models in the provider's catalog." + CACHED, ["source", "provider"])
    for s, snap in view.fresh():
        counts: Counter[str] = Counter()
        free: Counter[str] = Counter()
        if snap.catalog:
            for p in snap.providers:
                if p.follows_source:
                    counts[p.id] += 0
                    free[p.id] += 0
        seen: set[tuple[str, str]] = set()
        for m in snap.models:
            if (m.provider, m.id) in seen:
                continue
            seen.add((m.provider, m.id))
            counts[m.provider] += 1
            free[m.provider] += m.free
            key = [s.name, m.provider, m.id]
            f.sample("llm_model_info", [*key, m.name], 1)
            for token_type, price in m.prices:
                f.sample("llm_model_price_usd_per_token", [*key, token_type], price)
            if m.context_length is not None:
                f.sample("llm_model_context_length_tokens", key, m.context_length)
            f.sample("llm_model_free", key, m.free)
            for capability, supported in m.capabilities:
                f.sample("llm_model_capability", [*key, capability], supported)
        for provider, count in sorted(counts.items()):
            f.sample("llm_models", [s.name, provider], count)
            f.sample("llm_models_free", [s.name, provider], free[provider])


def _catalog_families(f: _Families, view: FleetView) -> None:
    catalog = view.catalog
    f.counter("llm_catalog_changes_total",
              "Catalog changes between consecutive successful polls of the source, by change (added, removed, "
              "price_changed, became_free, stopped_being_free). A source's first poll is the baseline.",
              ["source", "change"])
    f.counter("llm_catalog_free_changes_total",
              "Free models that appeared (added: listed new, or became free) or disappeared (removed: delisted, "
              "or stopped being free) in the source's catalog.", ["source", "change"])
    for s in view.sources:
        if (s.name, CHANGE_TYPES[0]) not in catalog.changes:
            continue
        for change in CHANGE_TYPES:
            f.sample("llm_catalog_changes_total", [s.name, change], catalog.changes[(s.name, change)])
        for change in FREE_CHANGE_TYPES:
            f.sample("llm_catalog_free_changes_total", [s.name, change], catalog.free_changes[(s.name, change)])
    f.gauge("llm_model_first_seen_timestamp_seconds",
            "Unix time this exporter first saw the model in the source's catalog; kept across restarts in "
            "state_dir." + CACHED, ["source", "provider", "model"])
    for s, snap in view.fresh():
        for m in snap.models:
            seen = catalog.first_seen(s.name, m.provider, m.id)
            if seen is not None:
                f.sample("llm_model_first_seen_timestamp_seconds", [s.name, m.provider, m.id], seen)
    f.gauge("llm_cheapest_model_info",
            "The cheapest eligible model of the capability class (healthy provider, source up) by weighted "
            "price; always 1.", ["class", "source", "provider", "model"])
    f.gauge("llm_cheapest_price_usd_per_token",
            "Weighted price (input_output_ratio x input + output) / (input_output_ratio + 1) of the class's "
            "cheapest eligible model, in USD per token.", ["class"])
    f.counter("llm_cheapest_model_changes_total",
              "Times the cheapest eligible (source, model) of the class changed; the first winner after a start "
              "is not a change.", ["class"])
    for cls in catalog.settings.classes:
        route = catalog.routes.get(cls.name, ())
        if route:
            top = route[0]
            f.sample("llm_cheapest_model_info", [cls.name, top.source, top.provider, top.model], 1)
            f.sample("llm_cheapest_price_usd_per_token", [cls.name], top.price)
        f.sample("llm_cheapest_model_changes_total", [cls.name], catalog.cheapest_changes.get(cls.name, 0))


def _usage_families(f: _Families, view: FleetView) -> None:
    vendors = [(s, snap) for s, snap in view.fresh() if snap.vendor_usage]
    if vendors:
        f.gauge("llm_vendor_usage_tokens",
                "Tokens this UTC month by model and token_type (input: uncached input, output, cache_read, "
                "cache_write), from the vendor's usage report." + CACHED, ["source", "model", "token_type"])
        for s, snap in vendors:
            for (model, token_type), tokens in snap.vendor_usage:
                f.sample("llm_vendor_usage_tokens", [s.name, model, token_type], tokens)
    spending = view.spending
    if not spending.settings.ledger:
        return
    book = spending.book
    labels = ["provider", "model", "task"]
    f.counter("llm_usage_requests_total", "Calls recorded in the usage ledger.", labels)
    f.counter("llm_usage_failures_total", "Calls recorded in the usage ledger with success false.", labels)
    f.counter("llm_usage_tokens_total", "Tokens recorded in the usage ledger by token_type (input, output, "
              "cache_read).", [*labels, "token_type"])
    f.counter("llm_usage_cost_usd_total", "Cost of the ledger's calls in USD: the event's cost_usd, else priced "
              "from the catalog when the event was read.", labels)
    f.histogram("llm_usage_duration_seconds", "Duration of the ledger's calls that carry duration_seconds.",
                ["provider", "model"])
    f.counter("llm_usage_invalid_lines_total", "Ledger lines skipped as malformed, by file.", ["file"])
    f.counter("llm_usage_unpriced_events_total", "Ledger events without cost_usd whose model no source prices; "
              "counted at 0 USD.", ["model"])
    f.gauge("llm_usage_last_event_timestamp_seconds", "Unix time (the event's ts) of the newest ledger event.", [])
    f.counter("llm_exporter_series_folded_total", "Events whose label values were folded into \"other\" to keep "
              "series bounded (limits.max_tasks, limits.max_usage_models), by family.", ["family"])
    for (provider, model, task), t in book.counters.items():
        key = [provider, model, task]
        f.sample("llm_usage_requests_total", key, t.requests)
        f.sample("llm_usage_failures_total", key, t.failures)
        for token_type in TOKEN_TYPES:
            f.sample("llm_usage_tokens_total", [*key, token_type], t.tokens()[token_type])
        f.sample("llm_usage_cost_usd_total", key, t.cost_usd)
    for (provider, model), h in book.durations.items():
        f.observe("llm_usage_duration_seconds", [provider, model], h.cumulative(), h.total)
    for path in sorted({*spending.files, *book.invalid_lines}):
        f.sample("llm_usage_invalid_lines_total", [path], book.invalid_lines[path])
    for model, count in sorted(book.unpriced.items()):
        f.sample("llm_usage_unpriced_events_total", [model], count)
    if book.last_event is not None:
        f.sample("llm_usage_last_event_timestamp_seconds", [], book.last_event)
    for family in (FOLDED_FAMILY, UNPRICED_FAMILY):
        f.sample("llm_exporter_series_folded_total", [family], book.folded[family])


def _fleet_families(f: _Families, view: FleetView) -> None:
    spending = view.spending
    fleet = spending.settings.fleet
    if fleet.models:
        f.gauge("llm_fleet_model_info", "A model of the fleet file, with its provider and status (active, standby, "
                "disabled); always 1.", ["model", "provider", "status"])
        f.gauge("llm_fleet_model_score", "The fleet file's score of the model per dimension (coding, reasoning, "
                "creativity, speed), 0 to 100.", ["model", "dimension"])
        f.gauge("llm_fleet_role_assignment", "The model fills the role at the priority (1 first); always 1.",
                ["role", "model", "priority"])
        for m in fleet.models:
            f.sample("llm_fleet_model_info", [m.model, m.provider, m.status], 1)
            for dimension, score in m.scores:
                f.sample("llm_fleet_model_score", [m.model, dimension], score)
            for a in m.roles:
                f.sample("llm_fleet_role_assignment", [a.role, m.model, str(a.priority)], 1)
    if spending.settings.budgets:
        labels = ["budget", "period"]
        f.gauge("llm_budget_limit_usd", "The budget's limit for its period (UTC day or month), in USD.", labels)
        f.gauge("llm_budget_spent_usd", "Spend in the budget's current period, in USD: from the usage ledger, or "
                "from the source's vendor-reported spend for budgets with source.", labels)
        f.gauge("llm_budget_forecast_usd", "Spend at the end of the period at the rate so far (linear), in USD; "
                "absent during the period's first hour.", labels)
        for state in spending.budgets:
            key = [state.budget.name, state.budget.period]
            f.sample("llm_budget_limit_usd", key, state.budget.limit_usd)
            if state.spent_usd is not None:
                f.sample("llm_budget_spent_usd", key, state.spent_usd)
            if state.forecast_usd is not None:
                f.sample("llm_budget_forecast_usd", key, state.forecast_usd)
    if spending.settings.fleet.roles:
        f.gauge("llm_recommendation_savings_usd_per_month",
                "Monthly saving if the task moved from its current model to the suggested one: the last 7 days' "
                "tokens at both prices, times 30/7. Only each task's top suggestion above "
                "recommendations.min_savings_usd.", ["task", "current_model", "suggested_model"])
        for a in spending.advice:
            if a.exported and a.suggested is not None and a.savings_usd_per_month is not None:
                f.sample("llm_recommendation_savings_usd_per_month",
                         [a.task, a.current_model, a.suggested.model.id], a.savings_usd_per_month)


def _status_families(f: _Families, view: FleetView) -> None:
    f.gauge("llm_status_page_indicator",
            "Status page overall indicator as a state set over none, minor, major, critical, maintenance." + CACHED,
            ["source", "indicator"])
    f.gauge("llm_status_component",
            "Status page component status as a state set over operational, degraded_performance, "
            "partial_outage, major_outage, under_maintenance." + CACHED, ["source", "component", "status"])
    for s, snap in view.fresh():
        page = snap.status_page
        if page is None:
            continue
        for indicator in STATUS_INDICATORS:
            f.sample("llm_status_page_indicator", [s.name, indicator], indicator == page.indicator)
        for component, status in page.components:
            for candidate in COMPONENT_STATUSES:
                f.sample("llm_status_component", [s.name, component, candidate], candidate == status)


def _gatewayz_families(f: _Families, view: FleetView) -> None:
    # Names kept exactly as GatewayZ's own exporter had them, so existing dashboards keep
    # working; the only family exempt from the llm_ naming rules (ms, no _total gauge rule).
    gateways = [s for s in view.sources if s.type == "gatewayz"]
    if not gateways:
        return
    counts = (("total", "Total number of providers"), ("active", "Number of active providers"),
              ("inactive", "Number of inactive providers"), ("healthy", "Number of healthy providers"),
              ("degraded", "Number of degraded providers"), ("down", "Number of down providers"),
              ("unknown", "Number of providers with unknown health status"))
    for key, doc in counts:
        f.gauge(f"gatewayz_providers_{key}", f"{doc}, from /providers/stats." + CACHED, ["source"])
    per_provider = ["source", "provider"]
    f.gauge("gatewayz_provider_response_time_ms", "Average provider response time in milliseconds." + CACHED,
            per_provider)
    for cap, doc in (("streaming", "streaming"), ("function_calling", "function calling"),
                     ("vision", "vision"), ("image_generation", "image generation")):
        f.gauge(f"gatewayz_provider_supports_{cap}", f"Provider supports {doc} (1=yes, 0=no)." + CACHED,
                per_provider)
    f.gauge("gatewayz_provider_is_active", "Provider active status (1=yes, 0=no)." + CACHED, per_provider)
    f.gauge("gatewayz_provider_health_status",
            "Provider health status (0=unknown, 1=healthy, 2=degraded, 3=down)." + CACHED, per_provider)
    f.gauge("gatewayz_provider_metrics_last_update", "Unix time of the last successful update from GatewayZ.",
            ["source"])
    f.counter("gatewayz_provider_scrape_errors_total", "Failed polls of the GatewayZ API.", ["source"])
    for s in gateways:
        f.sample("gatewayz_provider_scrape_errors_total", [s.name], s.failed_polls)
        if s.last_success is not None:
            f.sample("gatewayz_provider_metrics_last_update", [s.name], s.last_success)
        snap = s.snapshot
        if snap is None or snap.gatewayz is None:
            continue
        stats = snap.gatewayz
        for key, _ in counts:
            f.sample(f"gatewayz_providers_{key}", [s.name], getattr(stats, key))
        for slug, ms in stats.response_times_ms:
            f.sample("gatewayz_provider_response_time_ms", [s.name, slug], ms)
        for p in snap.providers:
            caps = dict(p.capabilities)
            for cap in ("streaming", "function_calling", "vision", "image_generation"):
                f.sample(f"gatewayz_provider_supports_{cap}", [s.name, p.id], caps.get(cap, False))
            f.sample("gatewayz_provider_is_active", [s.name, p.id], p.active)
            f.sample("gatewayz_provider_health_status", [s.name, p.id], GATEWAYZ_HEALTH_CODES[p.health])


def _proxy_families(f: _Families, view: FleetView) -> None:
    proxies = [(s, snap) for s, snap in view.fresh() if snap.proxy is not None]
    if not proxies:
        return
    f.gauge("llm_proxy_up", "1 when the proxy's /health reports status ok." + CACHED, ["source"])
    f.gauge("llm_proxy_accounts", "Proxy accounts by state (available, paused, rate_limited)." + CACHED,
            ["source", "state"])
    acct = ["source", "account"]
    f.gauge("llm_proxy_account_rate_limited", "1 while the account is rate limited." + CACHED, acct)
    f.gauge("llm_proxy_account_rate_limited_until_timestamp_seconds",
            "Unix time the account's rate limit ends; present only while it lies ahead." + CACHED, acct)
    f.gauge("llm_proxy_account_token_expiry_timestamp_seconds", "Unix time the account's token expires." + CACHED,
            acct)
    f.counter("llm_proxy_account_requests_total", "All-time requests through the account (totalRequests)." + CACHED,
              acct)
    days = sorted({snap.proxy.window_days for _, snap in proxies if snap.proxy})
    span = f"{days[0]} days" if len(days) == 1 else "stats_window_days of each source"
    window = f" A total over the proxy's last {span} (its /api/stats since window), not a counter."
    stats = (("requests", "Requests through the proxy."), ("tokens", "Tokens through the proxy."),
             ("cost_usd", "Cost of the proxy's traffic in USD."),
             ("success_ratio", "Share of the proxy's requests that succeeded, 0 to 1."),
             ("response_time_seconds", "Average response time of the proxy's requests."))
    for name, doc in stats:
        f.gauge(f"llm_proxy_{name}", doc + window + CACHED, ["source"])
    for s, snap in proxies:
        proxy = snap.proxy
        assert proxy is not None
        for name, _ in stats:
            value = getattr(proxy, name)
            if value is not None:
                f.sample(f"llm_proxy_{name}", [s.name], value)
        f.sample("llm_proxy_up", [s.name], proxy.up)
        states = Counter(a.state for a in proxy.accounts)
        for state in PROXY_ACCOUNT_STATES:
            f.sample("llm_proxy_accounts", [s.name, state], states[state])
        for a in proxy.accounts:
            f.sample("llm_proxy_account_rate_limited", [s.name, a.name], a.state == "rate_limited")
            if a.rate_limited_until is not None:
                f.sample("llm_proxy_account_rate_limited_until_timestamp_seconds", [s.name, a.name],
                         a.rate_limited_until)
            if a.token_expires_at is not None:
                f.sample("llm_proxy_account_token_expiry_timestamp_seconds", [s.name, a.name], a.token_expires_at)
            if a.total_requests is not None:
                f.sample("llm_proxy_account_requests_total", [s.name, a.name], a.total_requests)


def _ollama_families(f: _Families, view: FleetView) -> None:
    ollamas = [(s, snap) for s, snap in view.fresh() if s.type == "ollama"]
    if not ollamas:
        return
    f.gauge("llm_ollama_model_loaded", "1 when the installed model is loaded in memory (/api/ps)." + CACHED,
            ["source", "model"])
    f.gauge("llm_ollama_model_vram_bytes", "VRAM the loaded model occupies, in bytes." + CACHED, ["source", "model"])
    f.gauge("llm_ollama_model_cloud",
            "1 when the installed model runs on ollama.com (remote_host set), 0 when it runs locally; cloud "
            "models are not counted as free." + CACHED, ["source", "model"])
    for s, snap in ollamas:
        for model in snap.ollama_installed:
            f.sample("llm_ollama_model_cloud", [s.name, model], model in snap.ollama_cloud)
        loaded = {m.model: m for m in snap.ollama_loaded}
        for model in dict.fromkeys([*snap.ollama_installed, *loaded]):
            f.sample("llm_ollama_model_loaded", [s.name, model], model in loaded)
        for model, m in loaded.items():
            if m.vram_bytes is not None:
                f.sample("llm_ollama_model_vram_bytes", [s.name, model], m.vram_bytes)


class _ViewCollector:
    def __init__(self, view: FleetView):
        self._view = view

    def collect(self) -> list[Metric]:
        return families(self._view)


class Exposition:
    """Rendered /metrics bodies for the current view generation.

    Text and OpenMetrics are rendered at most once per generation (lazily, on the first
    scrape that wants them), gzip likewise; so the cost of a scrape does not grow with
    the number of series or with the number of scrapers."""

    TEXT = "text"
    OPENMETRICS = "openmetrics"

    def __init__(self, engine_view):  # type: ignore[no-untyped-def]
        self._engine_view = engine_view
        self._lock = threading.Lock()
        self._generation = -1
        self._bodies: dict[tuple[str, bool], bytes] = {}

    def render(self, fmt: str = TEXT, compressed: bool = False) -> bytes:
        view = self._engine_view()
        with self._lock:
            if view.generation != self._generation:
                self._generation = view.generation
                self._bodies = {}
            key = (fmt, compressed)
            body = self._bodies.get(key)
            if body is None:
                plain = self._bodies.get((fmt, False))
                if plain is None:
                    render = generate_openmetrics if fmt == self.OPENMETRICS else generate_latest
                    plain = render(_ViewCollector(view))  # type: ignore[arg-type]
                    self._bodies[(fmt, False)] = plain
                body = gzip.compress(plain, compresslevel=6) if compressed else plain
                self._bodies[key] = body
            return body
