"""What the exporter itself saw of each source: its polls and probes that failed for the
vendor's sake (not for a rate limit, an empty account or an old version), over the last five
minutes and as a streak. Status pages that cover the source are judged against it: a failure
streak that began before the page's incident is how early we saw it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from exporter.failures import NOT_OUTAGES, STREAK_GAP

WINDOW = 300.0  # seconds: the five minutes the recording rule's ratio looks at
MAX_RECENT = 1024  # a source polled every second with probes too still fits five minutes
MAX_STREAKS = 4  # enough to find the one an incident declared late belongs to


def counts_as_outage(failed: bool, reason: str | None) -> bool:
    return failed and reason not in NOT_OUTAGES


@dataclass
class Outcomes:
    """Not thread-safe: the engine holds its lock around every call."""

    recent: deque[tuple[float, bool]] = field(default_factory=lambda: deque(maxlen=MAX_RECENT))
    # (first failure, last failure) of the latest streaks, oldest first
    streaks: tuple[tuple[float, float], ...] = ()

    def record(self, at: float, failed: bool) -> None:
        self.recent.append((at, failed))
        if not failed:
            return
        last = self.streaks[-1] if self.streaks else None
        if last is None or at - last[1] > STREAK_GAP:
            self.streaks = (*self.streaks, (at, at))[-MAX_STREAKS:]
        else:
            self.streaks = (*self.streaks[:-1], (last[0], max(last[1], at)))

    def window(self, now: float) -> tuple[int, int]:
        """(calls, failed calls) over the last WINDOW seconds."""
        while self.recent and self.recent[0][0] < now - WINDOW:
            self.recent.popleft()
        return len(self.recent), sum(failed for _, failed in self.recent)
