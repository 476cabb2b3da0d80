"""Unit conversions for time and sizes, and the sane range of every number a vendor sends;
money lives in money.py."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

# No count, size, duration or timestamp (even in milliseconds) that a real answer holds is
# larger. A bigger number is garbage, and one that cannot even be a float (1.7e308 tokens, a
# 400-digit integer, NaN) would break the arithmetic and the exposition downstream.
MAX_MAGNITUDE = 1e15
# How far a vendor's clock may run ahead of ours: a call, an event or a cursor dated later than
# now plus this is not a fact but a wrong clock (a replica an hour fast) or garbage (9999-12-31).
FUTURE_SKEW = 300.0
# Every time a vendor sends lies in this window: outside it is garbage (a retirement in year 1,
# a reset 1e308 seconds away), never a fact to export.
EARLIEST = 946_684_800.0  # 2000-01-01T00:00:00Z
LATEST = 7_258_118_400.0  # 2200-01-01T00:00:00Z


class OutOfRange(ValueError):
    """A number no real answer holds: the item that carries it is rejected."""


def number(value: object) -> float | None:
    """A float from a number or a numeric string; None for anything that is not a number.
    Raises OutOfRange for NaN, infinities and magnitudes over MAX_MAGNITUDE.

    Vendors send numbers as strings often enough that every adapter needs this.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) and abs(value) > MAX_MAGNITUDE:  # before float(), which may overflow
        raise OutOfRange(f"{str(value)[:40]} is out of range")
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(result) or abs(result) > MAX_MAGNITUDE:
        raise OutOfRange(f"{str(value)[:40]} is out of range")
    return result


def integer(value: object) -> int | None:
    result = number(value)
    return int(result) if result is not None else None


# -- values that cannot be true ------------------------------------------------------------------
# Every parser checks what it reads here, so "a ratio is 0-1, a duration, price, spend or token
# count is not negative, a time lies between 2000 and 2200" is written once. What fails is the
# item's invalid_response (Source.each counts and logs it), never a sample.
def count(value: object, what: str) -> int:
    """A count a vendor must send (tokens, requests): a whole number, not negative."""
    result = number(value)
    if result is None or result != int(result):
        raise ValueError(f"{what} is not a count: {str(value)[:40]!r}")
    if result < 0:
        raise OutOfRange(f"{what} is negative: {str(value)[:40]}")
    return int(result)


def optional_count(value: object, what: str) -> int | None:
    """A count a vendor may leave out, or send as something else ("about 128000"): None then,
    as an unknown; a negative one is OutOfRange."""
    result = number(value)
    if result is None:
        return None
    if result < 0:
        raise OutOfRange(f"{what} is negative: {str(value)[:40]}")
    return int(result)


def non_negative(value: float | None, what: str) -> float | None:
    """A duration, rate or amount that cannot be below zero."""
    if value is not None and value < 0:
        raise OutOfRange(f"{what} is negative: {value:g}")
    return value


def duration(seconds: float | None) -> float | None:
    return non_negative(seconds, "a duration")


def ratio(value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise OutOfRange(f"a ratio of {value:g} is outside 0-1")
    return value


def timestamp(ts: float | None) -> float | None:
    """Unix seconds between 2000 and 2200, else OutOfRange."""
    if ts is not None and not EARLIEST <= ts <= LATEST:
        raise OutOfRange(f"a time of {ts:g} is outside 2000-2200")
    return ts


def label(value: object, what: str) -> str:
    """A label value from a vendor: a non-empty string, else the item is rejected."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is not a string: {str(value)[:40]!r}")
    return value


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object, *, zero: bool = False) -> float | None:
    """Seconds from `30s`, `5m`, `1h`, `1m30s`, `250ms` or a plain number; None if invalid.
    Also reads Go's duration strings as OpenAI's rate-limit headers send them (`2m59.56s`,
    `6m0s`, `66ms`); zero=True accepts a duration of 0 (a limit that has just reset)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            parts = _DURATION.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                return None
            seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    else:
        return None
    return seconds if math.isfinite(seconds) and (seconds > 0 or (zero and seconds == 0)) else None


def _divided(value: object, by: int) -> float | None:
    # In decimal, from the number as written: 99.62 percent is 0.9962, not 0.9962000000000001.
    result = number(value)
    return float(Decimal(repr(result)) / by) if result is not None else None


def ms_to_seconds(value: object) -> float | None:
    """A duration in milliseconds as seconds; a negative one is OutOfRange."""
    return duration(_divided(value, 1000))


def percent_to_ratio(value: object) -> float | None:
    """A percentage (0-100) as a ratio (0-1); 150 % is OutOfRange."""
    return ratio(_divided(value, 100))


def epoch_ms_to_seconds(value: object) -> float | None:
    return timestamp(_divided(value, 1000))


def iso_to_epoch_seconds(value: object) -> float | None:
    """An RFC 3339 timestamp, or an ISO 8601 date (`2026-05-07`: its 00:00 UTC), as unix
    seconds; None when absent or unparseable, OutOfRange outside 2000-2200. A time without an
    offset is UTC, never the machine's local time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return timestamp(parsed.timestamp())


# -- the calendar: UTC days, weeks and months, as vendors bill -------------------------------
def day_start(ts: float) -> int:
    return int(ts // 86400 * 86400)


def window_start(window: str, now: float) -> float:
    """day: today; week: since Monday; month: since the 1st; all UTC, as vendors bill."""
    t = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if window == "week":
        t -= timedelta(days=t.weekday())
    elif window == "month":
        t = t.replace(day=1)
    return t.timestamp()
