"""The catalog's JSON endpoints: /api/models, /api/route and /api/changes. Each reads the
engine's current view; none reaches a provider."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exporter.catalog.capabilities import Candidate, CapabilityClass, CatalogSettings
from exporter.catalog.changes import Change
from exporter.snapshot import MODEL_CAPABILITIES, Model, Snapshot
from exporter.views import FleetView
from exporter.web.documents import model_document
from exporter.web.query import BadRequest, integer, one, parse_query, usd

MODELS_LIMIT, MODELS_MAX = 100, 1000
CHANGES_LIMIT, CHANGES_MAX = 50, 200


def _class(settings: CatalogSettings, name: str | None, required: bool) -> CapabilityClass | None:
    if name is None:
        if required:
            raise BadRequest("class is required", classes=settings.class_names())
        return None
    cls = settings.named(name)
    if cls is None:
        raise BadRequest(f"unknown class {name!r}", classes=settings.class_names())
    return cls


def models(view: FleetView, query_string: str) -> dict[str, Any]:
    query = parse_query(query_string, ("id", "free", "capability", "class", "provider", "source", "min_context",
                                       "limit", "offset"))
    ids = set(query.get("id", []))
    settings = view.catalog.settings
    free = one(query, "free")
    if free is not None and free not in ("true", "false"):
        raise BadRequest(f"free must be true or false, got {free!r}")
    capabilities = query.get("capability", [])
    for capability in capabilities:
        if capability not in MODEL_CAPABILITIES:
            raise BadRequest(f"unknown capability {capability!r}", capabilities=list(MODEL_CAPABILITIES))
    cls = _class(settings, one(query, "class"), required=False)
    provider, source = one(query, "provider"), one(query, "source")
    min_context = integer(query, "min_context", 0, 0)
    limit = integer(query, "limit", MODELS_LIMIT, 1, MODELS_MAX)
    offset = integer(query, "offset", 0, 0)

    rows: list[tuple[tuple[int, Decimal, str, str, str], str, Snapshot, Model, bool]] = []
    for s in view.sources:
        snap = s.snapshot
        if snap is None or (source is not None and s.name != source):
            continue
        for m in snap.models:
            if ids and m.id not in ids:
                continue
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
    cls = _class(settings, one(query, "class"), required=True)
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
    limit = integer(query, "limit", CHANGES_LIMIT, 1, CHANGES_MAX)
    log = view.catalog.log
    return {"total": len(log), "limit": limit, "changes": [change_document(c) for c in log[:limit]]}
