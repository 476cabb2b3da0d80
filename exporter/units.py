"""Unit conversions for time and sizes; money lives in money.py."""

from __future__ import annotations

import math
from datetime import datetime


def number(value: object) -> float | None:
    """A finite float from a number or a numeric string; None for anything else.

    Vendors send numbers as strings often enough that every adapter needs this.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def integer(value: object) -> int | None:
    result = number(value)
    return int(result) if result is not None else None


def ms_to_seconds(value: object) -> float | None:
    result = number(value)
    return result / 1000.0 if result is not None else None


def epoch_ms_to_seconds(value: object) -> float | None:
    return ms_to_seconds(value)


def iso_to_epoch_seconds(value: object) -> float | None:
    """An RFC 3339 timestamp as unix seconds; None when absent or unparseable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
