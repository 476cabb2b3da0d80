"""The exporter itself and its sources: build, poll status and request counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator

from exporter import __version__
from exporter.failures import REASONS
from exporter.families.base import Family, Part, Same, Sample
from exporter.spend.book import FOLDED_FAMILY, UNPRICED_FAMILY
from exporter.spend.live import FOLDED_FAMILY as LIVE_FAMILY
from exporter.views import FleetView, SourceView

F = Family
FAMILIES = (
    F("llm_exporter_build_info", "gauge", "–", ("version",), "Build of llm-fleet-exporter; always 1."),
    F("llm_source_info", "gauge", "–", ("source", "source_type"),
      "A configured source and its config type; always 1."),
    F("llm_source_up", "gauge", "0/1", ("source",), "1 when every endpoint of the source's last poll succeeded, "
      "else 0."),
    F("llm_source_poll_interval_seconds", "gauge", "seconds", ("source",),
      "How often the source is polled (its configured interval)."),
    F("llm_source_last_success_timestamp_seconds", "gauge", "unix seconds", ("source",),
      "Unix time of the source's last successful poll."),
    F("llm_source_poll_duration_seconds", "gauge", "seconds", ("source",),
      "Duration of the source's last poll, retries included."),
    F("llm_source_requests_total", "counter", "requests", ("source", "endpoint"),
      "HTTP requests made to the source, retries included."),
    F("llm_source_request_failures_total", "counter", "requests", ("source", "endpoint", "reason"),
      "Failed requests to the source by reason (timeout, connection, auth, rate_limited, http_error, "
      "invalid_response, unsupported); every failed attempt counts once."),
    F("llm_source_polls_skipped_total", "counter", "polls", ("source", "reason"),
      "Polls not made: rate_limited while a 429's Retry-After runs, overlap while the last poll runs."),
    F("llm_source_models_dropped_total", "counter", "models", ("source",),
      "Models over limits.max_models left out of a poll's catalog, summed over polls."),
    F("llm_source_providers_dropped_total", "counter", "providers", ("source",),
      "Providers over limits.max_providers left out of a poll's answer, summed over polls."),
    F("llm_exporter_shard_info", "gauge", "–", ("index", "count"),
      "Which shard this exporter is (--shard.index of --shard.count; 0 of 1 without sharding); always 1."),
    F("llm_exporter_shards", "gauge", "shards", (),
      "How many shards split the config's sources (--shard.count), as a number rules can compare."),
    F("llm_exporter_config_sources", "gauge", "sources", (), "Sources in the config, whichever shard owns them."),
    F("llm_exporter_owned_sources", "gauge", "sources", (),
      "Sources this shard owns and polls; over every shard they add up to llm_exporter_config_sources."),
    F("llm_exporter_series_folded_total", "counter", "items", ("family",),
      'Items left out, or whose label values were folded into "other", to keep series bounded, by family: '
      "llm_usage (usage events over limits.max_usage_series, limits.max_tasks or limits.max_usage_models), "
      "llm_usage_unpriced_events_total, llm_live (real-call measures over limits.max_usage_models, or over a "
      "series budget of their own as large as limits.max_usage_series), "
      "llm_vendor_usage (OpenRouter activity rows over limits.max_models), "
      "llm_upstream_endpoint (upstream endpoints over endpoints.max_upstreams)."),
)


def _build(view: FleetView) -> Iterator[Sample]:
    yield "llm_exporter_build_info", (__version__,), 1


def _status(view: FleetView, s: SourceView) -> Iterator[Sample]:
    yield "llm_source_info", (s.name, s.type), 1
    yield "llm_source_up", (s.name,), s.up
    yield "llm_source_poll_interval_seconds", (s.name,), s.interval
    if s.last_success is not None:
        yield "llm_source_last_success_timestamp_seconds", (s.name,), s.last_success
    if s.poll_duration is not None:
        yield "llm_source_poll_duration_seconds", (s.name,), s.poll_duration
    for endpoint, count in s.requests:
        yield "llm_source_requests_total", (s.name, endpoint), count
    failures = Counter(dict(s.failures))
    for endpoint in dict.fromkeys([*s.endpoints, *(e for (e, _), _ in s.failures)]):
        for reason in REASONS:  # known series exist at 0 before the first failure
            yield "llm_source_request_failures_total", (s.name, endpoint, reason), failures[(endpoint, reason)]
    skipped = Counter(dict(s.skipped))
    skipped["rate_limited"] += 0
    for reason, count in sorted(skipped.items()):
        yield "llm_source_polls_skipped_total", (s.name, reason), count
    yield "llm_source_models_dropped_total", (s.name,), s.models_dropped
    yield "llm_source_providers_dropped_total", (s.name,), s.providers_dropped


def _folded_key(view: FleetView) -> Hashable:
    spend = view.spend
    return (bool(spend.settings.ledger or spend.settings.feeds), Same(spend.book), spend.live.folded,
            tuple(s.folded for s in view.sources))


def _folded(view: FleetView) -> Iterator[Sample]:
    """One series per family, summed over the usage book and every source."""
    total: Counter[str] = Counter()
    spend = view.spend
    if spend.settings.ledger or spend.settings.feeds:
        for family in (FOLDED_FAMILY, UNPRICED_FAMILY):
            total[family] += spend.book.folded[family]
        total[LIVE_FAMILY] += spend.live.folded
    for s in view.sources:
        total.update(dict(s.folded))
    for family, count in sorted(total.items()):
        yield "llm_exporter_series_folded_total", (family,), count


def _shard(view: FleetView) -> Iterator[Sample]:
    shard = view.shard
    yield "llm_exporter_shard_info", (str(shard.index), str(shard.count)), 1
    yield "llm_exporter_shards", (), shard.count
    yield "llm_exporter_config_sources", (), shard.configured
    yield "llm_exporter_owned_sources", (), len(shard.owned)


PARTS = (
    Part("build", "fleet", lambda view: (), _build),
    Part("shard", "fleet", lambda view: (view.shard,), _shard),
    Part("source_status", "source", lambda view, s: (Same(s),), _status),
    Part("folded", "fleet", _folded_key, _folded),
)
