"""GatewayZ's own metric names, kept exactly as its provider-metrics-exporter had them so
existing dashboards keep working: the one family exempt from the llm_ naming rules (ms, a
gauge ending in _total)."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.views import FleetView, SourceView

HEALTH_CODES = {"unknown": 0, "healthy": 1, "degraded": 2, "down": 3}
COUNTS = (("total", "Total number of providers"), ("active", "Number of active providers"),
          ("inactive", "Number of inactive providers"), ("healthy", "Number of healthy providers"),
          ("degraded", "Number of degraded providers"), ("down", "Number of down providers"),
          ("unknown", "Number of providers with unknown health status"))
CAPABILITIES = (("streaming", "streaming"), ("function_calling", "function calling"), ("vision", "vision"),
                ("image_generation", "image generation"))

F = Family
SP = ("source", "provider")
FAMILIES = (
    *(F(f"gatewayz_providers_{key}", "gauge", "providers", ("source",), f"{doc}, from /providers/stats." + CACHED)
      for key, doc in COUNTS),
    F("gatewayz_provider_response_time_ms", "gauge", "milliseconds", SP,
      "Average provider response time in milliseconds." + CACHED),
    *(F(f"gatewayz_provider_supports_{cap}", "gauge", "0/1", SP, f"Provider supports {doc} (1=yes, 0=no)." + CACHED)
      for cap, doc in CAPABILITIES),
    F("gatewayz_provider_is_active", "gauge", "0/1", SP, "Provider active status (1=yes, 0=no)." + CACHED),
    F("gatewayz_provider_health_status", "gauge", "code", SP,
      "Provider health status (0=unknown, 1=healthy, 2=degraded, 3=down)." + CACHED),
    # Not in GatewayZ's exporter, which put the time in a label of gatewayz_provider_info; a
    # value here keeps the series count flat and lets the details table show the age.
    F("gatewayz_provider_last_health_check_timestamp_seconds", "gauge", "unix seconds", SP,
      "Unix time of GatewayZ's last health check of the provider; absent when it reports none." + CACHED),
    F("gatewayz_provider_metrics_last_update", "gauge", "unix seconds", ("source",),
      "Unix time of the last successful update from GatewayZ."),
    F("gatewayz_provider_scrape_errors_total", "counter", "polls", ("source",), "Failed polls of the GatewayZ API."),
)


def _key(view: FleetView, s: SourceView) -> Hashable:
    if s.type != "gatewayz":
        return None
    snap = s.snapshot
    return (s.failed_polls, s.last_success, Same(snap.gatewayz) if snap else None,
            Same(snap.providers) if snap else None)


def _samples(view: FleetView, s: SourceView) -> Iterator[Sample]:
    if s.type != "gatewayz":
        return
    yield "gatewayz_provider_scrape_errors_total", (s.name,), s.failed_polls
    if s.last_success is not None:
        yield "gatewayz_provider_metrics_last_update", (s.name,), s.last_success
    snap = s.snapshot
    if snap is None or snap.gatewayz is None:
        return
    stats = snap.gatewayz
    for key, _ in COUNTS:
        yield f"gatewayz_providers_{key}", (s.name,), getattr(stats, key)
    for slug, ms in stats.response_times_ms:
        yield "gatewayz_provider_response_time_ms", (s.name, slug), ms
    for slug, at in stats.last_health_checks:
        yield "gatewayz_provider_last_health_check_timestamp_seconds", (s.name, slug), at
    for p in snap.providers:
        caps = dict(p.capabilities)
        for cap, _ in CAPABILITIES:
            yield f"gatewayz_provider_supports_{cap}", (s.name, p.id), caps.get(cap, False)
        yield "gatewayz_provider_is_active", (s.name, p.id), p.active
        yield "gatewayz_provider_health_status", (s.name, p.id), HEALTH_CODES[p.health]


PARTS = (Part("gatewayz", "source", _key, _samples),)
