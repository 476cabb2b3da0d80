"""Rate-limit headroom from the headers of a probe's answer: the chat calls spend the same
limits as production traffic, and vendors say on every answer how much is left.

- OpenAI-compatible: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, the reset a Go
  duration (`2m59.56s`, `6m0s`, `66ms`, `1s`) from the time of the answer.
- Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`,
  the reset an RFC 3339 instant.

OpenRouter sends them only with a 429; a vendor that sends none has no series.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from exporter import units

KINDS = ("requests", "tokens", "input_tokens", "output_tokens")


@dataclass(frozen=True, slots=True)
class RateLimit:
    kind: str  # one of KINDS
    limit: float | None = None
    remaining: float | None = None
    reset_at: float | None = None  # unix seconds


def _count(value: str) -> float | None:
    result = units.number(value.strip())
    return result if result is not None and result >= 0 else None


def read(headers: Mapping[str, str], now: float) -> tuple[tuple[RateLimit, ...], tuple[str, ...]]:
    """The limits the headers (lower-cased names) carry, and the names of headers whose values
    could not be read (skipped)."""
    found: dict[str, dict[str, float]] = {}
    malformed: list[str] = []

    def take(kind: str, field: str, name: str, value: float | None) -> None:
        if value is None:
            malformed.append(name)
        else:
            found.setdefault(kind, {})[field] = value

    for name, raw in headers.items():
        if name.startswith("x-ratelimit-"):
            field, _, kind = name.removeprefix("x-ratelimit-").partition("-")
            if kind not in ("requests", "tokens") or field not in ("limit", "remaining", "reset"):
                continue
            if field == "reset":
                seconds = units.parse_duration(raw.strip(), zero=True)
                take(kind, field, name, None if seconds is None else now + seconds)
            else:
                take(kind, field, name, _count(raw))
        elif name.startswith("anthropic-ratelimit-"):
            rest = name.removeprefix("anthropic-ratelimit-")
            kind, _, field = rest.rpartition("-")
            kind = kind.replace("-", "_")
            if kind not in KINDS or field not in ("limit", "remaining", "reset"):
                continue
            take(kind, field, name, units.iso_to_epoch_seconds(raw) if field == "reset" else _count(raw))
    limits = tuple(RateLimit(kind, f.get("limit"), f.get("remaining"), f.get("reset"))
                   for kind in KINDS if (f := found.get(kind)))
    return limits, tuple(sorted(malformed))
