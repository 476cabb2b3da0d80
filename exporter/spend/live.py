"""The live book: what real calls felt, from the same events the usage book counts (each
spend-log row and ledger line exactly once): time to the first token and duration histograms,
calls by outcome, cache hits, and the calls another model answered than the one asked for.

Keyed by where the call was seen (`source`: the usage feed's source, or `ledger`), its provider
and model, bounded like the usage book: past limits.max_usage_models a model (and a requested
or served model of a substitution) folds into "other", and the live families have a series
budget of their own as large as limits.max_usage_series: a new (source, provider, model) past it
folds its model, then its provider, into "other" (a substitution past it, its served model,
then both). Each fold is counted under llm_live in llm_exporter_series_folded_total. Saved with
the usage book in its state, what changed since the last save only, so a restart neither loses
nor repeats a call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from exporter import statefile
from exporter.snapshot import Event, Histogram
from exporter.spend.book import SLICES, slice_of, within

OTHER = "other"
LEDGER = "ledger"  # the source label of what the usage ledger's lines say
FOLDED_FAMILY = "llm_live"
MAX_PROVIDERS = 100
# Seconds; from 0.1 s they are the probes' buckets, so synthetic and live latencies share a
# panel's scale (tests/unit/spend/test_live.py holds them to probes/book.py's).
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 45.0, 60.0)
DURATION_BUCKETS = (*TTFT_BUCKETS, 120.0, 300.0, 600.0)
STATUSES = ("success", "failure")
SUBSTITUTED = SLICES  # the version of the substitutions, which are in no slice

Where = tuple[str, str, str]  # (source, provider, model)
K = TypeVar("K")
# What one (source, provider, model) costs in series: its two outcome counters and cache hits,
# and each histogram its buckets, +Inf, _sum and _count.
SERIES_PER_WHERE = len(STATUSES) + 1
SERIES_PER_TTFT = len(TTFT_BUCKETS) + 3
SERIES_PER_DURATION = len(DURATION_BUCKETS) + 3


@dataclass
class LiveBook:
    max_models: int = 500
    ttft: dict[Where, Histogram] = field(default_factory=dict)
    durations: dict[Where, Histogram] = field(default_factory=dict)
    requests: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)  # (*where, status)
    cache_hits: Counter[Where] = field(default_factory=Counter)
    substitutions: Counter[Where] = field(default_factory=Counter)  # (source, requested, served)
    folded: int = 0
    # Bumped when what a piece renders changes: the (provider, model) slices as the usage book's
    # (a run that counts a few calls renders a few slices, not the whole book), then SUBSTITUTED.
    versions: list[int] = field(default_factory=lambda: [0] * (SLICES + 1))
    max_series: int = 100_000
    _seen: dict[str, set[str]] = field(init=False, repr=False)
    _series: int = field(init=False, repr=False)
    # What changed since the last take_changes(): what an incremental save writes.
    _changed: set[Where] = field(init=False, repr=False)
    _changed_substitutions: set[Where] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._seen = {"provider": {k[1] for k in self.cache_hits}, "model": {k[2] for k in self.cache_hits},
                      "substitution": {k[1] for k in self.substitutions} | {k[2] for k in self.substitutions}}
        self._series = (SERIES_PER_WHERE * len(self.cache_hits) + SERIES_PER_TTFT * len(self.ttft)
                        + SERIES_PER_DURATION * len(self.durations) + len(self.substitutions))
        self._changed, self._changed_substitutions = set(), set()

    @property
    def series(self) -> int:
        return self._series

    def _label(self, label: str, value: str, limit: int) -> str:
        return within(self._seen[label], value, limit)

    def _cost(self, where: Where, e: Event) -> int:
        cost = 0 if where in self.cache_hits else SERIES_PER_WHERE
        if e.ttft_seconds is not None and where not in self.ttft:
            cost += SERIES_PER_TTFT
        if e.duration_seconds is not None and where not in self.durations:
            cost += SERIES_PER_DURATION
        return cost

    def _where(self, source: str, e: Event) -> Where:
        """Where an event is counted: as it came while the budget has room for its series, else
        the first fold that has (its model, then its provider into "other")."""
        provider = self._label("provider", e.provider, MAX_PROVIDERS)
        model = self._label("model", e.model, self.max_models)
        for where in dict.fromkeys(((source, provider, model), (source, provider, OTHER), (source, OTHER, OTHER))):
            cost = self._cost(where, e)
            if not cost or self._series + cost <= self.max_series:
                self._series += cost
                return where
        catchall = (source, OTHER, OTHER)  # over budget even so: the one catch-all per source
        self._series += self._cost(catchall, e)
        return catchall

    def _substitution(self, source: str, e: Event) -> Where | None:
        if e.requested_model is None or e.served_model is None:
            return None
        requested = self._label("substitution", e.requested_model, self.max_models)
        served = self._label("substitution", e.served_model, self.max_models)
        for key in dict.fromkeys(((source, requested, served), (source, requested, OTHER), (source, OTHER, OTHER))):
            if key in self.substitutions or self._series < self.max_series:
                self._series += key not in self.substitutions
                return key
        catchall = (source, OTHER, OTHER)
        self._series += catchall not in self.substitutions
        return catchall

    def add(self, source: str, e: Event) -> None:
        where = self._where(source, e)
        self._seen["provider"].add(where[1])
        self._seen["model"].add(where[2])
        folded = where[1:] != (e.provider, e.model)
        self.cache_hits[where] += bool(e.cache_hit)
        for status in STATUSES:
            self.requests[(*where, status)] += (status == "success") == e.success
        if e.ttft_seconds is not None:
            self.ttft[where] = self.ttft.get(where, Histogram(bounds=TTFT_BUCKETS)).observe(e.ttft_seconds)
        if e.duration_seconds is not None:
            self.durations[where] = self.durations.get(where, Histogram(bounds=DURATION_BUCKETS)).observe(
                e.duration_seconds)
        self._changed.add(where)
        self.versions[slice_of(where[1], where[2])] += 1
        key = self._substitution(source, e)
        if key is not None:
            self._seen["substitution"].update(key[1:])
            folded = folded or key[1:] != (e.requested_model, e.served_model)
            self.substitutions[key] += 1
            self._changed_substitutions.add(key)
            self.versions[SUBSTITUTED] += 1
        self.folded += folded

    def copy(self) -> LiveBook:
        return LiveBook(self.max_models, dict(self.ttft), dict(self.durations), Counter(self.requests),
                        Counter(self.cache_hits), Counter(self.substitutions), self.folded, list(self.versions),
                        self.max_series)

    # -- state ----------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return self._doc(self.cache_hits.keys(), self.substitutions.keys())

    def _doc(self, wheres: Iterable[Where], substitutions: Iterable[Where]) -> dict[str, Any]:
        wheres = list(wheres)

        def hist(table: dict[Where, Histogram]) -> list[Any]:
            return [[*k, list(h.buckets), h.total, h.count] for k in wheres if (h := table.get(k)) is not None]

        return {"ttft": hist(self.ttft), "durations": hist(self.durations),
                "requests": [[*k, status, self.requests[(*k, status)]] for k in wheres for status in STATUSES],
                "cache_hits": [[*k, self.cache_hits[k]] for k in wheres],
                "substitutions": [[*k, self.substitutions[k]] for k in substitutions], "folded": self.folded}

    def take_changes(self) -> dict[str, Any] | None:
        """What changed since the last call, in to_json()'s form (each entry whole, so applying
        it twice is harmless), or None when nothing did: an incremental save writes this."""
        if not self._changed and not self._changed_substitutions:
            return None
        changes = self._doc(self._changed, self._changed_substitutions)
        self._changed, self._changed_substitutions = set(), set()
        return changes

    def apply(self, changes: Mapping[str, Any]) -> None:
        """A take_changes() (or a whole to_json(), as older states wrote) of this book's past,
        read back on restart."""
        restored = LiveBook.from_json(changes, self.max_models, self.max_series)
        self.ttft.update(restored.ttft)
        self.durations.update(restored.durations)
        # Counter.update adds: each saved entry is a total, so it replaces
        self.requests = _replaced(self.requests, restored.requests)
        self.cache_hits = _replaced(self.cache_hits, restored.cache_hits)
        self.substitutions = _replaced(self.substitutions, restored.substitutions)
        self.folded = restored.folded
        self.__post_init__()

    @staticmethod
    def from_json(doc: Mapping[str, Any], max_models: int, max_series: int = 100_000) -> LiveBook:
        n = statefile.count

        def hist(rows: list[Any], bounds: tuple[float, ...]) -> dict[Where, Histogram]:
            out = {}
            for s, p, m, buckets, total, count in rows:
                if len(buckets) != len(bounds):
                    raise ValueError("live buckets changed")
                out[(str(s), str(p), str(m))] = Histogram(tuple(n(b) for b in buckets), statefile.number(total),
                                                          n(count), bounds)
            return out

        return LiveBook(
            max_models=max_models, ttft=hist(doc["ttft"], TTFT_BUCKETS),
            durations=hist(doc["durations"], DURATION_BUCKETS),
            requests=Counter({(str(s), str(p), str(m), str(st)): n(c) for s, p, m, st, c in doc["requests"]}),
            cache_hits=Counter({(str(s), str(p), str(m)): n(c) for s, p, m, c in doc["cache_hits"]}),
            substitutions=Counter({(str(s), str(r), str(v)): n(c) for s, r, v, c in doc["substitutions"]}),
            folded=n(doc["folded"]), max_series=max_series)


def _replaced(counts: Counter[K], saved: Counter[K]) -> Counter[K]:
    """`counts` with each saved entry put back as it was saved: a total, not an increase
    (Counter.update would add it)."""
    out = Counter(counts)
    for key, count in saved.items():
        out[key] = count
    return out
