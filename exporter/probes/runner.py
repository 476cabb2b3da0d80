"""The probe runner: when each probe is due (spread over its interval from the end of the
first round of polls), whether it may run (its source is up, the day's budget allows, the last
probe of the model is over), one probe through the one HTTP client, and the book that keeps
what they found. The engine owns the pool and the sources; it hands this what it needs."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from exporter.http import Client, PollRecorder
from exporter.jobs import Job
from exporter.probes.book import ProbeBook, ProbeView
from exporter.probes.probe import ProbeResult, run
from exporter.probes.settings import ProbeSettings, ProbeTarget
from exporter.redact import redact
from exporter.sources.base import SourceState

log = logging.getLogger(__name__)

class ProbeRunner:
    def __init__(self, settings: ProbeSettings, *, clock: Callable[[], float], pool: Executor,
                 source: SourceState, live: Callable[[Client], contextlib.AbstractContextManager[None]],
                 changed: Callable[[], None], state_dir: str | None = None,
                 observed: Callable[[str, float, bool, str | None], None] | None = None):
        """state_dir: where the book remembers what answered each model (None: nowhere).
        observed(source, at, failed, reason): each probe's outcome, for the engine's view of
        what the source does (the failure streaks status pages are judged against)."""
        self._clock = clock
        self._pool = pool
        self._source = source
        self._live = live
        self._changed = changed
        self._observed = observed
        self._lock = threading.Lock()
        self._book = ProbeBook(settings, clock, state_dir)
        self._view = self._book.view()
        self._schedule: Schedule[ProbeTarget] | None = None  # made when the first round of polls is over
        self._jobs: dict[tuple[str, str], Job] = {}
        self.settings = settings

    def view(self) -> ProbeView:
        with self._lock:
            return self._view

    def configure(self, settings: ProbeSettings) -> None:
        """After a reload: kept targets keep their counters and their place in the schedule."""
        with self._lock:
            self.settings = settings
            self._book.configure(settings)
            self._view = self._book.view()
            if self._schedule is not None:
                self._schedule.reset(settings.targets, time.monotonic())
        self._changed()

    def may_spend(self, free: bool) -> bool:
        """Whether today's budget lets a call start (a liveness check shares it)."""
        with self._lock:
            return self._book.allows(free)

    def charge(self, cost: Decimal) -> None:
        """A call made outside the probes themselves (a liveness check), on today's budget."""
        with self._lock:
            self._book.charge(cost)
            self._view = self._book.view()

    def start(self) -> None:
        """Probes need their sources' first polls: the schedule starts after the first round."""
        with self._lock:
            self._schedule = Schedule(self.settings.targets, time.monotonic())

    def run_due(self) -> None:
        with self._lock:
            due = self._schedule.due(time.monotonic()) if self._schedule is not None else []
        for target in due:
            self.submit(target)

    def run_all(self) -> list[Future[None]]:
        """Every target now (--once)."""
        futures = [self.submit(target) for target in self.settings.targets]
        return [f for f in futures if f is not None]

    def submit(self, target: ProbeTarget) -> Future[None] | None:
        with self._lock:
            job = self._jobs.get(target.key)
            if job is None:
                job = self._jobs[target.key] = Job(f"probe {target.source}/{target.model}",
                                                   functools.partial(self._probe, target.key))
        future = job.submit(self._pool)
        if future is None:  # the last probe of this model still runs: never two at once
            self._outcome(target, skip="overlap")
        return future

    def _probe(self, key: tuple[str, str]) -> None:
        with self._lock:  # the target as configured now: a reload may have changed its timeout
            target = next((t for t in self.settings.targets if t.key == key), None)
        if target is None:  # removed by a reload since it was due
            return
        state = self._source(target.source)
        source, snapshot = state if state is not None else (None, None)
        if source is None or snapshot is None:  # down, or never polled successfully yet
            self._outcome(target, skip="source_down")
            return
        model = next((m for m in snapshot.models if m.id == target.model), None)
        with self._lock:
            allowed = self._book.allows(free=model is not None and model.free)
            settings = self.settings
        if not allowed:
            self._outcome(target, skip="budget")
            return
        prices = (model.price("input"), model.price("output")) if model is not None else (None, None)
        client = Client(timeout=target.timeout, deadline=time.monotonic() + target.timeout, recorder=PollRecorder(),
                        retries=0, max_body=source.config.max_response_bytes, clock=self._clock)
        with client, self._live(client):
            try:
                result = run(client, source, target, settings, prices, self._clock)
            except Exception as exc:  # a vendor's odd stream must never escape as a crash
                result = ProbeResult(target.source, target.model, self._clock(), False, "invalid_response",
                                     redact(f"{type(exc).__name__}: {exc}")[:300])
        self._outcome(target, result=result)

    def _outcome(self, target: ProbeTarget, *, skip: str | None = None, result: ProbeResult | None = None) -> None:
        with self._lock:
            if skip is not None:
                self._book.skip(target, skip)
            if result is not None:
                self._book.record(result)
            self._view = self._book.view()
        if result is not None and self._observed is not None:
            self._observed(result.source, result.at, not result.ok, result.reason)
        self._changed()


class Timed(Protocol):
    @property
    def key(self) -> tuple[str, str]: ...

    @property
    def interval(self) -> float: ...


T = TypeVar("T", bound=Timed)


class Schedule(Generic[T]):
    """When each target (a probe's, a liveness check's) is next due. Targets start spread
    evenly over their interval, so a fleet of them never fires at once, then run every
    interval from there."""

    def __init__(self, targets: Sequence[T], now: float) -> None:
        self._next: dict[tuple[str, str], float] = {}
        self._targets: dict[tuple[str, str], T] = {}
        self.reset(targets, now)

    def reset(self, targets: Sequence[T], now: float) -> None:
        """Kept targets keep their times; new ones get their place in the spread."""
        count = max(1, len(targets))
        self._next = {t.key: self._next.get(t.key, now + t.interval * i / count) for i, t in enumerate(targets)}
        self._targets = {t.key: t for t in targets}

    def due(self, now: float) -> list[T]:
        out = []
        for key, at in self._next.items():
            if at <= now:
                target = self._targets[key]
                out.append(target)
                while at <= now:  # after a stall, the next run is the next slot, not a burst
                    at += target.interval
                self._next[key] = at
        return out
