"""Capability classes: what "good enough" means for a kind of traffic, and the ranking of
the fleet's models within each class by weighted price.

A class is a set of required capabilities plus a minimum context. Which models a class
admits depends only on a catalog entry, so it is worked out once per poll of a source
(`Ranking.of`); which of those may win right now also depends on health, and is decided
when the fleet changes (`best`), never on the scrape path.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from exporter import money
from exporter.defaults import default
from exporter.snapshot import Model, Snapshot

DEFAULT_RATIO = Decimal(str(default("catalog.input_output_ratio")))
# The default classes; a user class of the same name replaces one of these whole.
DEFAULT_CLASSES: dict[str, dict[str, Any]] = default("catalog.classes")
ROUTE_DEPTH = 4  # the winner and three fallbacks


@dataclass(frozen=True, slots=True)
class CapabilityClass:
    name: str
    capabilities: tuple[str, ...] = ()
    min_context: int = 0
    include_free: bool = False
    # Accepted now; used once the fleet file supplies quality scores.
    min_quality: float | None = None

    def admits(self, m: Model) -> bool:
        """Whether the catalog entry qualifies, health aside. A capability the source does not
        report does not qualify; neither does an unknown context when a minimum is set. Every
        class wants text out, except one that asks for image generation."""
        if not m.text_output and "image_generation" not in self.capabilities:
            return False
        if any(m.capability(c) is not True for c in self.capabilities):
            return False
        return self.min_context <= 0 or (m.context_length is not None and m.context_length >= self.min_context)

    def price(self, m: Model, ratio: Decimal) -> Decimal | None:
        """What the model costs for ranking in this class, or None when it cannot compete.
        Free tiers are rate limited, so they count (at 0) only where the class says so."""
        if m.free:
            return Decimal(0) if self.include_free else None
        return money.weighted_price(m.price("input"), m.price("output"), ratio)


@dataclass(frozen=True, slots=True)
class CatalogSettings:
    input_output_ratio: Decimal = DEFAULT_RATIO
    classes: tuple[CapabilityClass, ...] = ()

    def named(self, name: str) -> CapabilityClass | None:
        return next((c for c in self.classes if c.name == name), None)

    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    def weighted(self, m: Model) -> Decimal | None:
        """The model's weighted price regardless of class; 0 for free models."""
        if m.free:
            return Decimal(0)
        return money.weighted_price(m.price("input"), m.price("output"), self.input_output_ratio)


def settings_from(doc: Mapping[str, Any] | None) -> CatalogSettings:
    """The `catalog:` section (already validated by the schema), user classes over defaults."""
    doc = doc or {}
    merged = {**DEFAULT_CLASSES, **(doc.get("classes") or {})}
    classes = tuple(
        CapabilityClass(
            name=name,
            capabilities=tuple(spec.get("capabilities") or ()),
            min_context=int(spec.get("min_context") or default("catalog.classes.*.min_context")),
            include_free=bool(spec.get("include_free", default("catalog.classes.*.include_free"))),
            min_quality=spec.get("min_quality"),
        )
        for name, spec in merged.items()
    )
    ratio = money.to_decimal(doc.get("input_output_ratio"))
    return CatalogSettings(input_output_ratio=DEFAULT_RATIO if ratio is None else ratio, classes=classes)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A model that qualifies for a class, with what ranking and routing need."""

    price: Decimal
    source: str
    provider: str
    model: str
    name: str
    # The provider's own health, or None when the provider is the source itself (healthy
    # exactly while the source's last poll succeeded).
    provider_health: str | None

    def sort_key(self) -> tuple[Decimal, str, str, str]:
        return (self.price, self.source, self.provider, self.model)

    def health(self, source_up: bool) -> str:
        if self.provider_health is None:
            return "healthy" if source_up else "down"
        return self.provider_health if source_up else "unknown"


def provider_health(snapshot: Snapshot) -> dict[str, str | None]:
    return {p.id: None if p.follows_source else p.health for p in snapshot.providers}


def ranking(source: str, snapshot: Snapshot, settings: CatalogSettings) -> dict[str, tuple[Candidate, ...]]:
    """Per class, the source's qualifying models, cheapest first."""
    health = provider_health(snapshot)
    # A watched model (OpenRouter's upstream endpoints) that lists endpoints but none serving is
    # down whatever its provider says: calls to it fail, so it must not win a route.
    stranded = {w.model for w in snapshot.upstreams if w.upstreams and not any(u.up for u in w.upstreams)}
    out: dict[str, tuple[Candidate, ...]] = {}
    for cls in settings.classes:
        found = []
        for m in snapshot.models:
            if not cls.admits(m):
                continue
            price = cls.price(m, settings.input_output_ratio)
            if price is not None:
                state = "down" if m.id in stranded else health.get(m.provider)
                found.append(Candidate(price, source, m.provider, m.id, m.name, state))
        out[cls.name] = tuple(sorted(found, key=Candidate.sort_key))
    return out


def best(per_source: Iterable[tuple[tuple[Candidate, ...], bool]], depth: int = ROUTE_DEPTH, *,
         unservable: Collection[tuple[str, str]] = ()) -> tuple[Candidate, ...]:
    """The `depth` cheapest eligible candidates across sources. Eligible: the source's last
    poll succeeded, the provider is healthy (a model on a degraded or down provider never
    wins) and the model serves (not among `unservable`, the (source, model) pairs liveness
    checks found dead). per_source holds each source's sorted candidates and whether it is up."""
    lists = [candidates for candidates, up in per_source if up]
    eligible: Iterator[Candidate] = (
        c for c in heapq.merge(*lists, key=Candidate.sort_key)
        if c.health(True) == "healthy" and (c.source, c.model) not in unservable
    )
    out = []
    for candidate in eligible:
        out.append(candidate)
        if len(out) == depth:
            break
    return tuple(out)
