"""The /api/summary document: the cached state as JSON for scripts and quick looks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exporter import __version__
from exporter.views import FleetView
from exporter.web.documents import liveness_document, model_document, outage_documents, probe_document

CHEAPEST = 10


def _num(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def build(view: FleetView) -> dict[str, Any]:
    sources: list[dict[str, Any]] = []
    providers: list[dict[str, Any]] = []
    balances: list[dict[str, Any]] = []
    counts: list[dict[str, Any]] = []
    paid: list[tuple[Decimal, str, dict[str, Any]]] = []
    settings = view.catalog.settings
    free: list[dict[str, Any]] = []
    for s in view.sources:
        snap = s.snapshot
        sources.append({
            "name": s.name,
            "type": s.type,
            "up": s.up,
            "polled": s.polled,
            "last_success": s.last_success,
            "last_error": s.last_error,
            "stale": s.snapshot is None and s.last_success is not None,
        })
        if snap is None:
            continue
        for p in snap.providers:
            providers.append({
                "source": s.name,
                "provider": p.id,
                "name": p.name,
                "health": p.state(s.up),
                "active": p.active,
                "response_time_seconds": p.response_time_seconds,
                "capabilities": sorted(c for c, ok in p.capabilities if ok),
            })
        for b in snap.balances:
            limit = next((c.amount for c in snap.credit_limits if c.currency == b.currency), None)
            balances.append({"source": s.name, "currency": b.currency, "balance": _num(b.amount),
                             "credit_limit": _num(limit)})
        per_provider: dict[str, dict[str, int]] = {}
        for m in snap.models:
            entry = per_provider.setdefault(m.provider, {"models": 0, "free": 0})
            entry["models"] += 1
            entry["free"] += m.free
            if m.free:
                free.append(model_document(s.name, snap, m, s.up, view))
            # Models without both prices (dynamic routers, dedicated-only) cannot be ranked.
            elif (cost := settings.weighted(m)) is not None:
                paid.append((cost, f"{s.name}/{m.id}", model_document(s.name, snap, m, s.up, view)))
        counts.extend({"source": s.name, "provider": p, **c} for p, c in sorted(per_provider.items()))
    paid.sort(key=lambda item: (item[0], item[1]))
    return {
        "exporter": {"name": "llm-fleet-exporter", "version": __version__, "ready": view.ready},
        "shard": {"index": view.shard.index, "count": view.shard.count, "sources": list(view.shard.owned)},
        "sources": sources,
        "providers": providers,
        "balances": balances,
        "model_counts": counts,
        "cheapest_paid_models": [entry for _, _, entry in paid[:CHEAPEST]],
        "free_models": sorted(free, key=lambda e: (e["source"], e["model"])),
        "probes": [probe_document(entry) for entry in view.probes.entries],
        "liveness": [liveness_document(m) for m in view.liveness.models],
        "unacknowledged_outages": outage_documents(view),
    }
