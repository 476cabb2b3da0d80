"""Work the engine runs on its thread pool: jobs that never overlap themselves, and the lane
their CPU-bound parts take turns in.

Polls and probes wait on the network, so they run on many threads at once. Their CPU-bound
parts (decoding an answer, parsing its items, folding a snapshot into the engine's state,
rendering what changed) take turns in one lane: the interpreter runs one thread at a time
anyway, and ten poll threads contending for it at once push a scrape's thread to the back of
every handoff (a scrape under churn took 50 ms instead of 3).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Protocol

import schedule

log = logging.getLogger(__name__)

# Held around CPU-bound work on poll and probe threads, never around network waits, and
# always taken before any other lock (never while holding one), so it cannot deadlock.
CPU_LANE = threading.RLock()


class Job:
    """Work that runs on the engine's pool and never twice at once: a source's poll, the spend
    run, the probe of one model. submit() returns None, and starts nothing, while the last
    run is still going; the caller decides what a skipped run means."""

    def __init__(self, name: str, work: Callable[[], None]):
        self.name = name
        self._work = work
        self._lock = threading.Lock()
        self._running = False

    @property
    def running(self) -> bool:
        with self._lock:
            return self._running

    def submit(self, pool: Executor) -> Future[None] | None:
        with self._lock:
            if self._running:
                return None
            self._running = True
        try:
            return pool.submit(self._run)
        except RuntimeError:  # the pool is shut down: the engine is stopping
            self._release()
            return None

    def _run(self) -> None:
        try:
            self._work()
        except Exception:  # a bug in one run must not kill a worker or stop later runs
            log.exception("%s: unexpected error", self.name)
        finally:
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._running = False


class Abortable(Protocol):
    def abort(self) -> None: ...


class InFlight:
    """The HTTP clients of the polls and probes under way, so a stopping engine can cut their
    requests: a hanging vendor must not hold the process past a SIGTERM."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: set[Abortable] = set()
        self._stopping = False

    @contextlib.contextmanager
    def track(self, client: Abortable) -> Iterator[None]:
        with self._lock:
            self._clients.add(client)
            stopping = self._stopping
        if stopping:
            client.abort()
        try:
            yield
        finally:
            with self._lock:
                self._clients.discard(client)

    def abort_all(self) -> None:
        with self._lock:
            self._stopping = True
            clients = list(self._clients)
        for client in clients:
            client.abort()


# Retries of a failed request (connection errors and 5xx) within a poll, unless the engine is
# told otherwise.
DEFAULT_RETRIES = 2


def poll_budget(interval: float, timeout: float, retries: int) -> float:
    """How long one poll (or one read of a source's usage feed) may take: its requests and
    retries, but never past 80% of the interval, so it is over before the next one is due."""
    return min(interval * 0.8, timeout * (retries + 1) + 2.0)


def stale_window(interval: float, stale_after: int) -> float:
    """How long after its last success a source's series are kept: stale_after intervals, and
    half an interval of slack so scheduling jitter does not drop them one poll early."""
    return (stale_after + 0.5) * interval


def every(scheduler: schedule.Scheduler, seconds: float) -> schedule.Job:
    """A job of `scheduler` due every `seconds`, fractions included."""
    # schedule's hints say int; it takes float intervals, which sub-second settings need.
    job: schedule.Job = scheduler.every(seconds).seconds  # type: ignore[arg-type]
    return job


def cancel(scheduler: schedule.Scheduler, job: schedule.Job | None) -> None:
    if job is not None:
        scheduler.cancel_job(job)
