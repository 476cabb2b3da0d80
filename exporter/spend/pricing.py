"""Pricing usage events from the merged catalog.

An event names a provider and a model id. The model is looked up by exact id; where the
event's provider matches a source name or a provider label that lists the id with prices,
that listing's price is used, otherwise the lowest listed price for the id. An id no source
prices is unpriced: it costs 0 and is counted as such.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from exporter import money
from exporter.snapshot import Model, Snapshot


@dataclass(frozen=True, slots=True)
class Listing:
    source: str
    provider: str
    model: Model
    weighted: Decimal


class PriceBook:
    def __init__(self, fresh: Iterable[tuple[str, Snapshot]], ratio: Decimal):
        self._by_id: dict[str, list[Listing]] = {}
        for source, snap in fresh:
            for m in snap.models:
                weighted = Decimal(0) if m.free else money.weighted_price(m.price("input"), m.price("output"), ratio)
                if weighted is None:  # no usable price (dynamic routers, vendors that list none)
                    continue
                self._by_id.setdefault(m.id, []).append(Listing(source, m.provider, m, weighted))
        for listings in self._by_id.values():
            listings.sort(key=lambda item: (item.weighted, item.source, item.provider))

    def lookup(self, provider: str, model_id: str) -> Listing | None:
        listings = self._by_id.get(model_id)
        if not listings:
            return None
        return next((item for item in listings if provider in (item.source, item.provider)), listings[0])

    def cost(self, provider: str, model_id: str, input_tokens: int, output_tokens: int,
             cache_read_tokens: int = 0) -> Decimal | None:
        """USD for the tokens, or None when no source prices the model."""
        listing = self.lookup(provider, model_id)
        if listing is None:
            return None
        if listing.model.free:
            return Decimal(0)
        return money.token_cost(dict(listing.model.prices), input_tokens, output_tokens, cache_read_tokens)

    def listings(self, model_id: str) -> list[Listing]:
        return list(self._by_id.get(model_id, ()))
