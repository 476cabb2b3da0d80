"""Upstream endpoints behind a router: for each watched model on OpenRouter, the providers
that serve it, whether each is serving, its uptime, latency, throughput and prices."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.views import FleetView, SourceView

F = Family
SMU = ("source", "model", "upstream")
FAMILIES = (
    F("llm_upstream_endpoint_info", "gauge", "–", (*SMU, "provider_name", "quantization"),
      "An upstream endpoint serving a watched model, with its provider's name and quantization; always 1." + CACHED),
    F("llm_upstream_endpoint_up", "gauge", "0/1", SMU,
      "1 when the router says the endpoint is serving (status 0 or absent), 0 when its status is negative." + CACHED),
    F("llm_upstream_endpoint_status_code", "gauge", "code", SMU,
      "The router's raw status of the endpoint: 0 serving, negative values not." + CACHED),
    F("llm_upstream_endpoint_uptime_ratio", "gauge", "ratio 0–1", (*SMU, "window"),
      "Share of requests the endpoint served over the window (5m, 30m, 1d); absent while the router has too "
      "little data." + CACHED),
    F("llm_upstream_endpoint_latency_seconds", "gauge", "seconds", (*SMU, "quantile"),
      "Latency of the endpoint over the last 30 minutes by quantile (0.5, 0.75, 0.9, 0.99), from the router's "
      "milliseconds." + CACHED),
    F("llm_upstream_endpoint_throughput_tokens_per_second", "gauge", "tokens per second", (*SMU, "quantile"),
      "Output throughput of the endpoint over the last 30 minutes by quantile." + CACHED),
    F("llm_upstream_endpoint_price_usd_per_token", "gauge", "USD per token", (*SMU, "kind"),
      "The endpoint's price per token by kind (input, output)." + CACHED),
    F("llm_upstream_endpoints", "gauge", "endpoints", ("source", "model"),
      "Upstream endpoints the router lists for the watched model." + CACHED),
    F("llm_upstream_endpoints_up", "gauge", "endpoints", ("source", "model"),
      "Upstream endpoints of the watched model that are serving." + CACHED),
    F("llm_upstream_models_skipped", "gauge", "models", ("source",),
      "Models to watch over endpoints.max_models, left unwatched in the last poll."),
)


def _key(view: FleetView, s: SourceView) -> Hashable:
    snap = s.snapshot
    if snap is None:
        return (None,)
    return (Same(snap.upstreams), snap.upstream_models_skipped)


def _samples(view: FleetView, s: SourceView) -> Iterator[Sample]:
    snap = s.snapshot
    if snap is None:
        return
    for watched in snap.upstreams:
        for u in watched.upstreams:
            key = (s.name, watched.model, u.id)
            yield "llm_upstream_endpoint_info", (*key, u.provider_name, u.quantization), 1
            yield "llm_upstream_endpoint_up", key, u.up
            if u.status is not None:
                yield "llm_upstream_endpoint_status_code", key, u.status
            for window, ratio in u.uptime:
                yield "llm_upstream_endpoint_uptime_ratio", (*key, window), ratio
            for quantile, seconds in u.latency_seconds:
                yield "llm_upstream_endpoint_latency_seconds", (*key, quantile), seconds
            for quantile, rate in u.throughput:
                yield "llm_upstream_endpoint_throughput_tokens_per_second", (*key, quantile), rate
            for kind, price in u.prices:
                yield "llm_upstream_endpoint_price_usd_per_token", (*key, kind), price
        yield "llm_upstream_endpoints", (s.name, watched.model), len(watched.upstreams)
        yield "llm_upstream_endpoints_up", (s.name, watched.model), sum(u.up for u in watched.upstreams)
    if snap.upstream_models_skipped is not None:
        yield "llm_upstream_models_skipped", (s.name,), snap.upstream_models_skipped


PARTS = (Part("upstreams", "source", _key, _samples),)
