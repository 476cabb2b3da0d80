"""The probes' book: counters, the daily budget and the last results of every probed model,
and the immutable ProbeView the metrics, the summary and the landing page read."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from exporter.money import ZERO
from exporter.probes.probe import FAILURE_REASONS, ProbeResult
from exporter.probes.settings import ProbeSettings, ProbeTarget
from exporter.snapshot import Histogram

log = logging.getLogger(__name__)

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

    def __init__(self, settings: ProbeSettings, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], ProbeEntry] = {}
        self._spend = ZERO
        self._day = ""
        self._day_spend = ZERO
        self._budget_logged = ""
        self.settings = settings
        self.configure(settings)

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

    def allows(self, target: ProbeTarget, free: bool) -> bool:
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

    def record(self, result: ProbeResult) -> None:
        self._today()
        self._spend += result.cost_usd
        self._day_spend += result.cost_usd
        entry = self._entries.get((result.source, result.model))
        if entry is None:  # removed by a reload while it ran
            return
        if result.ok:
            entry = replace(entry, probes=entry.probes + 1, last=result, last_success=result, consecutive_failures=0,
                            histogram=entry.histogram.observe(result.duration_seconds or 0.0))
        else:
            log.warning("probe %s/%s failed: %s: %s", result.source, result.model, result.reason, result.error,
                        extra={"fields": {"source": result.source, "model": result.model, "reason": result.reason}})
            entry = replace(entry, probes=entry.probes + 1, last=result, failures=_bump(entry.failures, result.reason),
                            consecutive_failures=entry.consecutive_failures + 1)
        self._entries[(result.source, result.model)] = entry

    def view(self) -> ProbeView:
        return ProbeView(entries=tuple(self._entries.values()), daily_budget_usd=self.settings.daily_budget_usd,
                         spend_usd=self._spend, spend_today_usd=self._today())


def _bump(counts: tuple[tuple[str, int], ...], key: str | None) -> tuple[tuple[str, int], ...]:
    merged = Counter(dict(counts))
    merged[key or "invalid_response"] += 1
    return tuple(merged.items())
