"""The spend runner: when the usage run goes (every usage.interval: what the ledger gained,
budgets, recommendations) and when each usage feed is read (LiteLLM's spend logs, on its
source's interval), on the engine's pool, as the probe runner runs probes. The engine lends
it its sources and folds the feeds' HTTP counts into their sources' counters."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor

from requests import Session

from exporter.http import Client, FetchError, PollRecorder, new_session
from exporter.jobs import Job, poll_budget
from exporter.sources.base import SourceState
from exporter.spend.job import LiveSources, SpendJob, SpendSettings, SpendView

log = logging.getLogger(__name__)

# Seconds a feed read keeps in hand before asking for one more page.
PAGE_MARGIN = 0.25


class SpendRunner:
    def __init__(self, settings: SpendSettings, *, clock: Callable[[], float], pool: Executor, source: SourceState,
                 live: Callable[[Client], contextlib.AbstractContextManager[None]], changed: Callable[[], None],
                 account: Callable[[str, PollRecorder], None], fleet: Callable[[], LiveSources],
                 retries: int = 2, backoff: float = 0.5, state_dir: str | None = None):
        """account(source, recorder): adds a feed read's requests and failures to its source's
        counters. fleet(): the live snapshots a usage run prices and budgets with."""
        self._clock = clock
        self._pool = pool
        self._source = source
        self._live = live
        self._changed = changed
        self._account = account
        self._fleet = fleet
        self._retries = retries
        self._backoff = backoff
        self._lock = threading.Lock()
        self._watch = SpendJob(settings, state_dir, clock=clock)
        self._run = Job("usage run", self.run_usage)
        self._reads: dict[str, Job] = {}
        self._sessions: dict[str, Session] = {}
        self._failing: set[str] = set()  # feeds whose last read failed: logged once per streak
        # Monotonic times the usage run and each feed are next due; None before start().
        self._run_at: float | None = None
        self._read_at: dict[str, float] = {}

    @property
    def settings(self) -> SpendSettings:
        return self._watch.settings

    def view(self) -> SpendView:
        return self._watch.view()

    def configure(self, settings: SpendSettings) -> None:
        self._watch.reconfigure(settings)
        with self._lock:
            for name in set(self._read_at) - set(settings.feeds):
                del self._read_at[name]
            if self._run_at is not None:
                now = time.monotonic()
                self._read_at = {name: self._read_at.get(name, now) for name in settings.feeds}

    def start(self) -> None:
        """The usage run and the feeds' reads begin once the first round of polls is over:
        events find their prices in the catalogs, and a feed its source's model groups."""
        now = time.monotonic()
        with self._lock:
            self._run_at = now
            self._read_at = {name: now for name in self.settings.feeds}

    def close(self) -> None:
        self._watch.close()
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    def run_due(self) -> None:
        now = time.monotonic()
        due: list[str] = []
        with self._lock:
            if self._run_at is None:
                return
            run = self.settings.active and now >= self._run_at
            if run:
                self._run_at = now + self.settings.interval  # after a stall, the next slot, not a burst
            for name, at in self._read_at.items():
                if now >= at:
                    state = self._source(name)
                    self._read_at[name] = now + (state[0].config.interval if state is not None else 60.0)
                    due.append(name)
        if run:
            self._run.submit(self._pool)  # skipped while the last run still goes
        for name in due:
            self._job(name).submit(self._pool)  # never two reads of one feed at once

    def run_once(self) -> None:
        """Every feed read and a usage run, now and synchronously (--once)."""
        for name in self.settings.feeds:
            self.read_feed(name, then_run=False)
        if self.settings.active:
            self.run_usage()

    def run_usage(self) -> None:
        try:
            self._watch.run(self._fleet())
        except Exception:  # a bad file or a bug must not stop the next runs
            log.exception("usage run failed")
            return
        self._changed()

    def _job(self, name: str) -> Job:
        with self._lock:
            job = self._reads.get(name)
            if job is None:
                job = self._reads[name] = Job(f"usage feed {name}", functools.partial(self.read_feed, name))
            return job

    def read_feed(self, name: str, then_run: bool = True) -> None:
        """One read of a feed: the pages of its window under way (or a new one) while the
        read's deadline and limits.max_pages allow; the rest is read next time. Each page is
        counted as it comes; the read ends by saving what it counted."""
        state = self._source(name)
        source, snapshot = state if state is not None else (None, None)
        feed = source.usage_feed() if source is not None else None
        if source is None or snapshot is None or feed is None:
            return  # removed, or down: its log waits until the source answers again
        sc = source.config
        recorder = PollRecorder()
        with self._lock:
            session = self._sessions.get(name) or self._sessions.setdefault(name, new_session())
        deadline = time.monotonic() + poll_budget(sc.interval, sc.timeout, self._retries)
        counted = pages = 0
        with Client(timeout=sc.timeout, deadline=deadline, recorder=recorder, retries=self._retries,
                    backoff=self._backoff, session=session, max_body=sc.max_response_bytes,
                    clock=self._clock) as client, self._live(client):
            try:
                slowest, asked = 0.0, time.monotonic()
                for page in feed.read(client, self._watch.next_sweep(name, self._clock()), snapshot):
                    slowest = max(slowest, time.monotonic() - asked)
                    counted += self._watch.count_feed(name, page, self._clock())
                    pages += 1
                    # One page at least; another only while the deadline leaves room for a few
                    # more as slow as the slowest yet (the rest is read next time, not cut short).
                    if page.next is None or pages >= sc.max_pages or \
                            deadline - time.monotonic() < min(sc.timeout, max(PAGE_MARGIN, 3 * slowest)):
                        break
                    asked = time.monotonic()
            except FetchError as err:  # counted under the source's endpoint; the sweep waits for the next read
                if name not in self._failing:
                    what = "" if err.reason == "unsupported" else "unreadable, its calls wait for the next read: "
                    log.warning("%s: usage feed %s%s", name, what, err.message,
                                extra={"fields": {"source": name, "endpoint": err.endpoint, "reason": err.reason}})
                self._failing.add(name)
            except Exception:  # a bug must not stop the next reads
                log.exception("%s: usage feed read failed", name)
            else:
                if name in self._failing:
                    log.info("%s: usage feed readable again", name, extra={"fields": {"source": name}})
                self._failing.discard(name)
        self._watch.save()
        self._account(name, recorder)
        if counted:
            log.debug("%s: usage feed: %d new call(s) in %d page(s)", name, counted, pages)
            if then_run:
                self._run.submit(self._pool)  # the view shows them without waiting for the next run
