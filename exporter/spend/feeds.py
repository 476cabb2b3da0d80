"""Usage feeds: calls a gateway already logged (LiteLLM's spend logs), counted exactly once.

A gateway writes its log in batches, so a row can appear after newer ones, and every read
of a window returns the rows already read. Each feed keeps a cursor (the newest call counted)
and the request ids of the calls counted within LOOKBACK of it:

- a read asks for the window from cursor - LOOKBACK (on the first read, without a cursor: the
  start of the current UTC month) to now, oldest first, page by page;
- a row is counted when its id is new and it is no older than cursor - LOOKBACK;
- an older row is taken as counted: a row that arrives later than LOOKBACK is not counted
  (LiteLLM's batches are written every few seconds to a minute);
- ids older than the window are forgotten, which keeps the state small;
- the cursor never passes the engine's clock: a call dated in the future is rejected where it
  is parsed, and a saved cursor in the future is set aside at start.

Since pages come oldest first, the cursor is also how far a window has been read: a read that
runs out of time is continued by the next one (the sweep, kept in memory), and after a restart
the saved cursor less LOOKBACK is where reading resumes.

The cursor and the ids are saved in the same state file as the usage book they fed, in one
atomic write (spend/job.py): a crash before it loses nothing (the rows are read again and
are new), a crash after it counts nothing twice (their ids are saved).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from exporter import statefile
from exporter.snapshot import Event, Sweep, UsageRow

log = logging.getLogger(__name__)

LOOKBACK = 900.0  # seconds re-read behind the cursor; the issue asks for at least 10 minutes


@dataclass
class Feed:
    cursor: float | None = None
    seen: dict[str, float] = field(default_factory=dict)  # request id -> its call's start, unix seconds
    # The window being read, when a read stopped before its end (not saved: after a restart
    # the cursor says where to resume).
    sweep: Sweep | None = None

    def since(self, month_start: float) -> float:
        """Where the next window starts: LOOKBACK behind the cursor, or the month's start."""
        return month_start if self.cursor is None else self.cursor - LOOKBACK

    def next_sweep(self, now: float, month_start: float) -> Sweep:
        """The window to read next: the one under way, else from since() to now."""
        return self.sweep or Sweep(self.since(month_start), now)

    def take(self, rows: Iterable[UsageRow], month_start: float, now: float, hold: float | None = None
             ) -> list[Event]:
        """The events of the rows not counted yet, in order; remembers them. The cursor moves
        to the newest of them, but never past `now` nor past `hold` (the oldest row of an
        answer that held only the newest rows of its window)."""
        floor = self.since(month_start)
        fresh = []
        for row in rows:
            if row.event.ts < floor or row.request_id in self.seen:
                continue
            self.seen[row.request_id] = row.event.ts
            fresh.append(row.event)
        if fresh:
            newest = min(max(e.ts for e in fresh), now)
            if hold is not None:
                newest = min(newest, hold)
            self.cursor = max(self.cursor, newest) if self.cursor is not None else newest
            horizon = self.cursor - LOOKBACK
            self.seen = {rid: ts for rid, ts in self.seen.items() if ts >= horizon}
        return fresh

    def to_json(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "seen": self.seen}

    @staticmethod
    def from_json(doc: dict[str, Any]) -> Feed:
        """Raises ValueError or TypeError for anything no real state holds."""
        cursor = doc["cursor"]
        seen = doc["seen"]
        if not isinstance(seen, dict):
            raise TypeError("seen is not an object")
        return Feed(None if cursor is None else statefile.number(cursor),
                    {str(rid): statefile.number(ts) for rid, ts in seen.items()})

    def set_aside_future_cursor(self, name: str, now: float, skew: float) -> None:
        """A saved cursor later than now (one future-dated row counted by an older version, or
        a clock set back since) would start every window after every real call: reading
        resumes from now instead, which counts nothing twice."""
        if self.cursor is None or self.cursor <= now + skew:
            return
        log.warning("usage feed %s: the saved cursor is in the future; set aside, reading from now on (calls "
                    "logged since that cursor was saved may be missing)", name,
                    extra={"fields": {"feed": name, "cursor": self.cursor}})
        self.cursor = now
        self.seen = {}
