"""Polling engine: runs every source on its own interval, concurrently, and keeps the latest
immutable view of each one. Scrapes read views; nothing here runs on the scrape path.

Stale policy: a failing source reports llm_source_up 0 at once, keeps its last good values
through `stale_after` failed intervals, and then its provider, model and balance series are
dropped, so a dead source does not pretend to be current forever.
"""

from __future__ import annotations

import functools
import gc
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace

import schedule
from requests import Session

from exporter.catalog.watch import CatalogWatch
from exporter.config import Config
from exporter.http import new_session
from exporter.jobs import CPU_LANE, InFlight, Job, cancel, every
from exporter.probes.runner import ProbeRunner
from exporter.snapshot import Snapshot, carry_over
from exporter.sources.base import Source
from exporter.sources.poll import PollResult, cap, poll
from exporter.sources.registry import build
from exporter.spend.job import SpendWatch, fleet_state
from exporter.views import FleetView, SourceView

log = logging.getLogger(__name__)

# Polls wait on the network, not the CPU: enough threads that a round of many slow sources
# runs at once (a thread is only made when a poll needs one).
MAX_WORKERS = 256
# A quiet fleet still gets a new view this often, so what is read at render time (the
# exporter's own process metrics) is never older.
REFRESH_SECONDS = 15.0


@dataclass
class _Slot:
    source: Source
    view: SourceView
    job: Job
    good: Snapshot | None = None
    scheduled: schedule.Job | None = None
    requests: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    # The source's HTTP session, kept across polls (connections and TLS sessions are reused);
    # closed when the source is removed or its settings change.
    session: Session | None = None

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


class Engine:
    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
        retries: int = 2,
        backoff: float = 0.5,
        persist: bool = False,
    ) -> None:
        """clock: the one clock every reader of "now" uses (sources through their Client).
        persist: keep the catalog memory and the usage state in the config's state_dir across
        restarts. Off by default, so one-shot runs and tests leave no files behind."""
        self._clock = clock
        self._retries = retries
        self._backoff = backoff
        self._lock = threading.Lock()
        self._generation = 0
        self._view: FleetView | None = None
        self._ready = threading.Event()  # the first round is over: views made from now on say so
        # Set once the ready view has also reached the listeners (the exposition), so /readyz
        # never says ready while /metrics still serves a body from before the first round ended.
        self._announced = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="poll")
        self._scheduler = schedule.Scheduler()
        self._thread: threading.Thread | None = None
        self._config = config
        self._slots: dict[str, _Slot] = {}
        state_dir = config.state_dir if persist else None
        self._watch = CatalogWatch(config.catalog, state_dir)
        self._catalog = self._watch.view()
        self._spend = SpendWatch(config.spending, state_dir, clock=clock)
        self._spend_job = Job("usage run", self._run_spending)
        self._spend_scheduled: schedule.Job | None = None
        self._in_flight = InFlight()
        self._probes = ProbeRunner(config.probes, clock=clock, pool=self._pool, source=self._probe_source,
                                   live=self._in_flight.track, changed=self._bump, state_dir=state_dir)
        self._listeners: list[Callable[[], None]] = []
        self._notified_at = time.monotonic()
        self._apply(config)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Polls every source now, then each on its own interval, in a background thread."""
        first = [self._submit(slot) for slot in list(self._slots.values())]
        threading.Thread(target=self._mark_ready, args=(first,), name="first-round", daemon=True).start()
        self._schedule_spending()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def run_once(self) -> FleetView:
        """One round of polls, synchronously: what --once prints."""
        futures = [self._submit(slot) for slot in list(self._slots.values())]
        wait([f for f in futures if f is not None])
        self._ready.set()
        self._bump()
        self._announced.set()
        if self._spend.settings.active:
            self._run_spending()
        wait(self._probes.run_all())
        return self.view()

    def stop(self) -> None:
        """Stops polling and probing at once: requests in flight are cut (a hanging vendor
        cannot hold the process past a SIGTERM), and what state is kept is saved."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._in_flight.abort_all()
        self._spend.close()
        for slot in list(self._slots.values()):
            slot.close()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._announced.wait(timeout)

    @property
    def ready(self) -> bool:
        return self._announced.is_set()

    def reload(self, config: Config) -> None:
        """Swaps in a new config. Unchanged sources keep their state and schedule; new ones
        are polled at once; removed ones disappear from the next scrape."""
        with self._lock:
            added = self._apply(config)
        for slot in added:
            self._submit(slot)
        self._spend.reconfigure(config.spending)
        if self._thread is not None:
            self._schedule_spending()
        self._probes.configure(config.probes)

    # -- views ------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[], None]) -> None:
        """listener() is called after every change of view, on the thread that made it (a
        poll worker), never on a scrape: the exposition renders what changed there."""
        self._listeners.append(listener)

    def view(self) -> FleetView:
        with self._lock:
            if self._view is None or self._view.generation != self._generation:
                self._view = FleetView(
                    generation=self._generation,
                    ready=self._ready.is_set(),
                    sources=tuple(slot.view for slot in self._slots.values()),
                    catalog=self._catalog,
                    spending=self._spend.view(),
                    probes=self._probes.view(),
                    thresholds=tuple((sc.name, sc.balance_alert_threshold) for sc in self._config.sources
                                     if sc.balance_alert_threshold is not None),
                )
            return self._view

    def _notify(self) -> None:
        self._notified_at = time.monotonic()
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # a listener's bug must not stop polling
                log.exception("view listener failed")

    def _bump(self) -> None:
        with self._lock:
            self._generation += 1
        self._notify()

    # -- sources ----------------------------------------------------------------------------
    def _apply(self, config: Config) -> list[_Slot]:
        old = self._slots
        slots: dict[str, _Slot] = {}
        added: list[_Slot] = []
        for sc in config.sources:
            slot = old.pop(sc.name, None)
            if slot is not None and slot.source.config == sc:
                slots[sc.name] = slot  # unchanged: keeps its state and its place in the schedule
                continue
            source = build(sc)
            source.usage_cursor = self._spend.cursor
            if slot is not None and slot.source.config.type == sc.type:
                # Same source, new settings: keep counters so rates do not see a reset.
                cancel(self._scheduler, slot.scheduled)
                slot.close()  # its url or key may have changed: new connections
                slot.source = source
                slot.view = replace(slot.view, interval=sc.interval, endpoints=source.endpoint_names())
            else:
                if slot is not None:
                    cancel(self._scheduler, slot.scheduled)
                    slot.close()
                slot = _Slot(source=source, view=self._empty_view(source),
                             job=Job(f"poll {sc.name}", functools.partial(self._poll, sc.name)))
            for endpoint in source.endpoint_names():
                slot.requests[endpoint] += 0  # known series exist at 0 before the first call
            slot.view = replace(slot.view, requests=tuple(sorted(slot.requests.items())))
            slot.scheduled = every(self._scheduler, sc.interval).do(self._submit, slot)
            slots[sc.name] = slot
            added.append(slot)
        for removed in old.values():
            cancel(self._scheduler, removed.scheduled)
            removed.close()
        self._slots = slots
        self._config = config
        self._watch.configure(config.catalog, slots)
        self._rank()
        self._generation += 1
        return added

    @staticmethod
    def _empty_view(source: Source) -> SourceView:
        return SourceView(name=source.name, type=source.config.type, endpoints=source.endpoint_names(),
                          interval=source.config.interval)

    def _submit(self, slot: _Slot) -> Future[None] | None:
        future = slot.job.submit(self._pool)
        if future is None:  # the last poll still runs: never two at once
            with self._lock:
                slot.skipped["overlap"] += 1
                self._publish(slot)
        return future

    def _poll(self, name: str) -> None:
        with self._lock:
            slot = self._slots.get(name)
        if slot is None:  # removed by a reload since it was due
            return
        now = self._clock()
        blocked = slot.view.blocked_until
        if blocked is not None and now < blocked:
            log.info("%s: rate limited, skipping poll for another %.0fs", slot.source.name, blocked - now,
                     extra={"fields": {"source": slot.source.name, "reason": "rate_limited",
                                       "seconds_left": round(blocked - now)}})
            with self._lock:
                slot.skipped["rate_limited"] += 1
                self._publish(slot)
            return
        if slot.session is None:
            slot.session = new_session()
        result = poll(slot.source, session=slot.session, clock=self._clock, retries=self._retries,
                      backoff=self._backoff, live=self._in_flight.track)
        with CPU_LANE:  # folding the answer in, and rendering what changed, take turns
            self._fold(slot, result)

    def _fold(self, slot: _Slot, result: PollResult) -> None:
        source, sc = slot.source, slot.source.config
        finished = self._clock()
        # Over a cap is logged when it starts (or when the source comes back), not every poll.
        quiet = slot.view.up and (slot.view.models_dropped > 0, slot.view.providers_dropped > 0)
        snapshot, dropped, providers_dropped = (None, 0, 0) if result.snapshot is None else cap(
            result.snapshot, sc, quiet=quiet or (False, False))
        if snapshot is not None:
            # Fields equal to the last good snapshot's keep their identity, so what did not
            # change upstream is neither compared again nor rendered again.
            with self._lock:
                previous = slot.good
            snapshot = carry_over(previous, snapshot)
            # Change detection runs here, once per successful poll, never on the scrape path.
            try:
                self._watch.observe(source.name, snapshot, finished)
            except Exception:  # a bug there must not keep the poll from being published
                log.exception("%s: catalog change detection failed", source.name,
                              extra={"fields": {"source": source.name}})

        with self._lock:
            slot.requests.update(result.recorder.requests)
            slot.failures.update(result.recorder.failures)
            view = slot.view
            if snapshot is not None:
                slot.good = snapshot
                if not view.up and view.polled:
                    log.info("%s: recovered", source.name, extra={"fields": {"source": source.name}})
                view = replace(view, up=True, last_success=finished, last_error=None, blocked_until=None)
            else:
                log.warning("%s: poll failed: %s", source.name, result.error, extra={"fields": {
                    "source": source.name, "endpoint": result.endpoint, "reason": result.reason,
                    "duration_seconds": round(result.duration, 3)}})
                view = replace(view, up=False, last_error=result.error, failed_polls=view.failed_polls + 1,
                               blocked_until=finished + result.retry_after if result.retry_after else None)
            slot.view = replace(view, polled=True, last_poll=finished, poll_duration=result.duration,
                                models_dropped=view.models_dropped + dropped,
                                providers_dropped=view.providers_dropped + providers_dropped)
            self._publish(slot)
        self._notify()

    def _publish(self, slot: _Slot) -> None:
        """Recomputes the slot's view (counters, stale window) and bumps the generation.
        Called with the lock held, after every poll or skipped poll."""
        view = slot.view
        snapshot = None
        if slot.good is not None and view.last_success is not None:
            # Half an interval of slack so scheduling jitter does not drop values one poll early.
            window = (self._config.stale_after + 0.5) * slot.source.config.interval
            if self._clock() - view.last_success <= window:
                snapshot = slot.good
            else:
                if view.snapshot is not None:
                    log.warning("%s: stale for %d intervals, dropping its series", view.name,
                                self._config.stale_after, extra={"fields": {"source": view.name}})
                slot.good = None
        slot.view = replace(view, snapshot=snapshot, requests=tuple(sorted(slot.requests.items())),
                            failures=tuple(sorted(slot.failures.items())),
                            skipped=tuple(sorted(slot.skipped.items())))
        self._rank()
        self._generation += 1

    def _rank(self) -> None:
        """Re-picks the cheapest model per class: any poll can change who is eligible."""
        try:
            self._catalog = self._watch.rank(
                ((slot.view.name, slot.view.up and slot.view.snapshot is not None) for slot in self._slots.values()),
                settled=self._ready.is_set(),
            )
        except Exception:  # keeps the last ranking; the poll itself is still published
            log.exception("ranking the cheapest models failed")

    # -- the first round, the schedule, spending and probes ---------------------------------------
    def _mark_ready(self, futures: list[Future[None] | None]) -> None:
        wait([f for f in futures if f is not None])
        # The ledger is first read once the catalogs are in, so its events find their prices;
        # readiness waits for that run too, so a ready exporter serves budgets and usage.
        if self._spend.settings.active:
            self._run_spending()
        self._ready.set()
        self._probes.start()  # a probe needs its source's first poll
        self._bump()  # the listeners render the ready view here, before readiness is announced
        self._announced.set()
        # What the first round built (catalogs, the rendered exposition) lives long, and
        # carry_over keeps it alive while it does not change: exempt it from the cyclic
        # collector, whose full passes over it otherwise stall a scrape now and then. Objects
        # are still freed by reference counting when they go.
        gc.freeze()
        log.info("first round of polls finished; ready", extra={"fields": {
            "sources": len(self._slots), "up": sum(slot.view.up for slot in self._slots.values())}})

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._scheduler.run_pending()
                self._probes.run_due()
                if time.monotonic() - self._notified_at >= REFRESH_SECONDS:
                    self._bump()
            except Exception:  # the loop must outlive any bug in a job
                log.exception("scheduler error")
            idle = self._scheduler.idle_seconds
            self._stop.wait(0.5 if idle is None else max(0.05, min(idle, 0.5)))

    def _schedule_spending(self) -> None:
        with self._lock:
            cancel(self._scheduler, self._spend_scheduled)
            self._spend_scheduled = None
            settings = self._spend.settings
            if settings.active:
                self._spend_scheduled = every(self._scheduler, settings.interval).do(self._submit_spending)

    def _submit_spending(self) -> None:
        if self._spend.settings.active and self._ready.is_set():
            self._spend_job.submit(self._pool)  # skipped while the last run still goes

    def _run_spending(self) -> None:
        try:
            self._spend.run(fleet_state(self.view().sources, self._config.catalog.input_output_ratio))
        except Exception:  # a bad file or a bug must not stop the next runs
            log.exception("usage run failed")
            return
        self._bump()

    def _probe_source(self, name: str) -> tuple[Source, Snapshot | None] | None:
        with self._lock:
            slot = self._slots.get(name)
            if slot is None:
                return None
            return slot.source, slot.view.snapshot if slot.view.up else None
