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
    return _divided(value, 1000)


def percent_to_ratio(value: object) -> float | None:
    """A percentage (0-100) as a ratio (0-1)."""
    return _divided(value, 100)


def epoch_ms_to_seconds(value: object) -> float | None:
    return ms_to_seconds(value)


def iso_to_epoch_seconds(value: object) -> float | None:
    """An RFC 3339 timestamp, or an ISO 8601 date (`2026-05-07`: its 00:00 UTC), as unix
    seconds; None when absent or unparseable. A time without an offset is UTC, never the
    machine's local time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


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
