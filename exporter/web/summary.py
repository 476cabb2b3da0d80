"""The /api/summary document: the cached state as JSON for scripts and quick looks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exporter import __version__
from exporter.snapshot import Model
from exporter.views import FleetView

CHEAPEST = 10


def _num(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _model(source: str, m: Model) -> dict[str, Any]:
    return {
        "source": source,
        "provider": m.provider,
        "model": m.id,
        "name": m.name,
        "price_usd_per_token": {k: float(v) for k, v in m.prices},
        "context_length_tokens": m.context_length,
        "capabilities": sorted(c for c, ok in m.capabilities if ok),
    }


def _probes(view: FleetView) -> list[dict[str, Any]]:
    out = []
    for entry in view.probes.entries:
        last, good = entry.last, entry.last_success
        out.append({
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
        })
    return out


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
                free.append(_model(s.name, m))
            # Models without both prices (dynamic routers, dedicated-only) cannot be ranked.
            elif (cost := settings.weighted(m)) is not None:
                paid.append((cost, f"{s.name}/{m.id}", _model(s.name, m)))
        counts.extend({"source": s.name, "provider": p, **c} for p, c in sorted(per_provider.items()))
    paid.sort(key=lambda item: (item[0], item[1]))
    return {
        "exporter": {"name": "llm-fleet-exporter", "version": __version__, "ready": view.ready},
        "sources": sources,
        "providers": providers,
        "balances": balances,
        "model_counts": counts,
        "cheapest_paid_models": [entry for _, _, entry in paid[:CHEAPEST]],
        "free_models": sorted(free, key=lambda e: (e["source"], e["model"])),
        "probes": _probes(view),
    }
