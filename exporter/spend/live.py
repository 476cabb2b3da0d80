"""The live book: what real calls felt, from the same events the usage book counts (each
spend-log row and ledger line exactly once): time to the first token and duration histograms,
calls by outcome, cache hits, and the calls another model answered than the one asked for.

Keyed by where the call was seen (`source`: the usage feed's source, or `ledger`), its provider
and model, bounded like the usage book: past limits.max_usage_models a model (and a requested
or served model of a substitution) folds into "other", counted under llm_live in
llm_exporter_series_folded_total. Saved with the usage book in its state, so a restart neither
loses nor repeats a call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from exporter import statefile
from exporter.snapshot import Event, Histogram

OTHER = "other"
LEDGER = "ledger"  # the source label of what the usage ledger's lines say
FOLDED_FAMILY = "llm_live"
MAX_PROVIDERS = 100
# Seconds; from 0.1 s they are the probes' buckets, so synthetic and live latencies share a
# panel's scale (tests/unit/spend/test_live.py holds them to probes/book.py's).
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 45.0, 60.0)
DURATION_BUCKETS = (*TTFT_BUCKETS, 120.0, 300.0, 600.0)
STATUSES = ("success", "failure")

Where = tuple[str, str, str]  # (source, provider, model)


@dataclass
class LiveBook:
    max_models: int = 500
    ttft: dict[Where, Histogram] = field(default_factory=dict)
    durations: dict[Where, Histogram] = field(default_factory=dict)
    requests: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)  # (*where, status)
    cache_hits: Counter[Where] = field(default_factory=Counter)
    substitutions: Counter[Where] = field(default_factory=Counter)  # (source, requested, served)
    folded: int = 0
    version: int = 0  # bumped on every change: the families render again
    _changed: bool = field(default=False, repr=False)
    _seen: dict[str, set[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._seen = {"provider": {k[1] for k in self.cache_hits}, "model": {k[2] for k in self.cache_hits},
                      "substitution": {k[1] for k in self.substitutions} | {k[2] for k in self.substitutions}}

    def _fit(self, label: str, value: str, limit: int) -> str:
        seen = self._seen[label]
        fitted = value if value in seen or len(seen - {OTHER}) < limit else OTHER
        seen.add(fitted)
        return fitted

    def add(self, source: str, e: Event) -> None:
        provider = self._fit("provider", e.provider, MAX_PROVIDERS)
        model = self._fit("model", e.model, self.max_models)
        folded = (provider, model) != (e.provider, e.model)
        where = (source, provider, model)
        self.cache_hits[where] += bool(e.cache_hit)
        for status in STATUSES:
            self.requests[(*where, status)] += (status == "success") == e.success
        if e.ttft_seconds is not None:
            self.ttft[where] = self.ttft.get(where, Histogram(bounds=TTFT_BUCKETS)).observe(e.ttft_seconds)
        if e.duration_seconds is not None:
            self.durations[where] = self.durations.get(where, Histogram(bounds=DURATION_BUCKETS)).observe(
                e.duration_seconds)
        if e.requested_model is not None and e.served_model is not None:
            requested = self._fit("substitution", e.requested_model, self.max_models)
            served = self._fit("substitution", e.served_model, self.max_models)
            folded = folded or (requested, served) != (e.requested_model, e.served_model)
            self.substitutions[(source, requested, served)] += 1
        self.folded += folded
        self.version += 1
        self._changed = True

    def copy(self) -> LiveBook:
        return LiveBook(self.max_models, dict(self.ttft), dict(self.durations), Counter(self.requests),
                        Counter(self.cache_hits), Counter(self.substitutions), self.folded, self.version)

    # -- state ----------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        def hist(table: dict[Where, Histogram]) -> list[Any]:
            return [[*k, list(h.buckets), h.total, h.count] for k, h in table.items()]

        return {"ttft": hist(self.ttft), "durations": hist(self.durations),
                "requests": [[*k, n] for k, n in self.requests.items()],
                "cache_hits": [[*k, n] for k, n in self.cache_hits.items()],
                "substitutions": [[*k, n] for k, n in self.substitutions.items()], "folded": self.folded}

    def take_changes(self) -> dict[str, Any] | None:
        """The whole live book when it changed since the last call, else None: it is small (a
        few series per model), so a journal line carries it whole and applying it twice is
        harmless."""
        if not self._changed:
            return None
        self._changed = False
        return self.to_json()

    @staticmethod
    def from_json(doc: Mapping[str, Any], max_models: int) -> LiveBook:
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
            folded=n(doc["folded"]))
