"""Usage, spend, budgets and recommendations: the job the engine runs every usage.interval.

Each run reads what the ledger files gained, prices new events from the current catalog,
saves offsets and totals together in `state_dir/usage.json`, then re-evaluates budgets and
recommendations. Its result is an immutable SpendView that the collector and the JSON
endpoints read; a scrape never reads a file or prices an event.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exporter import statefile
from exporter.defaults import default
from exporter.snapshot import Event, FeedPage, Snapshot, Sweep
from exporter.spend.book import UsageBook
from exporter.spend.budgets import Budget, BudgetState, evaluate
from exporter.spend.events import BadEvent, parse_event
from exporter.spend.exhaustion import Readings, key_of
from exporter.spend.feeds import Feed
from exporter.spend.fleetfile import FleetFile
from exporter.spend.ledger import MAX_LINE_BYTES, Line, Position, Tailer
from exporter.spend.live import LEDGER, LiveBook
from exporter.spend.pricing import PriceBook
from exporter.spend.recommend import Advice, Offer, recommend
from exporter.units import FUTURE_SKEW, parse_duration, window_start

log = logging.getLogger(__name__)

STATE_VERSION = 1
STATE_FILE = "usage.json"


@dataclass(frozen=True, slots=True)
class SpendSettings:
    ledger: tuple[str, ...] = ()
    # Sources whose logged calls feed the book (litellm with spend_logs: true)
    feeds: tuple[str, ...] = ()
    interval: float = parse_duration(default("usage.interval")) or 0.0
    max_tasks: int = default("limits.max_tasks")
    max_usage_models: int = default("limits.max_usage_models")
    max_usage_series: int = default("limits.max_usage_series")
    fleet: FleetFile = field(default_factory=FleetFile)
    budgets: tuple[Budget, ...] = ()
    min_savings_usd: Decimal = Decimal(str(default("recommendations.min_savings_usd")))
    # Sources that list their API keys (keys: true): the runs read how fast each spends
    keys: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.ledger or self.feeds or self.budgets or self.fleet.models or self.fleet.roles or self.keys)


@dataclass(frozen=True, slots=True)
class SpendView:
    settings: SpendSettings = field(default_factory=SpendSettings)
    book: UsageBook = field(default_factory=UsageBook)
    budgets: tuple[BudgetState, ...] = ()
    advice: tuple[Advice, ...] = ()
    computed_at: float | None = None
    # The ledger files being followed, so their invalid-line counters exist at 0.
    files: tuple[str, ...] = ()
    live: LiveBook = field(default_factory=LiveBook)
    # When each key's and each budget's credit runs out at the measured rate (exhaustion.py)
    keys_run_out: tuple[tuple[tuple[str, str], float], ...] = ()  # ((source, key), unix seconds)
    budgets_run_out: tuple[tuple[tuple[str, str], float], ...] = ()  # ((budget, period), unix seconds)


@dataclass(frozen=True, slots=True)
class LiveSources:
    """What a run needs from the engine's view: live snapshots and whether each source is up."""

    fresh: tuple[tuple[str, bool, Snapshot], ...] = ()
    # catalog.input_output_ratio, for prices weighted as the catalog weighs them
    ratio: Decimal = Decimal(str(default("catalog.input_output_ratio")))


class SpendJob:
    """The usage book and what feeds it (the ledger's files and the usage feeds' cursors),
    saved together. The spend runner (runner.py) decides when it reads and runs."""

    def __init__(self, settings: SpendSettings, state_dir: str | None = None,
                 clock: Callable[[], float] = time.time):
        self._lock = threading.Lock()
        self._clock = clock
        self.settings = settings
        self._book = UsageBook(max_tasks=settings.max_tasks, max_models=settings.max_usage_models,
                               max_series=settings.max_usage_series)
        self._live = LiveBook(max_models=settings.max_usage_models, max_series=settings.max_usage_series)
        self._store = statefile.Journal(state_dir, STATE_FILE, STATE_VERSION)
        self._readings = Readings(state_dir)
        self._feeds: dict[str, Feed] = {}
        self._changed_feeds: set[str] = set()
        self._dirty = False  # counted since the last save
        self._changed = False  # counted since the last view
        restored = self._store.restore_changes(self._restore) or []
        if settings.ledger and not restored:
            log.info("no usage state: reading the ledger from the start of each file, priced at current prices")
        self._tailer = Tailer(settings.ledger, restored)
        self._view = SpendView(settings=settings, book=self._book.copy(), live=self._live.copy())

    def reconfigure(self, settings: SpendSettings) -> None:
        with self._lock:
            if settings.ledger != self.settings.ledger:
                positions = self._tailer.positions()
                self._tailer.close()
                self._tailer = Tailer(settings.ledger, positions)
            self._book.max_tasks, self._book.max_models = settings.max_tasks, settings.max_usage_models
            self._book.max_series = settings.max_usage_series
            self._live.max_models, self._live.max_series = settings.max_usage_models, settings.max_usage_series
            self.settings = settings

    def close(self) -> None:
        with self._lock:
            self._tailer.close()

    def view(self) -> SpendView:
        with self._lock:
            return self._view

    # -- usage feeds ------------------------------------------------------------------------
    def next_sweep(self, name: str, now: float) -> Sweep:
        """The window a feed's next read asks for (see feeds.py)."""
        with self._lock:
            return self._feed(name).next_sweep(now, window_start("month", now))

    def count_feed(self, name: str, page: FeedPage, now: float) -> int:
        """Counts the calls of one page of a feed that this book has not counted yet; the
        page's next sweep becomes the feed's window under way. Returns how many were new."""
        with self._lock:
            feed = self._feed(name)
            events = feed.take(page.rows, window_start("month", now), now, page.hold)
            for e in events:
                self._book.add(e, lambda _: None)  # each row carries the gateway's own cost
                self._live.add(name, e)
            feed.sweep = page.next
            if events:
                self._dirty = self._changed = True
                self._changed_feeds.add(name)
            return len(events)

    def save(self) -> None:
        """Saves what was counted since the last save: a feed's read ends with this, so a
        crash after it counts nothing twice and a crash before it loses nothing."""
        with self._lock:
            if self._dirty:
                self._save()

    def _feed(self, name: str) -> Feed:
        return self._feeds.setdefault(name, Feed())

    # -- the run ----------------------------------------------------------------------------
    def run(self, fleet: LiveSources) -> SpendView:
        with self._lock:
            now = self._clock()
            settings = self.settings
            lines = self._tailer.read()
            if lines:
                self._count_lines(lines, PriceBook(((name, snap) for name, _, snap in fleet.fresh), fleet.ratio), now)
            expired = self._book.expire(now)
            if lines or self._dirty:
                self._save()
            spend = {name: dict(snap.spend) for name, up, snap in fleet.fresh}
            budgets = evaluate(settings.budgets, now, self._book.spend,
                               lambda source, window: spend.get(source, {}).get(window))
            offers = [Offer(name, m.provider, m) for name, up, snap in fleet.fresh for m in snap.models
                      if snap.provider_state(m.provider, up) == "healthy"]
            advice = recommend(self._book, settings.fleet, offers, now, settings.min_savings_usd) \
                if settings.fleet.roles else ()
            keys_run_out, budgets_run_out = self._run_out(fleet, budgets, now)
            files = tuple(sorted(p.path for p in self._tailer.positions()))
            # An unchanged book keeps its identity, so the ledger's families are not rendered again.
            changed = bool(lines) or expired or self._changed
            book = self._book.copy() if changed else self._view.book
            live = self._live.copy() if changed else self._view.live
            self._changed = False
            self._view = SpendView(settings, book, budgets, advice, now, files, live, keys_run_out, budgets_run_out)
            return self._view

    def _run_out(self, fleet: LiveSources, budgets: tuple[BudgetState, ...], now: float
                 ) -> tuple[tuple[tuple[tuple[str, str], float], ...], tuple[tuple[tuple[str, str], float], ...]]:
        """Reads each key's and budget's spend into the readings, and when each runs out."""
        readings, seen = self._readings, []
        keys_out, budgets_out = [], []
        for name, _, snap in fleet.fresh:
            for key in snap.keys:
                if key.kind != "key" or key.limit_usd is None or key.remaining_usd is None:
                    continue
                series = key_of("key", name, key.name)
                readings.read(series, now, key.limit_usd - key.remaining_usd)
                seen.append(series)
                if (at := readings.runs_out(series, key.remaining_usd, now)) is not None:
                    keys_out.append(((name, key.name), at))
        for state in budgets:
            if state.spent_usd is None:
                continue
            b = state.budget
            series = key_of("budget", b.name, b.period)
            readings.read(series, now, state.spent_usd)
            seen.append(series)
            if (at := readings.runs_out(series, b.limit_usd - state.spent_usd, now)) is not None:
                budgets_out.append(((b.name, b.period), at))
        readings.forget(seen)
        readings.save()
        return tuple(keys_out), tuple(budgets_out)

    def _count_lines(self, lines: list[Line], prices: PriceBook, now: float) -> None:
        bad: dict[str, tuple[int, str]] = {}  # path -> (count, the first one)
        for line in lines:
            try:
                if line.text is None:
                    raise BadEvent(f"longer than {MAX_LINE_BYTES} bytes")
                event = parse_event(line.text, now)
                self._book.add(event, _pricer(prices))
                self._live.add(LEDGER, event)
            except BadEvent as exc:
                self._book.invalid(line.path)
                count, first = bad.get(line.path, (0, f"line {line.number}: {exc}"))
                bad[line.path] = (count + 1, first)
                log.debug("ledger %s:%d: skipped a malformed line: %s", line.path, line.number, exc)
        for path, (count, first) in bad.items():
            log.warning("ledger %s: skipped %d malformed line%s in this read (the first, %s)", path, count,
                        "" if count == 1 else "s", first,
                        extra={"fields": {"file": path, "lines": count, "reason": "invalid_line"}})

    def _save(self) -> None:
        """What changed since the last save, appended to the journal in one line: the book's
        changed entries, the ledger's offsets and the feeds that moved, so a crash leaves
        totals and the positions that produced them together. Now and then the whole state is
        written as a new base instead (statefile.Journal)."""
        self._dirty = False
        positions = [[p.path, p.dev, p.ino, p.offset, p.line, p.skipping] for p in self._tailer.positions()]
        changes = self._book.take_changes()
        live = self._live.take_changes()
        if self._store.path is None:
            return
        if self._store.wants_compaction:
            self._store.compact({"positions": positions, "book": self._book.to_json(), "live": self._live.to_json(),
                                 "feeds": {name: feed.to_json() for name, feed in self._feeds.items()}})
        else:
            self._store.append({"positions": positions, "book": changes, **({"live": live} if live else {}),
                                "feeds": {name: self._feeds[name].to_json() for name in self._changed_feeds}})
        self._changed_feeds = set()

    def _restore(self, doc: dict[str, Any], changes: list[dict[str, Any]]) -> list[Position]:
        """The saved state put back (raises statefile.CORRUPT's errors for values no real state
        holds, and then the file is set aside); the ledger positions to resume from."""
        settings = self.settings
        book = UsageBook.from_json(doc["book"], settings.max_tasks, settings.max_usage_models,
                                   settings.max_usage_series)
        positions = _positions(doc["positions"])
        feeds = {str(name): Feed.from_json(f) for name, f in doc.get("feeds", {}).items()}  # newer than 1
        # newer still: a state without it starts the live book empty
        live = LiveBook.from_json(doc["live"], settings.max_usage_models, settings.max_usage_series) \
            if "live" in doc else LiveBook(max_models=settings.max_usage_models, max_series=settings.max_usage_series)
        for change in changes:
            book.apply(change["book"])
            if "live" in change:
                live.apply(change["live"])
            positions = _positions(change["positions"])
            feeds.update({str(name): Feed.from_json(f) for name, f in change["feeds"].items()})
        now = self._clock()
        for name, feed in feeds.items():
            feed.set_aside_future_cursor(name, now, FUTURE_SKEW)
        self._book = book
        self._live = live
        self._feeds = feeds
        log.info("resumed the usage ledger at %d file offsets and %d feed cursor(s) from %s (%d change(s) on "
                 "its base)", len(positions), len(feeds), self._store.path, len(changes))
        return positions


def _positions(rows: list[Any]) -> list[Position]:
    # the sixth field (inside an overlong line) is newer: older files have five; dev and ino
    # are whatever the filesystem says; offsets and line numbers are counts
    count = statefile.count
    return [Position(str(p), int(d), int(i), count(o), count(n), bool(rest and rest[0]))
            for p, d, i, o, n, *rest in rows]


def _pricer(prices: PriceBook) -> Callable[[Event], Decimal | None]:
    return lambda e: prices.cost(e.provider, e.model, e.input_tokens, e.output_tokens, e.cache_read_tokens)


def live_sources(sources: Iterable[Any], ratio: Decimal) -> LiveSources:
    """From the engine's source views: (name, up, snapshot) for each source with a snapshot."""
    return LiveSources(tuple((s.name, s.up, s.snapshot) for s in sources if s.snapshot is not None), ratio)
