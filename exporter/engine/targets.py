"""Which models the liveness checks look at: the ones named in the config, the fleet file's,
and the ones in use (calls in the last 7 days in the usage book, this month in a vendor's own
report), named first and capped at liveness.max_models by the runner. Each is checked through
a source that lists it and has a chat API, matched as usage is priced: the source or provider
the call names, else the first source (by name) that lists the model."""

from __future__ import annotations

from collections.abc import Collection

from exporter.probes.liveness import LivenessSettings
from exporter.spend.fleetfile import FleetFile
from exporter.views import FleetView

IN_USE_DAYS = 7


def liveness_targets(settings: LivenessSettings, fleet: FleetFile, view: FleetView, probeable: Collection[str],
                     now: float) -> list[tuple[str, str]]:
    listings: dict[str, list[tuple[str, str]]] = {}  # model id -> [(source, provider)], sources by name
    for source, snapshot in sorted(view.fresh(), key=lambda pair: pair[0].name):
        if source.name in probeable:
            for m in snapshot.models:
                listings.setdefault(m.id, []).append((source.name, m.provider))

    def match(provider: str, model: str) -> tuple[str, str] | None:
        found = listings.get(model, ())
        named = next((source for source, listed in found if provider in (source, listed)), None)
        if named is None and found:
            named = found[0][0]
        return None if named is None else (named, model)

    wanted: dict[tuple[str, str], None] = dict.fromkeys(settings.models)
    candidates: list[tuple[str, str]] = []
    if settings.fleet:
        candidates += [(m.provider, m.model) for m in fleet.models if m.status != "disabled"]
    if settings.in_use:
        book = view.spend.book
        candidates += [(provider, model) for (provider, model, _), totals in book.since(now - IN_USE_DAYS * 86400)
                       if totals.requests > 0]
        for source, snapshot in view.fresh():
            candidates += [(source.name, model) for model, requests in snapshot.vendor_requests if requests > 0]
    for provider, model in candidates:
        target = match(provider, model)
        if target is not None:
            wanted.setdefault(target)
    return list(wanted)
