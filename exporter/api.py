"""The catalog's JSON endpoints: /api/models, /api/route and /api/changes.

Each reads the engine's current view; none reaches a provider. A bad parameter is a
BadRequest, which the server answers as 400 with {"error": ...}, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from exporter.catalog.capabilities import Candidate, CapabilityClass, CatalogSettings
from exporter.catalog.changes import Change
from exporter.engine import FleetView
from exporter.snapshot import MODEL_CAPABILITIES, Model, Snapshot
from exporter.spend.book import Totals
from exporter.spend.recommend import WINDOW_DAYS
from exporter.units import day_start, window_start

MODELS_LIMIT, MODELS_MAX = 100, 1000
CHANGES_LIMIT, CHANGES_MAX = 50, 200


class BadRequest(Exception):
    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.document = {"error": message, **extra}


def usd(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def parse_query(query_string: str, known: tuple[str, ...]) -> dict[str, list[str]]:
    query = parse_qs(query_string, keep_blank_values=True)
    unknown = sorted(set(query) - set(known))
    if unknown:
        raise BadRequest(f"unknown parameter {unknown[0]!r}", parameters=list(known))
    return query


def _one(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(f"{name} is given {len(values)} times; give it once")
    return values[0]


def _int(query: Mapping[str, list[str]], name: str, default: int, low: int, high: int | None = None) -> int:
    raw = _one(query, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"{name} must be {bounds}, got {value}")
    return value


def _class(settings: CatalogSettings, name: str | None, required: bool) -> CapabilityClass | None:
    if name is None:
        if required:
            raise BadRequest("class is required", classes=settings.class_names())
        return None
    cls = settings.named(name)
    if cls is None:
        raise BadRequest(f"unknown class {name!r}", classes=settings.class_names())
    return cls


def model_document(source: str, snapshot: Snapshot, m: Model, up: bool, view: FleetView) -> dict[str, Any]:
    health = snapshot.provider_state(m.provider, up)
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
    }


def models(view: FleetView, query_string: str) -> dict[str, Any]:
    query = parse_query(query_string, ("free", "capability", "class", "provider", "source", "min_context",
                                       "limit", "offset"))
    settings = view.catalog.settings
    free = _one(query, "free")
    if free is not None and free not in ("true", "false"):
        raise BadRequest(f"free must be true or false, got {free!r}")
    capabilities = query.get("capability", [])
    for capability in capabilities:
        if capability not in MODEL_CAPABILITIES:
            raise BadRequest(f"unknown capability {capability!r}", capabilities=list(MODEL_CAPABILITIES))
    cls = _class(settings, _one(query, "class"), required=False)
    provider, source = _one(query, "provider"), _one(query, "source")
    min_context = _int(query, "min_context", 0, 0)
    limit = _int(query, "limit", MODELS_LIMIT, 1, MODELS_MAX)
    offset = _int(query, "offset", 0, 0)

    rows: list[tuple[tuple[int, Decimal, str, str, str], str, Snapshot, Model, bool]] = []
    for s in view.sources:
        snap = s.snapshot
        if snap is None or (source is not None and s.name != source):
            continue
        for m in snap.models:
            if provider is not None and m.provider != provider:
                continue
            if free is not None and m.free != (free == "true"):
                continue
            if any(m.capability(c) is not True for c in capabilities):
                continue
            if cls is not None and not cls.admits(m):
                continue
            if min_context and (m.context_length or 0) < min_context:
                continue
            price = settings.weighted(m)
            # Free first, then by weighted price, unknown prices last.
            rank = 0 if m.free else (1 if price is not None else 2)
            rows.append(((rank, price or Decimal(0), s.name, m.provider, m.id), s.name, snap, m, s.up))
    rows.sort(key=lambda row: row[0])
    page = rows[offset:offset + limit]
    return {
        "total": len(rows),
        "offset": offset,
        "limit": limit,
        "input_output_ratio": float(settings.input_output_ratio),
        "models": [model_document(name, snap, m, up, view) for _, name, snap, m, up in page],
    }


def _candidate(c: Candidate) -> dict[str, Any]:
    return {
        "source": c.source,
        "provider": c.provider,
        "model": c.model,
        "name": c.name,
        "weighted_price_usd_per_token": usd(c.price),
        "health": c.health(True),  # only eligible candidates are routed to: source up, provider healthy
    }


def route(view: FleetView, query_string: str) -> dict[str, Any]:
    query = parse_query(query_string, ("class",))
    settings = view.catalog.settings
    cls = _class(settings, _one(query, "class"), required=True)
    assert cls is not None
    candidates = view.catalog.routes.get(cls.name, ())
    return {
        "class": cls.name,
        "requires": {"capabilities": list(cls.capabilities), "min_context": cls.min_context,
                     "include_free": cls.include_free, "min_quality": cls.min_quality},
        "input_output_ratio": float(settings.input_output_ratio),
        "best": _candidate(candidates[0]) if candidates else None,
        "fallbacks": [_candidate(c) for c in candidates[1:]],
    }


def change_document(c: Change) -> dict[str, Any]:
    def prices(inp: Decimal | None, out: Decimal | None, present: bool) -> dict[str, float | None] | None:
        return {"input": usd(inp), "output": usd(out)} if present else None

    return {
        "time": c.time,
        "source": c.source,
        "provider": c.provider,
        "model": c.model,
        "change": c.change,
        "old_price_usd_per_token": prices(c.old_input, c.old_output, c.change != "added"),
        "new_price_usd_per_token": prices(c.new_input, c.new_output, c.change != "removed"),
    }


def changes(view: FleetView, query_string: str) -> dict[str, Any]:
    query = parse_query(query_string, ("limit",))
    limit = _int(query, "limit", CHANGES_LIMIT, 1, CHANGES_MAX)
    log = view.catalog.log
    return {"total": len(log), "limit": limit, "changes": [change_document(c) for c in log[:limit]]}



# -- usage, recommendations and comparison ----------------------------------------------------
USAGE_GROUPS = ("model", "task", "provider")
USAGE_WINDOWS = ("day", "week", "month")
COMPARE_MAX = 10


def _choice(query: Mapping[str, list[str]], name: str, allowed: tuple[str, ...]) -> str:
    value = _one(query, name) or allowed[0]
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


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
    group_by = _choice(query, "group_by", USAGE_GROUPS)
    window = _choice(query, "window", USAGE_WINDOWS)
    spending = view.spending
    now = spending.computed_at or 0.0
    since = window_start(window, now)
    groups = spending.book.grouped(since, group_by)
    rows = sorted(groups.items(), key=lambda item: (-item[1].cost_usd, item[0]))
    return {
        "group_by": group_by,
        "window": window,
        "since": since,
        "as_of": spending.computed_at,
        "total_cost_usd": usd(sum((t.cost_usd for t in groups.values()), Decimal(0))),
        "groups": [{group_by: name, **_totals(t)} for name, t in rows],
    }


def recommendations(view: FleetView, query_string: str) -> dict[str, Any]:
    parse_query(query_string, ())
    spending = view.spending
    out = []
    for a in spending.advice:
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
    out.sort(key=lambda r: (-(r["savings_usd_per_month"] or 0), r["task"]))
    return {"window_days": WINDOW_DAYS, "min_savings_usd": usd(spending.settings.min_savings_usd),
            "as_of": spending.computed_at, "recommendations": out}


def compare(view: FleetView, query_string: str) -> dict[str, Any]:
    query = parse_query(query_string, ("models",))
    raw = _one(query, "models")
    ids = [m.strip() for m in (raw or "").split(",") if m.strip()]
    if not ids:
        raise BadRequest("models is required: a comma-separated list of model ids")
    if len(ids) > COMPARE_MAX:
        raise BadRequest(f"models takes at most {COMPARE_MAX} ids, got {len(ids)}")
    spending = view.spending
    now = spending.computed_at or 0.0
    recent = spending.book.grouped(day_start(now) - (WINDOW_DAYS - 1) * 86400, "model")
    fleet = spending.settings.fleet
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
