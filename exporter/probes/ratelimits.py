"""Rate-limit headroom from the headers of a probe's answer: the chat calls spend the same
limits as production traffic, and vendors say on every answer how much is left.

- OpenAI-compatible: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, the reset a Go
  duration (`2m59.56s`, `6m0s`, `66ms`, `1s`) from the time of the answer.
- OpenRouter: `X-RateLimit-{Limit,Remaining,Reset}` with no suffix, only on its own 429s
  (free-model caps), the reset in epoch milliseconds (`1779321600000`): read as kind
  `requests`. A reset that is an epoch, in seconds or milliseconds, is that time, wherever it
  appears; a smaller number is seconds from now.
- Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`,
  the reset an RFC 3339 instant.

"No limit" is not a number to export: Azure OpenAI sends `-1`, others int64 max or an
infinity; such a kind has no sample at all (its reset included) and no warning. A header that
cannot be read, or whose value is out of range (a negative count other than -1, a reset
before 2000 or after 2200), is skipped and named in `malformed` for the book to log once per
source and header. Nothing here raises: the headers never change a probe's result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from exporter import units

KINDS = ("requests", "tokens", "input_tokens", "output_tokens")
FIELDS = ("limit", "remaining", "reset")
NO_LIMIT = -1.0  # Azure OpenAI: no limit reported for this kind
# A count over this is a marker for "unlimited" (int64 max, 1e309), never a real count.
UNLIMITED_OVER = units.MAX_MAGNITUDE
EPOCH_MS_FROM = 1e12  # a reset this large is epoch milliseconds (2001 on)
EPOCH_S_FROM = 1e9  # ... this large, epoch seconds (2001 on); smaller: seconds from now


@dataclass(frozen=True, slots=True)
class RateLimit:
    kind: str  # one of KINDS
    limit: float | None = None
    remaining: float | None = None
    reset_at: float | None = None  # unix seconds


class _Unlimited(Exception):
    """The header says the kind has no limit."""


def _count(raw: str) -> float | None:
    """A limit or remaining count; None when unreadable or negative (other than -1)."""
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    if value == NO_LIMIT or value > UNLIMITED_OVER:  # +inf included
        raise _Unlimited
    if math.isnan(value) or value < 0 or value != int(value):
        return None
    return value


def _reset(raw: str, now: float, rfc3339: bool) -> float | None:
    """Unix seconds of the reset; None when unreadable or outside 2000-2200."""
    text = raw.strip()
    try:
        if rfc3339:
            return units.iso_to_epoch_seconds(text)
        try:
            value = float(text)
        except ValueError:
            seconds = units.parse_duration(text, zero=True)  # Go's 2m59.56s
            return None if seconds is None else units.timestamp(now + seconds)
        if not math.isfinite(value) or value < 0:
            return None
        if value >= EPOCH_MS_FROM:
            return units.timestamp(value / 1000)
        if value >= EPOCH_S_FROM:
            return units.timestamp(value)
        return units.timestamp(now + value)
    except units.OutOfRange:
        return None


def _field(name: str) -> tuple[str, str, bool] | None:
    """(kind, field, reset is RFC 3339) for a rate-limit header name, else None."""
    if name.startswith("x-ratelimit-"):
        field, _, kind = name.removeprefix("x-ratelimit-").partition("-")
        kind = kind or "requests"  # OpenRouter's unsuffixed headers count requests
        if kind in ("requests", "tokens") and field in FIELDS:
            return kind, field, False
    elif name.startswith("anthropic-ratelimit-"):
        kind, _, field = name.removeprefix("anthropic-ratelimit-").rpartition("-")
        kind = kind.replace("-", "_")
        if kind in KINDS and field in FIELDS:
            return kind, field, True
    return None


def read(headers: Mapping[str, str], now: float) -> tuple[tuple[RateLimit, ...], tuple[str, ...]]:
    """The limits the headers (lower-cased names) carry, and the names of headers whose values
    could not be read (skipped)."""
    found: dict[str, dict[str, float]] = {}
    unlimited: set[str] = set()
    malformed: list[str] = []
    for name, raw in headers.items():
        parsed = _field(name)
        if parsed is None:
            continue
        kind, field, rfc3339 = parsed
        try:
            value = _reset(raw, now, rfc3339) if field == "reset" else _count(raw)
        except _Unlimited:
            unlimited.add(kind)
            continue
        if value is None:
            malformed.append(name)
        else:
            found.setdefault(kind, {})[field] = value
    limits = tuple(RateLimit(kind, f.get("limit"), f.get("remaining"), f.get("reset"))
                   for kind in KINDS if (f := found.get(kind)) and kind not in unlimited)
    return limits, tuple(sorted(malformed))
