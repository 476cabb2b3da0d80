"""Polling engine: runs every source on its own interval, concurrently, and keeps the latest
immutable view of each one. Scrapes read views; nothing here runs on the scrape path.

Stale policy: a failing source reports llm_source_up 0 at once, keeps its last good values
through `stale_after` failed intervals, and then its provider, model and balance series are
dropped, so a dead source does not pretend to be current forever.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import requests
import schedule

from exporter import probes
from exporter import sources as source_types
from exporter.catalog.watch import CatalogView, CatalogWatch
from exporter.config import Config, SourceConfig
from exporter.http import Client, FetchError, PollRecorder, new_session
from exporter.jobs import CPU_LANE
from exporter.probes import ProbeBook, ProbeResult, ProbeTarget, ProbeView
from exporter.redact import redact
from exporter.snapshot import Snapshot, carry_over
from exporter.sources.base import Source
from exporter.spend.job import SpendView, SpendWatch, fleet_state

log = logging.getLogger(__name__)

# Polls wait on the network, not the CPU: enough threads that a round of many slow sources
# runs at once (a thread is only made when a poll needs one).
MAX_WORKERS = 256


@dataclass(frozen=True, slots=True)
class SourceView:
    """Everything known about one source, as of its last poll."""

    name: str
    type: str
    endpoints: tuple[str, ...]
    interval: float
    up: bool = False
    polled: bool = False
    last_success: float | None = None
    last_poll: float | None = None
    last_error: str | None = None
    poll_duration: float | None = None
    # The last good snapshot while it is within the stale window, else None.
    snapshot: Snapshot | None = None
    requests: tuple[tuple[str, int], ...] = ()
    failures: tuple[tuple[tuple[str, str], int], ...] = ()
    skipped: tuple[tuple[str, int], ...] = ()
    failed_polls: int = 0
    blocked_until: float | None = None
    models_dropped: int = 0  # over limits.max_models, summed over polls
    providers_dropped: int = 0  # over limits.max_providers, summed over polls


@dataclass(frozen=True, slots=True)
class FleetView:
    generation: int
    ready: bool
    sources: tuple[SourceView, ...]
    catalog: CatalogView = field(default_factory=CatalogView)
    spending: SpendView = field(default_factory=SpendView)
    probes: ProbeView = field(default_factory=ProbeView)
    # (source, balance_alert_threshold) for the sources that set one
    thresholds: tuple[tuple[str, Decimal], ...] = ()

    def fresh(self) -> Iterator[tuple[SourceView, Snapshot]]:
        """Each source that has a snapshot within its stale window, with that snapshot."""
        for source in self.sources:
            if source.snapshot is not None:
                yield source, source.snapshot


@dataclass
class _Slot:
    source: Source
    view: SourceView
    good: Snapshot | None = None
    running: bool = False
    job: schedule.Job | None = None
    requests: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    # The source's HTTP session, kept across polls (connections and TLS sessions are reused);
    # closed when the source is removed or its settings change.
    session: requests.Session | None = None

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def cap(snapshot: Snapshot, sc: SourceConfig) -> tuple[Snapshot, int, int]:
    """The snapshot within limits.max_models and limits.max_providers, and how many of each
    were left out: a vendor that lists a runaway number must not take the memory and the
    series count with it. The first ones, in the vendor's order, are kept."""
    models = len(snapshot.models) - sc.max_models
    providers = len(snapshot.providers) - sc.max_providers
    if models <= 0 and providers <= 0:
        return snapshot, 0, 0
    changes: dict[str, Any] = {}
    if models > 0:
        changes["models"] = snapshot.models[: sc.max_models]
    if providers > 0:
        kept = snapshot.providers[: sc.max_providers]
        changes["providers"] = kept
        if snapshot.gatewayz is not None:
            ids = {p.id for p in kept}
            stats = snapshot.gatewayz
            changes["gatewayz"] = replace(
                stats, response_times_ms=tuple(pair for pair in stats.response_times_ms if pair[0] in ids),
                last_health_checks=tuple(pair for pair in stats.last_health_checks if pair[0] in ids))
    return replace(snapshot, **changes), max(models, 0), max(providers, 0)


def max_retry_after(interval: float) -> float:
    """The longest a 429's Retry-After parks a source: 10 intervals, at most an hour."""
    return min(10 * interval, 3600.0)


def poll_budget(interval: float, timeout: float, retries: int) -> float:
    """How long one poll may take: its requests and retries, but never past 80% of the
    interval, so a poll is always over before the next one is due."""
    return min(interval * 0.8, timeout * (retries + 1) + 2.0)


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
        """persist: keep the catalog memory in the config's state_dir across restarts. Off by
        default, so one-shot runs and tests leave no files behind; the server turns it on."""
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
        self._spending = self._spend.view()
        self._spend_job: schedule.Job | None = None
        self._spend_running = False
        self._probe_book = ProbeBook(config.probes, clock)
        self._probes = self._probe_book.view()
        # Made when the first round of polls is over: a probe needs its source's first poll.
        self._probe_schedule: probes.Schedule | None = None
        self._probing: set[tuple[str, str]] = set()
        self._listeners: list[Callable[[], None]] = []
        # The clients of the polls and probes in flight, so stop() can cut their requests.
        self._clients: set[Client] = set()
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
        probing = [self._submit_probe(target) for target in self._config.probes.targets]
        wait([f for f in probing if f is not None])
        return self.view()

    def stop(self) -> None:
        """Stops polling and probing at once: requests in flight are cut (a hanging vendor
        cannot hold the process past a SIGTERM), and what state is kept is saved."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            live = list(self._clients)
        for client in live:
            client.abort()
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
        with self._lock:
            self._probe_book.configure(config.probes)
            self._probes = self._probe_book.view()
            if self._probe_schedule is not None:
                self._probe_schedule.reset(config.probes.targets, time.monotonic())
        self._bump()

    # -- views ------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[], None]) -> None:
        """listener() is called after every change of view, on the thread that made it (a
        poll worker), never on a scrape: the exposition renders what changed there."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # a listener's bug must not stop polling
                log.exception("view listener failed")

    def view(self) -> FleetView:
        with self._lock:
            if self._view is None or self._view.generation != self._generation:
                self._view = FleetView(
                    generation=self._generation,
                    ready=self._ready.is_set(),
                    sources=tuple(slot.view for slot in self._slots.values()),
                    catalog=self._catalog,
                    spending=self._spending,
                    probes=self._probes,
                    thresholds=tuple((sc.name, sc.balance_alert_threshold) for sc in self._config.sources
                                     if sc.balance_alert_threshold is not None),
                )
            return self._view

    # -- internals --------------------------------------------------------------------------
    def _apply(self, config: Config) -> list[_Slot]:
        old = self._slots
        slots: dict[str, _Slot] = {}
        added: list[_Slot] = []
        for sc in config.sources:
            slot = old.pop(sc.name, None)
            if slot is not None and slot.source.config == sc:
                slots[sc.name] = slot  # unchanged: keeps its state and its place in the schedule
                continue
            source = source_types.build(sc)
            if slot is not None and slot.source.config.type == sc.type:
                # Same source, new settings: keep counters so rates do not see a reset.
                self._scheduler.cancel_job(slot.job)
                slot.close()  # its url or key may have changed: new connections
                slot.source = source
                slot.view = replace(slot.view, interval=sc.interval, endpoints=source.endpoint_names())
            else:
                if slot is not None:
                    self._scheduler.cancel_job(slot.job)
                    slot.close()
                slot = _Slot(source=source, view=self._empty_view(source))
            for endpoint in source.endpoint_names():
                slot.requests[endpoint] += 0  # known series exist at 0 before the first call
            slot.view = replace(slot.view, requests=tuple(sorted(slot.requests.items())))
            slot.job = self._scheduler.every(sc.interval).seconds.do(self._submit, slot)
            slots[sc.name] = slot
            added.append(slot)
        for removed in old.values():
            self._scheduler.cancel_job(removed.job)
            removed.close()
        self._slots = slots
        self._config = config
        self._watch.configure(config.catalog, slots)
        self._rank()
        self._generation += 1
        return added

    @staticmethod
    def _empty_view(source: Source) -> SourceView:
        return SourceView(
            name=source.name,
            type=source.config.type,
            endpoints=source.endpoint_names(),
            interval=source.config.interval,
        )

    def _bump(self) -> None:
        with self._lock:
            self._generation += 1
        self._notify()

    def _mark_ready(self, futures: list[Future[None] | None]) -> None:
        wait([f for f in futures if f is not None])
        # The ledger is first read once the catalogs are in, so its events find their prices;
        # readiness waits for that run too, so a ready exporter serves budgets and usage.
        if self._spend.settings.active:
            self._run_spending()
        self._ready.set()
        with self._lock:
            self._probe_schedule = probes.Schedule(self._config.probes.targets, time.monotonic())
        self._bump()  # the listeners render the ready view here, before readiness is announced
        self._announced.set()
        # What the first round built (catalogs, the rendered exposition) lives long, and
        # carry_over keeps it alive while it does not change: exempt it from the cyclic
        # collector, whose full passes over it otherwise stall a scrape now and then. Objects
        # are still freed by reference counting when they go.
        gc.freeze()
        log.info("first round of polls finished; ready")

    # -- usage, spend, budgets and recommendations -----------------------------------------
    def _schedule_spending(self) -> None:
        with self._lock:
            if self._spend_job is not None:
                self._scheduler.cancel_job(self._spend_job)
                self._spend_job = None
            settings = self._spend.settings
            if settings.active:
                self._spend_job = self._scheduler.every(settings.interval).seconds.do(self._submit_spending)

    def _submit_spending(self) -> None:
        if not self._spend.settings.active or not self._ready.is_set():
            return
        with self._lock:
            if self._spend_running:
                return
            self._spend_running = True
        try:
            self._pool.submit(self._run_spending)
        except RuntimeError:  # pool shut down while stopping
            with self._lock:
                self._spend_running = False

    def _run_spending(self) -> None:
        try:
            view = self._spend.run(fleet_state(self.view().sources, self._config.catalog.input_output_ratio))
        except Exception:  # a bad file or a bug must not stop the next runs
            log.exception("usage run failed")
            return
        finally:
            with self._lock:
                self._spend_running = False
        with self._lock:
            self._spending = view
            self._generation += 1
        self._notify()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._scheduler.run_pending()
                with self._lock:
                    due = self._probe_schedule.due(time.monotonic()) if self._probe_schedule else []
                for target in due:
                    self._submit_probe(target)
            except Exception:  # the loop must outlive any bug in a job
                log.exception("scheduler error")
            idle = self._scheduler.idle_seconds
            self._stop.wait(0.5 if idle is None else max(0.05, min(idle, 0.5)))

    # -- synthetic probes ------------------------------------------------------------------------
    def _submit_probe(self, target: ProbeTarget) -> Future[None] | None:
        with self._lock:
            busy = target.key in self._probing  # the last one still runs: never two at once
            if not busy:
                self._probing.add(target.key)
        if busy:
            self._probe_outcome(target, skip="overlap")
            return None
        try:
            return self._pool.submit(self._probe, target)
        except RuntimeError:  # pool shut down while stopping
            with self._lock:
                self._probing.discard(target.key)
            return None

    def _probe(self, target: ProbeTarget) -> None:
        try:
            self._probe_unguarded(target)
        except Exception:  # a probe's bug must not kill a worker or stop later probes
            log.exception("probe %s/%s: unexpected error", target.source, target.model)
        finally:
            with self._lock:
                self._probing.discard(target.key)

    def _probe_unguarded(self, target: ProbeTarget) -> None:
        with self._lock:
            slot = self._slots.get(target.source)
            view = slot.view if slot is not None else None
            settings = self._config.probes
        snapshot = view.snapshot if view is not None and view.up else None
        if slot is None or snapshot is None:  # down, or never polled successfully yet
            self._probe_outcome(target, skip="source_down")
            return
        model = next((m for m in snapshot.models if m.id == target.model), None)
        with self._lock:
            allowed = self._probe_book.allows(target, free=model is not None and model.free)
        if not allowed:
            self._probe_outcome(target, skip="budget")
            return
        prices = (model.price("input"), model.price("output")) if model is not None else (None, None)
        client = Client(timeout=target.timeout, deadline=time.monotonic() + target.timeout, recorder=PollRecorder(),
                        retries=0, max_body=slot.source.config.max_response_bytes, clock=self._clock)
        with client, self._live(client):
            try:
                result = probes.run(client, slot.source, target, settings, prices, self._clock)
            except Exception as exc:  # a vendor's odd stream must never escape as a crash
                result = ProbeResult(target.source, target.model, self._clock(), False, "invalid_response",
                                     redact(f"{type(exc).__name__}: {exc}")[:300])
        self._probe_outcome(target, result=result)

    def _probe_outcome(self, target: ProbeTarget, *, skip: str | None = None, result: ProbeResult | None = None
                       ) -> None:
        with self._lock:
            if skip is not None:
                self._probe_book.skip(target, skip)
            if result is not None:
                self._probe_book.record(result)
            self._probes = self._probe_book.view()
            self._generation += 1
        self._notify()

    @contextlib.contextmanager
    def _live(self, client: Client) -> Iterator[None]:
        """Registers a poll's or probe's client for stop() to abort while it runs."""
        with self._lock:
            self._clients.add(client)
            stopping = self._stop.is_set()
        if stopping:
            client.abort()
        try:
            yield
        finally:
            with self._lock:
                self._clients.discard(client)

    def _submit(self, slot: _Slot) -> Future[None] | None:
        with self._lock:
            if slot.running:
                slot.skipped["overlap"] += 1
                self._publish(slot)
                return None
            slot.running = True
        try:
            return self._pool.submit(self._poll, slot)
        except RuntimeError:  # pool shut down while stopping
            slot.running = False
            return None

    def _poll(self, slot: _Slot) -> None:
        try:
            self._poll_unguarded(slot)
        except Exception:  # never let a poll kill a worker silently
            log.exception("%s: unexpected error while polling", slot.source.name)
        finally:
            with self._lock:
                slot.running = False

    def _poll_unguarded(self, slot: _Slot) -> None:
        source = slot.source
        sc: SourceConfig = source.config
        now = self._clock()
        blocked = slot.view.blocked_until
        if blocked is not None and now < blocked:
            log.info("%s: rate limited, skipping poll for another %.0fs", source.name, blocked - now)
            with self._lock:
                slot.skipped["rate_limited"] += 1
                self._publish(slot)
            return

        recorder = PollRecorder()
        started = time.monotonic()
        deadline = started + poll_budget(sc.interval, sc.timeout, self._retries)
        snapshot: Snapshot | None = None
        error: str | None = None
        retry_after: float | None = None
        if slot.session is None:
            slot.session = new_session()
        with Client(
            timeout=sc.timeout, deadline=deadline, recorder=recorder, retries=self._retries, backoff=self._backoff,
            session=slot.session, max_body=sc.max_response_bytes, clock=self._clock,
        ) as client, self._live(client):
            try:
                snapshot = source.poll(client)
            except FetchError as exc:
                error = f"{exc.endpoint}: {exc.reason}: {exc.message}"
                retry_after = exc.retry_after
                if exc.reason == "rate_limited" and retry_after is None:
                    # A 429 that does not say how long to wait: skip one interval.
                    retry_after = sc.interval
                if retry_after is not None:
                    # A vendor's Retry-After of 999999999 must not park a source for 31 years.
                    retry_after = min(retry_after, max_retry_after(sc.interval))
            except Exception as exc:  # a vendor's odd answer must never take the process down
                endpoint = recorder.last_endpoint or (source.endpoint_names() or ("unknown",))[0]
                recorder.failure(endpoint, "invalid_response")
                error = redact(f"{endpoint}: invalid_response: {type(exc).__name__}: {exc}")[:500]
        duration = time.monotonic() - started
        with CPU_LANE:  # folding the answer in, and rendering what changed, take turns
            self._fold(slot, snapshot, error, retry_after, recorder, duration)

    def _fold(self, slot: _Slot, snapshot: Snapshot | None, error: str | None, retry_after: float | None,
              recorder: PollRecorder, duration: float) -> None:
        source, sc = slot.source, slot.source.config
        finished = self._clock()
        dropped = providers_dropped = 0
        if snapshot is not None:
            snapshot, dropped, providers_dropped = cap(snapshot, sc)
            if dropped and (slot.view.models_dropped == 0 or not slot.view.up):
                log.warning("%s: %d models over limits.max_models=%d are left out", source.name, dropped,
                            sc.max_models)
            if providers_dropped and (slot.view.providers_dropped == 0 or not slot.view.up):
                log.warning("%s: %d providers over limits.max_providers=%d are left out", source.name,
                            providers_dropped, sc.max_providers)
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
                log.exception("%s: catalog change detection failed", source.name)

        with self._lock:
            slot.requests.update(recorder.requests)
            slot.failures.update(recorder.failures)
            view = slot.view
            if snapshot is not None:
                slot.good = snapshot
                if not view.up and view.polled:
                    log.info("%s: recovered", source.name)
                view = replace(view, up=True, last_success=finished, last_error=None, blocked_until=None)
            else:
                log.warning("%s: poll failed: %s", source.name, error)
                view = replace(
                    view,
                    up=False,
                    last_error=error,
                    failed_polls=view.failed_polls + 1,
                    blocked_until=finished + retry_after if retry_after else None,
                )
            slot.view = replace(view, polled=True, last_poll=finished, poll_duration=duration,
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
                                self._config.stale_after)
                slot.good = None
        slot.view = replace(
            view,
            snapshot=snapshot,
            requests=tuple(sorted(slot.requests.items())),
            failures=tuple(sorted(slot.failures.items())),
            skipped=tuple(sorted(slot.skipped.items())),
        )
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
