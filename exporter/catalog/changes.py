"""Catalog changes of one source between two successful polls.

The detector compares a poll's models with the last known catalog of the same source (from
the previous successful poll, or from the state file after a restart). A source seen for
the first time sets the baseline: nothing is counted for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from exporter.snapshot import Model

CHANGE_TYPES = ("added", "removed", "price_changed", "became_free", "stopped_being_free")
FREE_CHANGE_TYPES = ("added", "removed")
MAX_GONE = 1000  # first-seen times kept for models that left the catalog, per source

Key = tuple[str, str]  # (provider, model)


@dataclass(frozen=True, slots=True)
class Entry:
    """What the next poll is compared with, for one model."""

    input: Decimal | None
    output: Decimal | None
    free: bool
    first_seen: float

    def same_prices(self, other: Entry) -> bool:
        return self.input == other.input and self.output == other.output


@dataclass(frozen=True, slots=True)
class Change:
    time: float
    source: str
    provider: str
    model: str
    change: str
    old_input: Decimal | None = None
    old_output: Decimal | None = None
    new_input: Decimal | None = None
    new_output: Decimal | None = None
    # `added` or `removed` when the change moves a model into or out of the free set: a free
    # model that appears or disappears, or a model that becomes free or stops being free.
    free_change: str | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    """The last known catalog of a source, and the first-seen times of models it dropped
    (so a model that leaves and comes back keeps the time it was first seen)."""

    entries: Mapping[Key, Entry]
    gone: Mapping[Key, float]


def entry(m: Model, first_seen: float) -> Entry:
    return Entry(m.price("input"), m.price("output"), m.free, first_seen)


def baseline(models: tuple[Model, ...], now: float) -> Catalog:
    return Catalog({(m.provider, m.id): entry(m, now) for m in models}, {})


def detect(source: str, old: Catalog, models: tuple[Model, ...], now: float) -> tuple[Catalog, list[Change]]:
    """The new catalog and the changes from `old` to `models`, in catalog order."""
    changes: list[Change] = []
    entries: dict[Key, Entry] = {}
    gone = dict(old.gone)
    for m in models:
        key = (m.provider, m.id)
        before = old.entries.get(key)
        if before is None:
            new = entry(m, gone.pop(key, now))
            entries[key] = new
            changes.append(Change(now, source, m.provider, m.id, "added", new_input=new.input,
                                  new_output=new.output, free_change="added" if new.free else None))
            continue
        new = entry(m, before.first_seen)
        entries[key] = new
        if not new.same_prices(before):
            changes.append(_moved(now, source, key, before, new, "price_changed"))
        if new.free and not before.free:
            changes.append(_moved(now, source, key, before, new, "became_free", "added"))
        elif before.free and not new.free:
            changes.append(_moved(now, source, key, before, new, "stopped_being_free", "removed"))
    for key, before in old.entries.items():
        if key not in entries:
            gone[key] = before.first_seen
            changes.append(Change(now, source, key[0], key[1], "removed", old_input=before.input,
                                  old_output=before.output, free_change="removed" if before.free else None))
    if len(gone) > MAX_GONE:  # forget the longest-known first
        gone = dict(sorted(gone.items(), key=lambda item: item[1])[len(gone) - MAX_GONE:])
    return Catalog(entries, gone), changes


def _moved(now: float, source: str, key: Key, before: Entry, new: Entry, change: str,
           free_change: str | None = None) -> Change:
    """A change of a model that stays in the catalog: its prices before and after."""
    return Change(now, source, key[0], key[1], change, old_input=before.input, old_output=before.output,
                  new_input=new.input, new_output=new.output, free_change=free_change)
