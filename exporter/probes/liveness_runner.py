"""The liveness runner: which models are checked (the engine works out the targets: named,
the fleet file's, those in use), when (each every liveness.interval, spread out from the end
of the first round of polls), whether (its source is up, the probes' daily budget allows),
one check at a time per model, on the engine's pool. Never on the scrape path."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from exporter.http import Client, PollRecorder
from exporter.jobs import Job
from exporter.probes.liveness import LivenessResult, LivenessSettings, check
from exporter.probes.runner import Schedule
from exporter.probes.servability import LivenessView, ServabilityBook
from exporter.redact import redact
from exporter.sources.base import SourceState

log = logging.getLogger(__name__)

# Seconds between looks at which models are targets: usage and catalogs move slowly, and
# working it out walks every listed model.
REFRESH_EVERY = 60.0


class Budget(Protocol):
    """The probes' daily budget, which the checks share (ProbeRunner)."""

    def may_spend(self, free: bool) -> bool: ...

    def charge(self, cost: Decimal) -> None: ...


@dataclass(frozen=True, slots=True)
class LivenessTarget:
    source: str
    model: str
    interval: float

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.model)


class LivenessRunner:
    def __init__(self, settings: LivenessSettings, *, clock: Callable[[], float], pool: Executor,
                 source: SourceState, live: Callable[[Client], contextlib.AbstractContextManager[None]],
                 changed: Callable[[], None], budget: Budget, targets: Callable[[], list[tuple[str, str]]]):
        """targets(): the (source, model) pairs to check now, as the engine works them out."""
        self._clock = clock
        self._pool = pool
        self._source = source
        self._live = live
        self._changed = changed
        self._budget = budget
        self._targets = targets
        self._lock = threading.Lock()
        self._book = ServabilityBook()
        self._view = self._book.view()
        self._current: tuple[LivenessTarget, ...] = ()
        self._schedule: Schedule[LivenessTarget] | None = None
        self._jobs: dict[tuple[str, str], Job] = {}
        self._refreshed: float | None = None  # monotonic time of the last look at the targets
        self.settings = settings

    def view(self) -> LivenessView:
        with self._lock:
            return self._view

    def configure(self, settings: LivenessSettings) -> None:
        with self._lock:
            self.settings = settings
        self.refresh()

    def start(self) -> None:
        with self._lock:
            self._schedule = Schedule((), time.monotonic())
        self.refresh()

    def refresh(self) -> None:
        """Works the targets out again (the fleet's usage and catalogs move); kept ones keep
        their verdicts and their place in the schedule."""
        settings = self.settings
        self._refreshed = time.monotonic()
        wanted = self._targets() if settings.active else []
        current = tuple(LivenessTarget(s, m, settings.interval) for s, m in wanted[:settings.max_models])
        with self._lock:
            if current == self._current:
                return
            self._current = current
            self._book.configure([t.key for t in current])
            self._view = self._book.view()
            if self._schedule is not None:
                self._schedule.reset(current, time.monotonic())
        self._changed()

    def run_due(self) -> None:
        if self._refreshed is None or time.monotonic() - self._refreshed >= REFRESH_EVERY:
            self.refresh()
        with self._lock:
            due = self._schedule.due(time.monotonic()) if self._schedule is not None else []
        for target in due:
            self.submit(target)

    def run_all(self) -> list[Future[None]]:
        """Every target now (--once)."""
        self.refresh()
        futures = [self.submit(target) for target in self._current]
        return [f for f in futures if f is not None]

    def submit(self, target: LivenessTarget) -> Future[None] | None:
        with self._lock:
            job = self._jobs.get(target.key)
            if job is None:
                job = self._jobs[target.key] = Job(f"liveness {target.source}/{target.model}",
                                                   functools.partial(self._check, target))
        return job.submit(self._pool)  # None while the last check of the model still runs

    def _check(self, target: LivenessTarget) -> None:
        state = self._source(target.source)
        source, snapshot = state if state is not None else (None, None)
        if source is None or snapshot is None:
            self._outcome(target, skip="source_down")
            return
        model = next((m for m in snapshot.models if m.id == target.model), None)
        if not self._budget.may_spend(free=model is not None and model.free):
            self._outcome(target, skip="budget")
            return
        prices = (model.price("input"), model.price("output")) if model is not None else (None, None)
        timeout = self.settings.timeout
        client = Client(timeout=timeout, deadline=time.monotonic() + timeout, recorder=PollRecorder(), retries=0,
                        max_body=source.config.max_response_bytes, clock=self._clock)
        with client, self._live(client):
            try:
                result = check(client, source, target.model, prices, self._clock)
            except Exception as exc:  # an odd answer must never escape as a crash
                result = LivenessResult(target.source, target.model, self._clock(), None, failure="invalid_response",
                                        error=redact(f"{type(exc).__name__}: {exc}")[:300])
        self._budget.charge(result.cost_usd)
        self._outcome(target, result=result)

    def _outcome(self, target: LivenessTarget, *, skip: str | None = None,
                 result: LivenessResult | None = None) -> None:
        with self._lock:
            if skip is not None:
                self._book.skip(target.source, skip)
            if result is not None:
                self._book.record(result)
            self._view = self._book.view()
        self._changed()
