"""The usage book: events, priced, folded to bounded labels and summed.

Two views of the same events are kept: lifetime counters (the llm_usage_* families) and
per-UTC-day totals for the last RETENTION_DAYS days (budgets, recommendations, /api/usage).
Both are saved with the ledger offsets in one state file, so a restart neither re-reads nor
re-prices what was already counted.
"""

from __future__ import annotations

import math
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


@dataclass
class UsageBook:
    max_tasks: int = 50
    max_models: int = 500
    counters: dict[Key, Totals] = field(default_factory=dict)
    daily: dict[tuple[int, str, str, str], Totals] = field(default_factory=dict)
    durations: dict[tuple[str, str], Histogram] = field(default_factory=dict)
    invalid_lines: Counter[str] = field(default_factory=Counter)
    unpriced: Counter[str] = field(default_factory=Counter)
    folded: Counter[str] = field(default_factory=Counter)
    last_event: float | None = None
    # The label values in use, by label; a value beyond its limit folds into "other".
    _seen: dict[str, set[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._seen = {"provider": {k[0] for k in self.counters}, "model": {k[1] for k in self.counters},
                      "task": {k[2] for k in self.counters}, "unpriced": set(self.unpriced)}

    def _fold(self, label: str, value: str, limit: int) -> str:
        seen = self._seen[label]
        if value in seen:
            return value
        if len(seen - {OTHER}) >= limit:
            return OTHER
        seen.add(value)
        return value

    def add(self, e: Event, price: Callable[[Event], Decimal | None]) -> None:
        """Counts one event; price() gives its cost from the catalog when it carries none."""
        provider = self._fold("provider", e.provider, MAX_PROVIDERS)
        model = self._fold("model", e.model, self.max_models)
        task = self._fold("task", e.task, self.max_tasks)
        if (provider, model, task) != (e.provider, e.model, e.task):
            self.folded[FOLDED_FAMILY] += 1
        cost = e.cost_usd
        if cost is None:
            cost = price(e)
            if cost is None:
                cost = Decimal(0)
                unpriced = self._fold("unpriced", e.model, self.max_models)
                if unpriced != e.model:
                    self.folded[UNPRICED_FAMILY] += 1
                self.unpriced[unpriced] += 1
        key = (provider, model, task)
        self.counters[key] = self.counters.get(key, Totals()).add(e, cost)
        day = (day_start(e.ts), provider, model, task)
        self.daily[day] = self.daily.get(day, Totals()).add(e, cost)
        if e.duration_seconds is not None and math.isfinite(e.duration_seconds):
            pm = (provider, model)
            self.durations[pm] = self.durations.get(pm, Histogram(bounds=DURATION_BUCKETS)).observe(e.duration_seconds)
        self.last_event = e.ts if self.last_event is None else max(self.last_event, e.ts)

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
                       folded=Counter(self.folded))  # replace() runs __post_init__: the copy has its own sets

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
            "invalid_lines": dict(self.invalid_lines),
            "unpriced": dict(self.unpriced),
            "folded": dict(self.folded),
            "last_event": self.last_event,
        }

    @staticmethod
    def from_json(doc: Mapping[str, Any], max_tasks: int, max_models: int) -> UsageBook:
        n = statefile.count
        durations = {}
        for p, m, buckets, total, count in doc["durations"]:
            if len(buckets) != len(DURATION_BUCKETS):
                raise ValueError("duration buckets changed")
            durations[(str(p), str(m))] = Histogram(tuple(n(b) for b in buckets), statefile.number(total), n(count),
                                                    DURATION_BUCKETS)
        last = doc.get("last_event")
        return UsageBook(
            max_tasks=max_tasks, max_models=max_models,
            counters={(str(p), str(m), str(t)): Totals.from_json(v) for p, m, t, v in doc["counters"]},
            daily={(n(d), str(p), str(m), str(t)): Totals.from_json(v) for d, p, m, t, v in doc["daily"]},
            durations=durations,
            invalid_lines=Counter({str(k): n(v) for k, v in doc["invalid_lines"].items()}),
            unpriced=Counter({str(k): n(v) for k, v in doc["unpriced"].items()}),
            folded=Counter({str(k): n(v) for k, v in doc["folded"].items()}),
            last_event=None if last is None else statefile.number(last),
        )
