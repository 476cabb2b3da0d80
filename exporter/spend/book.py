"""The usage book: events, priced, folded to bounded labels and summed.

Two views of the same events are kept: lifetime counters (the llm_usage_* families) and
per-UTC-day totals for the last RETENTION_DAYS days (budgets, recommendations, /api/usage).
Both are saved with the ledger offsets in one state file, so a restart neither re-reads nor
re-prices what was already counted.

Bounded whatever the events say: each label has its own cap (MAX_PROVIDERS, limits.max_tasks,
limits.max_usage_models), and their combinations share limits.max_usage_series, the series of
the llm_usage_* families (duration histograms included). Past a cap a value, or a new
combination, folds into "other", counted in llm_exporter_series_folded_total.
"""

from __future__ import annotations

import functools
import math
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from exporter import money, statefile
from exporter.snapshot import Event, Histogram
from exporter.units import day_start

OTHER = "other"
MAX_PROVIDERS = 100
RETENTION_DAYS = 62  # a month to date, a week and the 7 days recommendations look at, with room
DURATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
TOKEN_TYPES = ("input", "output", "cache_read")
FOLDED_FAMILY = "llm_usage"  # the llm_usage_* families that share provider, model and task
UNPRICED_FAMILY = "llm_usage_unpriced_events_total"


@dataclass(frozen=True, slots=True)
class Totals:
    requests: int = 0
    failures: int = 0
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cost_usd: Decimal = Decimal(0)
    duration_sum: float = 0.0
    duration_count: int = 0

    def add(self, e: Event, cost: Decimal) -> Totals:
        timed = e.duration_seconds is not None
        return Totals(
            self.requests + 1, self.failures + (not e.success), self.input + e.input_tokens,
            self.output + e.output_tokens, self.cache_read + e.cache_read_tokens, self.cost_usd + cost,
            self.duration_sum + (e.duration_seconds or 0.0), self.duration_count + timed,
        )

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[Any, ...]:
        return (self.requests, self.failures, self.input, self.output, self.cache_read, self.cost_usd,
                self.duration_sum, self.duration_count)

    def tokens(self) -> dict[str, int]:
        return {"input": self.input, "output": self.output, "cache_read": self.cache_read}

    def to_json(self) -> list[Any]:
        values = list(self._values())
        values[5] = str(self.cost_usd)
        return values

    @staticmethod
    def from_json(values: list[Any]) -> Totals:
        """Raises ValueError for anything no real state holds (NaN, a 400-digit count)."""
        r, f, i, o, c, cost, dsum, dcount = values
        usd = money.to_decimal(cost)
        if usd is None:
            raise ValueError(f"not an amount: {str(cost)[:40]!r}")
        n = statefile.count
        return Totals(n(r), n(f), n(i), n(o), n(c), usd, statefile.number(dsum), n(dcount))


Key = tuple[str, str, str]  # (provider, model, task)

# Series a (provider, model, task) key costs: requests, failures, three token types, cost; and
# a (provider, model) duration histogram: its buckets, +Inf, sum and count.
SERIES_PER_KEY = 6
SERIES_PER_HISTOGRAM = len(DURATION_BUCKETS) + 3
# The families are rendered in this many pieces, by (provider, model), each with its version:
# a run that touches a few keys renders a few pieces, not a book of 100,000 series.
SLICES = 32
META = SLICES  # the version of what is in no slice: invalid lines, unpriced models, last event


def within(seen: set[str], value: str, limit: int) -> str:
    """`value` while it is one of the values seen or there is room for one more, else "other"."""
    return value if value in seen or len(seen - {OTHER}) < limit else OTHER


@functools.lru_cache(maxsize=1 << 16)
def slice_of(provider: str, model: str) -> int:
    return zlib.crc32(f"{provider}\0{model}".encode("utf-8", "surrogatepass")) % SLICES


@dataclass
class UsageBook:
    max_tasks: int = 50
    max_models: int = 500
    # Series of the llm_usage_* families at most (counters and duration histograms): a new
    # combination past it folds its task, then its model, then its provider into "other".
    max_series: int = 100_000
    counters: dict[Key, Totals] = field(default_factory=dict)
    daily: dict[tuple[int, str, str, str], Totals] = field(default_factory=dict)
    durations: dict[tuple[str, str], Histogram] = field(default_factory=dict)
    invalid_lines: Counter[str] = field(default_factory=Counter)
    unpriced: Counter[str] = field(default_factory=Counter)
    folded: Counter[str] = field(default_factory=Counter)
    last_event: float | None = None
    # Bumped when what a piece renders changes (SLICES pieces, then META).
    versions: list[int] = field(default_factory=lambda: [0] * (SLICES + 1))
    # The label values in use, by label; a value beyond its limit folds into "other".
    _seen: dict[str, set[str]] = field(init=False, repr=False)
    _series: int = field(init=False, repr=False)
    # What changed since the last take_changes(): what an incremental save writes.
    _changed: set[Key] = field(init=False, repr=False)
    _changed_days: set[tuple[int, str, str, str]] = field(init=False, repr=False)
    _changed_durations: set[tuple[str, str]] = field(init=False, repr=False)
    _changed_meta: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._seen = {"provider": {k[0] for k in self.counters}, "model": {k[1] for k in self.counters},
                      "task": {k[2] for k in self.counters}, "unpriced": set(self.unpriced)}
        self._series = SERIES_PER_KEY * len(self.counters) + SERIES_PER_HISTOGRAM * len(self.durations)
        self._changed, self._changed_days, self._changed_durations = set(), set(), set()
        self._changed_meta = False

    @property
    def series(self) -> int:
        return self._series

    def _label(self, label: str, value: str, limit: int) -> str:
        return within(self._seen[label], value, limit)

    def _fit(self, wanted: Key, timed: bool) -> Key:
        """The key an event is counted under: `wanted` while the book has room for its series,
        else the first of its folds that has (task, then model, then provider into "other");
        (other, other, other) always."""
        provider, model, task = wanted
        for key in dict.fromkeys(((provider, model, task), (provider, model, OTHER), (provider, OTHER, OTHER))):
            cost = 0 if key in self.counters else SERIES_PER_KEY
            if timed and (key[0], key[1]) not in self.durations:
                cost += SERIES_PER_HISTOGRAM
            if not cost or self._series + cost <= self.max_series:
                return key
        return (OTHER, OTHER, OTHER)

    def add(self, e: Event, price: Callable[[Event], Decimal | None]) -> None:
        """Counts one event; price() gives its cost from the catalog when it carries none."""
        timed = e.duration_seconds is not None and math.isfinite(e.duration_seconds)
        key = self._fit((self._label("provider", e.provider, MAX_PROVIDERS),
                         self._label("model", e.model, self.max_models),
                         self._label("task", e.task, self.max_tasks)), timed)
        for label, value in zip(("provider", "model", "task"), key, strict=True):
            self._seen[label].add(value)
        if key != (e.provider, e.model, e.task):
            self.folded[FOLDED_FAMILY] += 1
        cost = e.cost_usd
        meta = False
        if cost is None:
            cost = price(e)
            if cost is None:
                cost = Decimal(0)
                unpriced = self._label("unpriced", e.model, self.max_models)
                self._seen["unpriced"].add(unpriced)
                if unpriced != e.model:
                    self.folded[UNPRICED_FAMILY] += 1
                self.unpriced[unpriced] += 1
                meta = True
        if key not in self.counters:
            self._series += SERIES_PER_KEY
        self.counters[key] = self.counters.get(key, Totals()).add(e, cost)
        day = (day_start(e.ts), *key)
        self.daily[day] = self.daily.get(day, Totals()).add(e, cost)
        pm = (key[0], key[1])
        if timed:
            assert e.duration_seconds is not None
            if pm not in self.durations:
                self._series += SERIES_PER_HISTOGRAM
            self.durations[pm] = self.durations.get(pm, Histogram(bounds=DURATION_BUCKETS)).observe(e.duration_seconds)
            self._changed_durations.add(pm)
        if self.last_event is None or e.ts > self.last_event:
            self.last_event = e.ts
            meta = True
        self._changed.add(key)
        self._changed_days.add(day)
        self.versions[slice_of(*pm)] += 1
        if meta:
            self._changed_meta = True
            self.versions[META] += 1

    def invalid(self, path: str) -> None:
        self.invalid_lines[path] += 1
        self._changed_meta = True
        self.versions[META] += 1

    def expire(self, now: float) -> bool:
        """Drops per-day totals past the retention; True when it dropped any."""
        oldest = day_start(now) - RETENTION_DAYS * 86400
        gone = [k for k in self.daily if k[0] < oldest]
        for key in gone:
            del self.daily[key]
        return bool(gone)

    def copy(self) -> UsageBook:
        return replace(self, counters=dict(self.counters), daily=dict(self.daily), durations=dict(self.durations),
                       invalid_lines=Counter(self.invalid_lines), unpriced=Counter(self.unpriced),
                       folded=Counter(self.folded), versions=list(self.versions))  # replace() runs __post_init__

    # -- queries ------------------------------------------------------------------------------
    def since(self, start: float) -> Iterable[tuple[Key, Totals]]:
        first = day_start(start)
        for (day, provider, model, task), totals in self.daily.items():
            if day >= first:
                yield (provider, model, task), totals

    def spend(self, start: float, scope_key: str | None = None, scope_value: str | None = None) -> Decimal:
        index = {"provider": 0, "model": 1, "task": 2}.get(scope_key or "")
        return sum((t.cost_usd for key, t in self.since(start) if index is None or key[index] == scope_value),
                   Decimal(0))

    def grouped(self, start: float, by: str) -> dict[str, Totals]:
        index = {"provider": 0, "model": 1, "task": 2}[by]
        out: dict[str, Totals] = {}
        for key, totals in self.since(start):
            out[key[index]] = out.get(key[index], Totals()) + totals
        return out

    # -- state ----------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "counters": [[*k, t.to_json()] for k, t in self.counters.items()],
            "daily": [[*k, t.to_json()] for k, t in self.daily.items()],
            "durations": [[p, m, list(h.buckets), h.total, h.count] for (p, m), h in self.durations.items()],
            **self._meta(),
        }

    def _meta(self) -> dict[str, Any]:
        return {"invalid_lines": dict(self.invalid_lines), "unpriced": dict(self.unpriced),
                "folded": dict(self.folded), "last_event": self.last_event}

    def take_changes(self) -> dict[str, Any]:
        """What changed since the last call, in to_json()'s form: the entries written since
        (each whole, so applying them again is harmless) and the small totals if they moved.
        An incremental save writes this instead of the whole book."""
        changes: dict[str, Any] = {
            "counters": [[*k, self.counters[k].to_json()] for k in self._changed if k in self.counters],
            "daily": [[*k, self.daily[k].to_json()] for k in self._changed_days if k in self.daily],
            "durations": [[p, m, list(h.buckets), h.total, h.count] for p, m in self._changed_durations
                          if (h := self.durations.get((p, m))) is not None],
        }
        if self._changed_meta or self._changed:
            changes.update(self._meta())  # folded moves with any key; the rest is small
        self._changed, self._changed_days, self._changed_durations = set(), set(), set()
        self._changed_meta = False
        return changes

    def apply(self, changes: Mapping[str, Any]) -> None:
        """A take_changes() of this book's past, read back on restart."""
        restored = UsageBook.from_json({"counters": [], "daily": [], "durations": [], "invalid_lines": {},
                                        "unpriced": {}, "folded": {}, **changes}, self.max_tasks, self.max_models,
                                       self.max_series)
        self.counters.update(restored.counters)
        self.daily.update(restored.daily)
        self.durations.update(restored.durations)
        if "folded" in changes:
            self.invalid_lines, self.unpriced = restored.invalid_lines, restored.unpriced
            self.folded, self.last_event = restored.folded, restored.last_event
        self.__post_init__()

    @staticmethod
    def from_json(doc: Mapping[str, Any], max_tasks: int, max_models: int, max_series: int = 100_000) -> UsageBook:
        n = statefile.count
        durations = {}
        for p, m, buckets, total, count in doc["durations"]:
            if len(buckets) != len(DURATION_BUCKETS):
                raise ValueError("duration buckets changed")
            durations[(str(p), str(m))] = Histogram(tuple(n(b) for b in buckets), statefile.number(total), n(count),
                                                    DURATION_BUCKETS)
        last = doc.get("last_event")
        return UsageBook(
            max_tasks=max_tasks, max_models=max_models, max_series=max_series,
            counters={(str(p), str(m), str(t)): Totals.from_json(v) for p, m, t, v in doc["counters"]},
            daily={(n(d), str(p), str(m), str(t)): Totals.from_json(v) for d, p, m, t, v in doc["daily"]},
            durations=durations,
            invalid_lines=Counter({str(k): n(v) for k, v in doc["invalid_lines"].items()}),
            unpriced=Counter({str(k): n(v) for k, v in doc["unpriced"].items()}),
            folded=Counter({str(k): n(v) for k, v in doc["folded"].items()}),
            last_event=None if last is None else statefile.number(last),
        )
