"""The one fake clock: the engine, the spend job and the probe book take a clock, and tests pin
it here, so nothing they check depends on when the suite runs."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z: the fixed "now" most unit tests run at


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    """Unix seconds of a UTC calendar time: tests name instants the way people read them."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


class Clock:
    """Unix seconds that move only when a test moves them (clock.now += 60)."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
