"""Catalog intelligence: changes, first-seen times and the cheapest model per class."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.catalog.changes import CHANGE_TYPES, FREE_CHANGE_TYPES
from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.views import FleetView, SourceView

F = Family
FAMILIES = (
    F("llm_model_first_seen_timestamp_seconds", "gauge", "unix seconds", ("source", "provider", "model"),
      "Unix time this exporter first saw the model in the source's catalog; kept across restarts in state_dir."
      + CACHED),
    F("llm_catalog_changes_total", "counter", "changes", ("source", "change"),
      "Catalog changes between consecutive successful polls of the source, by change (added, removed, "
      "price_changed, became_free, stopped_being_free). A source's first poll is the baseline."),
    F("llm_catalog_free_changes_total", "counter", "models", ("source", "change"),
      "Free models that appeared (added: listed new, or became free) or disappeared (removed: delisted, or "
      "stopped being free) in the source's catalog."),
    F("llm_cheapest_model_info", "gauge", "–", ("class", "source", "provider", "model"),
      "The cheapest eligible model of the capability class (healthy provider, source up) by weighted price; "
      "always 1."),
    F("llm_cheapest_price_usd_per_token", "gauge", "USD per token", ("class",),
      "Weighted price (input_output_ratio x input + output) / (input_output_ratio + 1) of the class's cheapest "
      "eligible model, in USD per token."),
    F("llm_cheapest_model_changes_total", "counter", "changes", ("class",),
      "Times the cheapest eligible (source, model) of the class changed; the first winner after a start is not a "
      "change."),
)


def _first_seen_key(view: FleetView, s: SourceView) -> Hashable:
    snap = s.snapshot
    return (None,) if snap is None else (Same(snap.models), Same(view.catalog.catalogs.get(s.name)))


def _first_seen(view: FleetView, s: SourceView) -> Iterator[Sample]:
    if s.snapshot is None:
        return
    for m in s.snapshot.models:
        seen = view.catalog.first_seen(s.name, m.provider, m.id)
        if seen is not None:
            yield "llm_model_first_seen_timestamp_seconds", (s.name, m.provider, m.id), seen


def _counts(view: FleetView, s: SourceView) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    changes, free = view.catalog.changes, view.catalog.free_changes
    if (s.name, CHANGE_TYPES[0]) not in changes:  # a source without a catalog has no counters
        return None
    return (tuple(changes[(s.name, c)] for c in CHANGE_TYPES), tuple(free[(s.name, c)] for c in FREE_CHANGE_TYPES))


def _counters(view: FleetView, s: SourceView) -> Iterator[Sample]:
    counts = _counts(view, s)
    if counts is None:
        return
    for change, count in zip(CHANGE_TYPES, counts[0], strict=True):
        yield "llm_catalog_changes_total", (s.name, change), count
    for change, count in zip(FREE_CHANGE_TYPES, counts[1], strict=True):
        yield "llm_catalog_free_changes_total", (s.name, change), count


def _cheapest(view: FleetView) -> Iterator[Sample]:
    catalog = view.catalog
    for cls in catalog.settings.classes:
        route = catalog.routes.get(cls.name, ())
        if route:
            top = route[0]
            yield "llm_cheapest_model_info", (cls.name, top.source, top.provider, top.model), 1
            yield "llm_cheapest_price_usd_per_token", (cls.name,), top.price
        yield "llm_cheapest_model_changes_total", (cls.name,), catalog.cheapest_changes.get(cls.name, 0)


def _cheapest_key(view: FleetView) -> Hashable:
    catalog = view.catalog
    winners = tuple((name, route[0] if route else None) for name, route in catalog.routes.items())
    return (Same(catalog.settings), winners, tuple(sorted(catalog.cheapest_changes.items())))


PARTS = (
    Part("first_seen", "source", _first_seen_key, _first_seen),
    Part("catalog_counters", "source", _counts, _counters),
    Part("cheapest", "fleet", _cheapest_key, _cheapest),
)
