"""The JSON shape of each thing, built once: a model, an upstream endpoint, a probe's last
result. /api/summary, /api/models and the landing page all show them through these, so a model
reads the same wherever it appears (docs/api.md documents each shape once)."""

from __future__ import annotations

from typing import Any

from exporter.probes.book import ProbeEntry
from exporter.snapshot import Model, Snapshot, Upstream
from exporter.views import FleetView
from exporter.web.query import usd


def upstream_document(u: Upstream) -> dict[str, Any]:
    return {
        "upstream": u.id,
        "provider_name": u.provider_name,
        "quantization": u.quantization or None,
        "up": u.up,
        "status": u.status,
        "uptime_ratio": dict(u.uptime),
        "latency_seconds": dict(u.latency_seconds),
        "throughput_tokens_per_second": dict(u.throughput),
        "price_usd_per_token": {kind: float(price) for kind, price in u.prices},
    }


def model_document(source: str, snapshot: Snapshot, m: Model, up: bool, view: FleetView) -> dict[str, Any]:
    health = snapshot.provider_state(m.provider, up)
    watched = next((w for w in snapshot.upstreams if w.model == m.id), None)
    return {
        "source": source,
        "provider": m.provider,
        "model": m.id,
        "name": m.name,
        "free": m.free,
        "weighted_price_usd_per_token": usd(view.catalog.settings.weighted(m)),
        "price_usd_per_token": {k: float(v) for k, v in m.prices},
        "context_length_tokens": m.context_length,
        # Reported capabilities only: a capability missing here is not reported by the source.
        "capabilities": {c: ok for c, ok in m.capabilities},
        "health": health,
        "first_seen": view.catalog.first_seen(source, m.provider, m.id),
        "retires_at": m.retires_at,
        "replacement": m.replacement,
        # Only for the models whose upstream endpoints the source watches (OpenRouter's `endpoints:`).
        "upstreams": None if watched is None else [upstream_document(u) for u in watched.upstreams],
    }


def probe_document(entry: ProbeEntry) -> dict[str, Any]:
    last, good = entry.last, entry.last_success
    return {
        "source": entry.target.source,
        "model": entry.target.model,
        "success": None if last is None else last.ok,
        "reason": None if last is None else last.reason,
        "error": None if last is None else last.error,
        "ttft_seconds": None if last is None else last.ttft_seconds,
        "duration_seconds": None if last is None or not last.ok else last.duration_seconds,
        "tokens_per_second": None if last is None or not last.ok else last.tokens_per_second,
        "last_probe": None if last is None else last.at,
        "last_success": None if good is None else good.at,
        "consecutive_failures": entry.consecutive_failures,
    }
