"""The engine's lifecycle: start, run once, stop, reload; the scheduler loop that submits polls
and lets the runners submit theirs; the views it hands out."""

from __future__ import annotations

import functools
import gc
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace

import schedule

from exporter.catalog.watch import CatalogWatch
from exporter.config import Config
from exporter.engine.outcomes import counts_as_outage
from exporter.engine.poll import PollResult, cap, poll
from exporter.engine.slots import Slot, empty_view
from exporter.engine.targets import liveness_targets
from exporter.http import PollRecorder, new_session
from exporter.jobs import CPU_LANE, DEFAULT_RETRIES, InFlight, Job, cancel, every
from exporter.probes.liveness_runner import LivenessRunner
from exporter.probes.runner import ProbeRunner
from exporter.snapshot import Snapshot, carry_over
from exporter.sources.base import Source
from exporter.sources.registry import build
from exporter.spend.job import LiveSources, live_sources
from exporter.spend.runner import SpendRunner
from exporter.views import FleetView, Shard

log = logging.getLogger(__name__)

# Polls wait on the network, not the CPU: enough threads that a round of many slow sources
# runs at once (a thread is only made when a poll needs one).
MAX_WORKERS = 256
# A quiet fleet still gets a new view this often, so what is read at render time (the
# exporter's own process metrics) is never older.
REFRESH_SECONDS = 15.0


class Engine:
    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
        retries: int = DEFAULT_RETRIES,
        backoff: float = 0.5,
        persist: bool = False,
        shard: Shard | None = None,
    ) -> None:
        """clock: the one clock every reader of "now" uses (sources through their Client).
        persist: keep the catalog memory and the usage state in the config's state_dir across
        restarts. Off by default, so one-shot runs and tests leave no files behind.
        shard: what this exporter is among several (its config already holds only its own
        sources); None: the only one, owning every source of its config."""
        self._shard = shard
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
        self._slots: dict[str, Slot] = {}
        state_dir = config.state_dir if persist else None
        self._watch = CatalogWatch(config.catalog, state_dir)
        self._catalog = self._watch.view()
        self._in_flight = InFlight()
        self._spend = SpendRunner(config.spend, clock=clock, pool=self._pool, source=self._source_state,
                                  live=self._in_flight.track, changed=self._bump, account=self._account,
                                  fleet=self._live_sources, retries=retries, backoff=backoff, state_dir=state_dir)
        self._probes = ProbeRunner(config.probes, clock=clock, pool=self._pool, source=self._source_state,
                                   live=self._in_flight.track, changed=self._bump, observed=self._observed,
                                   state_dir=state_dir)
        self._liveness = LivenessRunner(config.liveness, clock=clock, pool=self._pool, source=self._source_state,
                                        live=self._in_flight.track, changed=self._servability_changed,
                                        budget=self._probes, targets=self._liveness_targets)
        self._listeners: list[Callable[[], None]] = []
        self._notified_at = time.monotonic()
        self._apply(config)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Polls every source now, then each on its own interval, in a background thread."""
        first = [self._submit(slot) for slot in list(self._slots.values())]
        threading.Thread(target=self._mark_ready, args=(first,), name="first-round", daemon=True).start()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def run_once(self) -> FleetView:
        """One round of polls, synchronously: what --once prints."""
        futures = [self._submit(slot) for slot in list(self._slots.values())]
        wait([f for f in futures if f is not None])
        self._ready.set()
        self._bump()
        self._announced.set()
        self._spend.run_once()
        wait(self._probes.run_all())
        wait(self._liveness.run_all())
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

    def reload(self, config: Config, shard: Shard | None = None) -> None:
        """Swaps in a new config. Unchanged sources keep their state and schedule; new ones
        are polled at once; removed ones disappear from the next scrape."""
        with self._lock:
            self._shard = shard if shard is not None else self._shard
            added = self._apply(config)
        for slot in added:
            self._submit(slot)
        self._spend.configure(config.spend)
        self._probes.configure(config.probes)
        self._liveness.configure(config.liveness)

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
                    spend=self._spend.view(),
                    probes=self._probes.view(),
                    liveness=self._liveness.view(),
                    thresholds=tuple((sc.name, sc.balance_alert_threshold) for sc in self._config.sources
                                     if sc.balance_alert_threshold is not None),
                    covers=tuple((slot.source.name, covered) for slot in self._slots.values()
                                 for covered in slot.source.covered()),
                    shard=self._shard or Shard(configured=len(self._config.sources),
                                               owned=tuple(sc.name for sc in self._config.sources)),
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
    def _apply(self, config: Config) -> list[Slot]:
        old = self._slots
        slots: dict[str, Slot] = {}
        added: list[Slot] = []
        for sc in config.sources:
            slot = old.pop(sc.name, None)
            if slot is not None and slot.source.config == sc:
                slots[sc.name] = slot  # unchanged: keeps its state and its place in the schedule
                continue
            source = build(sc)
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
                slot = Slot(source=source, view=empty_view(source),
                            job=Job(f"poll {sc.name}", functools.partial(self._poll, sc.name)))
            slot.count()
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

    def _submit(self, slot: Slot) -> Future[None] | None:
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

    def _fold(self, slot: Slot, result: PollResult) -> None:
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
            slot.fold(result, snapshot, finished, (dropped, providers_dropped))
            self._publish(slot)
        self._notify()

    def _publish(self, slot: Slot) -> None:
        """Recomputes the slot's view and bumps the generation; with the lock held, after every
        poll, skipped poll or feed read of the source."""
        slot.publish(self._clock(), self._config.stale_after)
        self._rank()
        self._generation += 1

    def _account(self, name: str, recorder: PollRecorder) -> None:
        """A feed read's requests and failures, into its source's counters."""
        with self._lock:
            slot = self._slots.get(name)
            if slot is None:
                return
            slot.account(recorder)
            self._publish(slot)
        self._notify()

    def _observed(self, name: str, at: float, failed: bool, reason: str | None) -> None:
        """A probe's outcome, beside its source's polls (the runner then publishes the view)."""
        with self._lock:
            slot = self._slots.get(name)
            if slot is not None:
                slot.outcomes.record(at, counts_as_outage(failed, reason))
                slot.publish(self._clock(), self._config.stale_after)

    def _rank(self) -> None:
        """Re-picks the cheapest model per class: any poll can change who is eligible."""
        try:
            self._catalog = self._watch.rank(
                ((slot.view.name, slot.view.up and slot.view.snapshot is not None) for slot in self._slots.values()),
                settled=self._ready.is_set(), unservable=self._liveness.view().unservable(),
            )
        except Exception:  # keeps the last ranking; the poll itself is still published
            log.exception("ranking the cheapest models failed")

    # -- the first round, the loop, and what the runners borrow ------------------------------
    def _mark_ready(self, futures: list[Future[None] | None]) -> None:
        wait([f for f in futures if f is not None])
        # The ledger is first read once the catalogs are in, so its events find their prices;
        # readiness waits for that run too, so a ready exporter serves budgets and usage.
        if self._spend.settings.active:
            self._spend.run_usage()
        self._ready.set()
        self._spend.start()
        self._probes.start()  # a probe needs its source's first poll
        self._liveness.start()
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
                self._spend.run_due()
                self._probes.run_due()
                self._liveness.run_due()
                if time.monotonic() - self._notified_at >= REFRESH_SECONDS:
                    self._bump()
            except Exception:  # the loop must outlive any bug in a job
                log.exception("scheduler error")
            idle = self._scheduler.idle_seconds
            self._stop.wait(0.5 if idle is None else max(0.05, min(idle, 0.5)))

    def _servability_changed(self) -> None:
        """A liveness verdict moved: a model that stopped serving must not win a route."""
        with self._lock:
            self._rank()
            self._generation += 1
        self._notify()

    def _liveness_targets(self) -> list[tuple[str, str]]:
        with self._lock:
            config = self._config
            probeable = {name for name, slot in self._slots.items() if slot.source.probe_api is not None}
        return liveness_targets(config.liveness, config.spend.fleet, self.view(), probeable, self._clock())

    def _live_sources(self) -> LiveSources:
        return live_sources(self.view().sources, self._config.catalog.input_output_ratio)

    def _source_state(self, name: str) -> tuple[Source, Snapshot | None] | None:
        with self._lock:
            slot = self._slots.get(name)
            if slot is None:
                return None
            return slot.source, slot.view.snapshot if slot.view.up else None
