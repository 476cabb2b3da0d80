"""The JSON shape of each thing, built once: a model, an upstream endpoint, a probe's last
result. /api/summary, /api/models and the landing page all show them through these, so a model
reads the same wherever it appears (docs/api.md documents each shape once)."""

from __future__ import annotations

from typing import Any

from exporter.probes.book import ProbeEntry
from exporter.probes.servability import ModelLiveness
from exporter.snapshot import Model, Snapshot, Upstream
from exporter.views import FleetView
from exporter.web.query import usd

# The share of a covered source's calls that must fail, while its page shows nothing, for the
# landing page and /api/summary to call it an unacknowledged outage: the default of the
# bundle's LLMUnacknowledgedOutage ratio (a rendered bundle may set its own).
UNACKNOWLEDGED_RATIO = 0.5


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


def liveness_document(m: ModelLiveness) -> dict[str, Any]:
    last = m.last
    return {
        "source": m.source,
        "model": m.model,
        "servable": m.servable,
        "reason": m.reason,
        "retires_at": m.retires_at,
        "checks": m.checks,
        "last_check": None if last is None else last.at,
        "error": None if last is None else last.error,
    }


def outage_documents(view: FleetView) -> list[dict[str, Any]]:
    """The covered sources failing while the page that covers them shows nothing: what the
    exporter saw over the last five minutes (its polls and probes, rate limits and credit
    refusals left out), worst first."""
    by_name = {s.name: s for s in view.sources}
    out = []
    for page, covered in view.covers:
        page_view, source = by_name.get(page), by_name.get(covered)
        status = page_view.snapshot.status_page if page_view is not None and page_view.snapshot else None
        if status is None or not status.green or source is None:
            continue
        calls, failed = source.observed
        if calls and failed / calls >= UNACKNOWLEDGED_RATIO:
            out.append({"source": covered, "page": page, "failed_ratio": failed / calls, "calls": calls,
                        "since": source.failure_streaks[-1][0] if source.failure_streaks else None,
                        "last_error": source.last_error})
    return sorted(out, key=lambda d: (-d["failed_ratio"], d["source"], d["page"]))
