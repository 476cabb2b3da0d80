"""The probes' book: counters, the daily budget and the last results of every probed model,
and the immutable ProbeView the metrics, the summary and the landing page read.

It also remembers what answered each model (the response model and fingerprint of its last
successful probe) in `state_dir/probes.json`, so the first probe after a restart is compared
with the last one before it: a restart is not a change, and a change made while the exporter
was down is still counted."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from exporter import statefile
from exporter.money import ZERO
from exporter.probes.probe import FAILURE_REASONS, ProbeResult
from exporter.probes.ratelimits import RateLimit
from exporter.probes.settings import ProbeSettings, ProbeTarget
from exporter.snapshot import Histogram

log = logging.getLogger(__name__)

STATE_FILE = "probes.json"
STATE_VERSION = 1

SKIP_REASONS = ("source_down", "budget", "overlap")
# Fitted to LLM latencies: a fast first token is ~0.2 s, a long answer or a queue a minute.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 45.0, 60.0)


@dataclass(frozen=True, slots=True)
class ProbeEntry:
    """Everything exported about one probed model."""

    target: ProbeTarget
    probes: int = 0
    failures: tuple[tuple[str, int], ...] = tuple((r, 0) for r in FAILURE_REASONS)
    skipped: tuple[tuple[str, int], ...] = tuple((r, 0) for r in SKIP_REASONS)
    last: ProbeResult | None = None  # the last probe, successful or not
    last_success: ProbeResult | None = None
    consecutive_failures: int = 0
    histogram: Histogram = field(default_factory=lambda: Histogram(bounds=DURATION_BUCKETS))
    ttft_histogram: Histogram = field(default_factory=lambda: Histogram(bounds=DURATION_BUCKETS))
    # What the headers of the last answer said about the rate limits (none: the vendor sent none).
    ratelimits: tuple[RateLimit, ...] = ()
    # (response model, fingerprint) of the last successful probe, and how often that pair
    # changed between successive successful probes.
    response: tuple[str, str] | None = None
    response_changes: int = 0


@dataclass(frozen=True, slots=True)
class ProbeView:
    entries: tuple[ProbeEntry, ...] = ()
    daily_budget_usd: Decimal = ZERO
    spend_usd: Decimal = ZERO  # all probes since start, never decreasing
    spend_today_usd: Decimal = ZERO

    @property
    def budget_remaining_usd(self) -> Decimal:
        return max(ZERO, self.daily_budget_usd - self.spend_today_usd)


class ProbeBook:
    """Counters, the daily budget and the last results. Not thread-safe: the engine holds
    its lock around every call."""

    def __init__(self, settings: ProbeSettings, clock: Callable[[], float], state_dir: str | None = None) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], ProbeEntry] = {}
        self._spend = ZERO
        self._day = ""
        self._day_spend = ZERO
        self._budget_logged = ""
        self._malformed_logged: set[tuple[str, str]] = set()
        # The last response pair of every model ever probed here, targets or not (a target
        # removed and added back is compared with what it was).
        self._responses: dict[tuple[str, str], tuple[str, str]] = {}
        self._state = statefile.StateFile(state_dir, STATE_FILE, STATE_VERSION)
        self._responses = self._state.restore(_responses) or {}
        self.settings = settings
        self.configure(settings)

    def _save(self) -> None:
        pairs = sorted(self._responses.items())
        self._state.save({"responses": [[source, model, *answer] for (source, model), answer in pairs]})

    def configure(self, settings: ProbeSettings) -> None:
        """New targets start at 0; kept ones keep their counters (a reload is not a reset)."""
        self.settings = settings
        old = self._entries
        self._entries = {t.key: replace(old[t.key], target=t) if t.key in old else ProbeEntry(t)
                         for t in settings.targets}

    def _today(self) -> Decimal:
        day = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%d")
        if day != self._day:  # the budget is per UTC day
            self._day, self._day_spend = day, ZERO
        return self._day_spend

    def allows(self, free: bool) -> bool:
        """Whether the budget lets this probe start: while today's spend is under the budget
        (so a day overshoots by one probe at most), and always for a free model."""
        if free or self._today() < self.settings.daily_budget_usd:
            return True
        if self._budget_logged != self._day:
            self._budget_logged = self._day
            log.warning("probes: today's budget of $%s is spent; paid models are not probed again until "
                        "00:00 UTC", self.settings.daily_budget_usd)
        return False

    def skip(self, target: ProbeTarget, reason: str) -> None:
        entry = self._entries.get(target.key)
        if entry is not None:
            self._entries[target.key] = replace(entry, skipped=_bump(entry.skipped, reason))

    def charge(self, cost: Decimal) -> None:
        """Spend on today's budget: a probe's, or a liveness check's (they share it)."""
        self._today()
        self._spend += cost
        self._day_spend += cost

    def record(self, result: ProbeResult) -> None:
        self.charge(result.cost_usd)
        key = (result.source, result.model)
        entry = self._entries.get(key)
        if entry is None:  # removed by a reload while it ran
            return
        self._log_malformed(result)
        if result.ratelimits is not None:  # an answer came: its headers are the current limits
            entry = replace(entry, ratelimits=result.ratelimits)
        if result.ok:
            entry = replace(entry, probes=entry.probes + 1, last=result, last_success=result, consecutive_failures=0,
                            histogram=entry.histogram.observe(result.duration_seconds or 0.0),
                            ttft_histogram=entry.ttft_histogram.observe(result.ttft_seconds or 0.0))
            entry = self._answered(entry, key, (result.response_model, result.fingerprint))
        else:
            log.warning("probe %s/%s failed: %s: %s", result.source, result.model, result.reason, result.error,
                        extra={"fields": {"source": result.source, "model": result.model, "reason": result.reason}})
            entry = replace(entry, probes=entry.probes + 1, last=result, failures=_bump(entry.failures, result.reason),
                            consecutive_failures=entry.consecutive_failures + 1)
        self._entries[(result.source, result.model)] = entry

    def _answered(self, entry: ProbeEntry, key: tuple[str, str], pair: tuple[str, str]) -> ProbeEntry:
        """Counts a change of what answered the model; the first answer ever is not one."""
        before = self._responses.get(key)
        if pair == before:
            return replace(entry, response=pair)
        self._responses[key] = pair
        self._save()
        if before is None:
            return replace(entry, response=pair)
        log.info("probe %s/%s: the answer now comes from %s (fingerprint %s), before %s (%s)", key[0], key[1],
                 pair[0] or "-", pair[1] or "-", before[0] or "-", before[1] or "-",
                 extra={"fields": {"source": key[0], "model": key[1], "response_model": pair[0],
                                   "fingerprint": pair[1]}})
        return replace(entry, response=pair, response_changes=entry.response_changes + 1)

    def _log_malformed(self, result: ProbeResult) -> None:
        for name in result.malformed_headers:
            marker = (result.source, name)
            if marker not in self._malformed_logged:  # once per source and header
                self._malformed_logged.add(marker)
                log.warning("probe %s/%s: skipped the unreadable rate-limit header %s", result.source, result.model,
                            name, extra={"fields": {"source": result.source, "model": result.model, "header": name}})

    def view(self) -> ProbeView:
        return ProbeView(entries=tuple(self._entries.values()), daily_budget_usd=self.settings.daily_budget_usd,
                         spend_usd=self._spend, spend_today_usd=self._today())


def _responses(doc: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    out = {}
    for source, model, answered, fingerprint in doc["responses"]:
        if not all(isinstance(v, str) for v in (source, model, answered, fingerprint)):
            raise TypeError("a response entry that is not four strings")
        out[(source, model)] = (answered, fingerprint)
    return out


def _bump(counts: tuple[tuple[str, int], ...], key: str | None) -> tuple[tuple[str, int], ...]:
    merged = Counter(dict(counts))
    merged[key or "invalid_response"] += 1
    return tuple(merged.items())
