"""The usage and spend JSON endpoints: /api/usage, /api/recommendations and /api/compare. Each
reads the engine's current view; none reaches a provider or a ledger file."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exporter.spend.book import Totals
from exporter.spend.recommend import WINDOW_DAYS
from exporter.units import day_start, window_start
from exporter.views import FleetView
from exporter.web.documents import model_document
from exporter.web.query import BadRequest, choice, one, parse_query, usd

USAGE_GROUPS = ("model", "task", "provider")
USAGE_WINDOWS = ("day", "week", "month")
COMPARE_MAX = 10


def _totals(t: Totals) -> dict[str, Any]:
    return {
        "requests": t.requests,
        "failures": t.failures,
        "success_ratio": None if not t.requests else (t.requests - t.failures) / t.requests,
        "tokens": t.tokens(),
        "cost_usd": usd(t.cost_usd),
        "mean_duration_seconds": t.duration_sum / t.duration_count if t.duration_count else None,
    }


def usage(view: FleetView, query_string: str) -> dict[str, Any]:
    query = parse_query(query_string, ("group_by", "window"))
    group_by = choice(query, "group_by", USAGE_GROUPS)
    window = choice(query, "window", USAGE_WINDOWS)
    spend = view.spend
    now = spend.computed_at or 0.0
    since = window_start(window, now)
    groups = spend.book.grouped(since, group_by)
    rows = sorted(groups.items(), key=lambda item: (-item[1].cost_usd, item[0]))
    return {
        "group_by": group_by,
        "window": window,
        "since": since,
        "as_of": spend.computed_at,
        "total_cost_usd": usd(sum((t.cost_usd for t in groups.values()), Decimal(0))),
        "groups": [{group_by: name, **_totals(t)} for name, t in rows],
    }


def recommendations(view: FleetView, query_string: str) -> dict[str, Any]:
    parse_query(query_string, ())
    spend = view.spend
    out = []
    for a in sorted(spend.advice, key=lambda a: (-(a.savings_usd_per_month or 0), a.task)):
        out.append({
            "task": a.task,
            "role": a.role,
            "current": {"provider": a.current_provider, "model": a.current_model,
                        "monthly_cost_usd": usd(a.current_monthly_usd)},
            "suggested": None if a.suggested is None else {
                "source": a.suggested.source, "provider": a.suggested.provider, "model": a.suggested.model.id,
                "monthly_cost_usd": usd(a.projected_monthly_usd)},
            "savings_usd_per_month": usd(a.savings_usd_per_month),
            "quality_delta": a.quality_delta,
            "reasoning": a.reasoning,
            "exported": a.exported,
        })
    return {"window_days": WINDOW_DAYS, "min_savings_usd": usd(spend.settings.min_savings_usd),
            "as_of": spend.computed_at, "recommendations": out}


def compare(view: FleetView, query_string: str) -> dict[str, Any]:
    query = parse_query(query_string, ("models",))
    raw = one(query, "models")
    ids = [m.strip() for m in (raw or "").split(",") if m.strip()]
    if not ids:
        raise BadRequest("models is required: a comma-separated list of model ids")
    if len(ids) > COMPARE_MAX:
        raise BadRequest(f"models takes at most {COMPARE_MAX} ids, got {len(ids)}")
    spend = view.spend
    now = spend.computed_at or 0.0
    recent = spend.book.grouped(day_start(now) - (WINDOW_DAYS - 1) * 86400, "model")
    fleet = spend.settings.fleet
    out = []
    for model_id in dict.fromkeys(ids):
        listings = [model_document(s.name, snap, m, s.up, view) for s, snap in view.fresh()
                    for m in snap.models if m.id == model_id]
        member = fleet.by_model(model_id)
        ledger = recent.get(model_id)
        known = bool(listings or member or ledger)
        entry: dict[str, Any] = {"model": model_id, "known": known}
        if known:
            entry.update({
                "listings": sorted(listings, key=lambda d: (d["weighted_price_usd_per_token"] is None,
                                                            d["weighted_price_usd_per_token"] or 0, d["source"])),
                "fleet": None if member is None else {"id": member.id, "provider": member.provider,
                                                      "status": member.status, "scores": dict(member.scores),
                                                      "roles": [{"role": a.role, "priority": a.priority}
                                                                for a in member.roles]},
                "recent": None if ledger is None else {"window_days": WINDOW_DAYS, **_totals(ledger)},
            })
        out.append(entry)
    return {"models": out}
