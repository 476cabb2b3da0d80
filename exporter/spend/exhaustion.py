"""When credit runs out: each key's (and each budget's) spend as the exporter read it over the
last 24 hours, and the moment its remaining credit is gone at that rate.

The rate is measured, not reported: the exporter's own successive readings of the key's usage
(a reading at most every READING_EVERY seconds), from the oldest kept reading to the newest.
Nothing is said before an hour of readings, without spend in them, or without a limit. A
reading lower than the last (the vendor reset the period's usage) starts the readings again.
They are saved in state_dir/exhaustion.json, so a restart does not wait another hour.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from decimal import Decimal
from typing import Any

from exporter import statefile

log = logging.getLogger(__name__)

STATE_FILE = "exhaustion.json"
STATE_VERSION = 1
WINDOW = 86400.0  # readings older than a day are dropped
MIN_SPAN = 3600.0  # no rate from less than an hour of readings
READING_EVERY = 300.0  # one reading kept per five minutes: 288 a day per key


class Readings:
    """Not thread-safe: the spend job holds its lock around every call."""

    def __init__(self, state_dir: str | None = None) -> None:
        self._series: dict[tuple[str, ...], list[tuple[float, float]]] = {}
        self._state = statefile.StateFile(state_dir, STATE_FILE, STATE_VERSION)
        self._series = self._state.restore(_restore) or {}
        self._dirty = False  # a reading was added or dropped since the last save

    def read(self, key: tuple[str, ...], now: float, used: Decimal) -> None:
        """Today's reading of how much of `key`'s limit is used."""
        value = float(used)
        series = self._series.setdefault(key, [])
        if series and value < series[-1][1]:
            series.clear()  # the vendor reset the period: the rate starts again from here
            self._dirty = True
        if len(series) >= 2 and now - series[-2][0] < READING_EVERY:
            series[-1] = (now, value)  # the newest moves on until it is READING_EVERY past the one before
        else:
            series.append((now, value))
            self._dirty = True
        while series and series[0][0] < now - WINDOW:
            series.pop(0)

    def forget(self, keep: Iterable[tuple[str, ...]]) -> None:
        """Drops the readings of keys no longer reported."""
        wanted = set(keep)
        for key in [k for k in self._series if k not in wanted]:
            del self._series[key]
            self._dirty = True

    def runs_out(self, key: tuple[str, ...], remaining: Decimal | None, now: float) -> float | None:
        """When `remaining` is spent at the measured rate; None without a rate or a limit."""
        series = self._series.get(key)
        if remaining is None or not series or series[-1][0] - series[0][0] < MIN_SPAN:
            return None
        spent = series[-1][1] - series[0][1]
        if spent <= 0:
            return None
        rate = spent / (series[-1][0] - series[0][0])
        return now + max(0.0, float(remaining)) / rate

    def save(self) -> None:
        """Writes the readings when one was added or dropped (every READING_EVERY at most)."""
        if not self._dirty:
            return
        self._dirty = False
        self._state.save({"series": [[list(k), [[t, v] for t, v in s]] for k, s in self._series.items()]})


def _restore(doc: dict[str, Any]) -> dict[tuple[str, ...], list[tuple[float, float]]]:
    out: dict[tuple[str, ...], list[tuple[float, float]]] = {}
    for key, points in doc["series"]:
        if not all(isinstance(part, str) for part in key):
            raise TypeError("a series key that is not strings")
        out[tuple(key)] = [(statefile.number(t), statefile.number(v)) for t, v in points]
    return out


def key_of(*parts: Hashable) -> tuple[str, ...]:
    return tuple(str(p) for p in parts)
