"""Usage feeds: calls a gateway already logged (LiteLLM's spend logs), counted exactly once.

A gateway writes its log in batches, so a row can appear after newer ones, and every read
of a day returns the rows already read. Each feed keeps a cursor (the newest call counted)
and the request ids of the calls counted within LOOKBACK of it:

- a row is counted when its id is new and it is no older than cursor - LOOKBACK (on the first
  read, without a cursor: no older than the start of the current UTC month);
- an older row is taken as counted: a row that arrives later than LOOKBACK is not counted
  (LiteLLM's batches are written every few seconds to a minute);
- ids older than the window are forgotten, which keeps the state small.

The cursor and the ids are saved in the same state file as the usage book they fed, in one
atomic write (spend/job.py): a crash before it loses nothing (the rows are read again and
are new), a crash after it counts nothing twice (their ids are saved).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from exporter import statefile
from exporter.snapshot import Event, UsageRow

LOOKBACK = 900.0  # seconds re-read behind the cursor; the issue asks for at least 10 minutes


@dataclass
class Feed:
    cursor: float | None = None
    seen: dict[str, float] = field(default_factory=dict)  # request id -> its call's start, unix seconds

    def take(self, rows: Iterable[UsageRow], month_start: float) -> list[Event]:
        """The events of the rows not counted yet, in order; remembers them."""
        floor = since(self.cursor, month_start)
        fresh = []
        for row in rows:
            if row.event.ts < floor or row.request_id in self.seen:
                continue
            self.seen[row.request_id] = row.event.ts
            fresh.append(row.event)
        if fresh:
            self.cursor = max(self.cursor or 0.0, *(e.ts for e in fresh))
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


def since(cursor: float | None, month_start: float) -> float:
    """Where a feed's next read starts: LOOKBACK behind its cursor, or the month's start."""
    return month_start if cursor is None else cursor - LOOKBACK
