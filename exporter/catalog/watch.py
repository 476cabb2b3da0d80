"""Catalog intelligence: what the engine tells after every poll, and what it knows.

After a source's successful poll the engine calls `observe`: the catalog is compared with
the source's last known one, changes are counted and logged, first-seen times kept, the
source's models ranked per capability class, and the state file rewritten when anything
moved. After every poll, good or bad, the engine calls `rank`: the cheapest eligible model
per class is chosen across the fleet and a change of winner counted. Both run on the poll
path; a scrape only reads the immutable `CatalogView` they leave behind.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exporter import money, statefile
from exporter.catalog.capabilities import Candidate, CatalogSettings, best, provider_health, ranking
from exporter.catalog.changes import CHANGE_TYPES, FREE_CHANGE_TYPES, Catalog, Change, Entry, baseline, detect
from exporter.snapshot import Snapshot

log = logging.getLogger(__name__)

LOG_SIZE = 200
STATE_VERSION = 1
STATE_FILE = "catalog.json"


@dataclass(frozen=True, slots=True)
class CatalogView:
    settings: CatalogSettings = field(default_factory=CatalogSettings)
    # Counters by (source, change); each source with a catalog has every change at 0 or more.
    changes: Mapping[tuple[str, str], int] = field(default_factory=dict)
    free_changes: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # The last known catalog per source: prices compared and first-seen times.
    catalogs: Mapping[str, Catalog] = field(default_factory=dict)
    # Newest first, at most LOG_SIZE.
    log: tuple[Change, ...] = ()
    # Per class: the winner and its fallbacks, all eligible now, cheapest first.
    routes: Mapping[str, tuple[Candidate, ...]] = field(default_factory=dict)
    cheapest_changes: Mapping[str, int] = field(default_factory=dict)

    def first_seen(self, source: str, provider: str, model: str) -> float | None:
        catalog = self.catalogs.get(source)
        held = catalog.entries.get((provider, model)) if catalog else None
        return held.first_seen if held else None


class CatalogWatch:
    def __init__(self, settings: CatalogSettings, state_dir: str | None = None):
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._settings = settings
        self._catalogs: dict[str, Catalog] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self._rankings: dict[str, dict[str, tuple[Candidate, ...]]] = {}
        self._changes: Counter[tuple[str, str]] = Counter()
        self._free_changes: Counter[tuple[str, str]] = Counter()
        self._log: deque[Change] = deque(maxlen=LOG_SIZE)
        self._winners: dict[str, tuple[str, str]] = {}
        self._cheapest_changes: Counter[str] = Counter()
        self._view = CatalogView(settings=settings)
        self._state = statefile.StateFile(state_dir, STATE_FILE, STATE_VERSION)
        self._state.restore(self._restore)
        self._zero_cheapest_counters()

    # -- what the engine calls ------------------------------------------------------------
    def configure(self, settings: CatalogSettings, sources: Iterable[str]) -> None:
        """After a reload: forget removed sources, re-rank the rest under the new classes."""
        keep = set(sources)
        with self._lock:
            self._settings = settings
            for name in [n for n in self._catalogs if n not in keep]:
                self._catalogs.pop(name, None)
            for table in (self._snapshots, self._rankings):
                for name in [n for n in table if n not in keep]:
                    table.pop(name)
            for name, snapshot in self._snapshots.items():
                self._rankings[name] = ranking(name, snapshot, settings)
            self._zero_cheapest_counters()

    def observe(self, source: str, snapshot: Snapshot, now: float) -> None:
        """A successful poll of `source` produced `snapshot`."""
        if not snapshot.catalog:
            return
        with self._lock:
            old = self._catalogs.get(source)
            previous = self._snapshots.get(source)
            if previous is not None and old is not None and snapshot.models is previous.models:
                # The engine keeps an unchanged catalog's identity: nothing to compare. Only
                # the providers' health can still move the ranking.
                self._snapshots[source] = snapshot
                if (provider_health(snapshot) != provider_health(previous)
                        or snapshot.upstreams != previous.upstreams):
                    self._rankings[source] = ranking(source, snapshot, self._settings)
                return
            changes: list[Change]
            if old is None:
                new, changes = baseline(snapshot.models, now), []
            else:
                new, changes = detect(source, old, snapshot.models, now)
                if not changes:
                    new = old  # keeps its identity: the first-seen fragment is not rendered again
            for kind in CHANGE_TYPES:
                self._changes[(source, kind)] += 0
            for kind in FREE_CHANGE_TYPES:
                self._free_changes[(source, kind)] += 0
            for change in changes:
                self._changes[(source, change.change)] += 1
                if change.free_change:
                    self._free_changes[(source, change.free_change)] += 1
                self._log.append(change)
            if changes:
                counts = Counter(ch.change for ch in changes)
                log.info("%s: catalog changed: %s", source, ", ".join(f"{n} {c}" for c, n in sorted(counts.items())),
                         extra={"fields": {"source": source, **counts}})
            self._catalogs[source] = new
            self._snapshots[source] = snapshot
            self._rankings[source] = ranking(source, snapshot, self._settings)
        if changes or old is None:
            self._save()

    def rank(self, sources: Iterable[tuple[str, bool]], *, settled: bool = True,
             unservable: frozenset[tuple[str, str]] = frozenset()) -> CatalogView:
        """Picks each class's winner among the sources given as (name, last poll succeeded),
        counts a change of winner, and returns the new view. A (source, model) the liveness
        checks found not servable never wins. Until the first round of polls has settled,
        sources arrive one by one and the winner moves with them: those moves only set the
        first winner, which is not a change."""
        with self._lock:
            state = [(name, up) for name, up in sources]
            routes = {}
            for cls in self._settings.classes:
                routes[cls.name] = best(
                    ((self._rankings[name][cls.name], up)
                     for name, up in state
                     if name in self._rankings and cls.name in self._rankings[name]),
                    unservable=unservable,
                )
                top = routes[cls.name][:1]
                if top:
                    winner = (top[0].source, top[0].model)
                    previous = self._winners.get(cls.name)
                    if settled and previous is not None and previous != winner:
                        self._cheapest_changes[cls.name] += 1
                        log.info("cheapest %s model is now %s/%s (was %s/%s)", cls.name, *winner, *previous,
                                 extra={"fields": {"class": cls.name, "source": winner[0], "model": winner[1]}})
                    self._winners[cls.name] = winner
            self._view = CatalogView(
                settings=self._settings,
                changes=dict(self._changes),
                free_changes=dict(self._free_changes),
                catalogs=dict(self._catalogs),
                log=tuple(reversed(self._log)),
                routes=routes,
                cheapest_changes=dict(self._cheapest_changes),
            )
            return self._view

    def view(self) -> CatalogView:
        with self._lock:
            return self._view

    # -- state ------------------------------------------------------------------------------
    def _zero_cheapest_counters(self) -> None:
        for cls in self._settings.classes:
            self._cheapest_changes[cls.name] += 0

    def _save(self) -> None:
        if self._state.path is None:
            return
        with self._save_lock:  # one writer at a time, each writing the newest state
            with self._lock:
                doc = self._state_doc()
            self._state.save(doc)

    def _state_doc(self) -> dict[str, Any]:
        return {
            "sources": {
                name: {
                    "models": [[p, m, _text(e.input), _text(e.output), e.free, e.first_seen]
                               for (p, m), e in catalog.entries.items()],
                    "gone": [[p, m, t] for (p, m), t in catalog.gone.items()],
                }
                for name, catalog in self._catalogs.items()
            },
            "log": [[c.time, c.source, c.provider, c.model, c.change, _text(c.old_input), _text(c.old_output),
                     _text(c.new_input), _text(c.new_output), c.free_change] for c in self._log],
        }

    def _restore(self, doc: dict[str, Any]) -> None:
        number = statefile.number
        catalogs = {
            str(name): Catalog(
                {(str(p), str(m)): Entry(_dec(i), _dec(o), bool(free), number(t))
                 for p, m, i, o, free, t in body["models"]},
                {(str(p), str(m)): number(t) for p, m, t in body["gone"]},
            )
            for name, body in doc["sources"].items()
        }
        entries = [Change(number(t), str(s), str(p), str(m), str(c), _dec(oi), _dec(oo), _dec(ni), _dec(no), fc)
                   for t, s, p, m, c, oi, oo, ni, no, fc in doc["log"]]
        self._catalogs = catalogs
        self._log.extend(entries[-LOG_SIZE:])
        log.info("restored the last known catalogs of %d sources from %s", len(catalogs), self._state.path)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(value: Any) -> Decimal | None:
    if value is None:
        return None
    result = money.to_decimal(value)
    if result is None:
        raise ValueError(f"not a price: {value!r}")
    return result
