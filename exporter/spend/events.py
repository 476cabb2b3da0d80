"""Usage events: one line of the ledger an application writes per LLM call, read alone,
whatever it holds. A line that is not an event is a BadEvent saying why."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from exporter import money, units
from exporter.snapshot import Event  # the event itself; here: reading one from a ledger line

DEFAULT_TASK = "default"
MAX_LABEL = 200


class BadEvent(ValueError):
    pass


def _label(doc: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise BadEvent(f"{key} must be a non-empty string")
    return value.strip()[:MAX_LABEL]


def _count(doc: Mapping[str, Any], key: str) -> int:
    value = doc.get(key, 0)
    number = units.number(value) if not isinstance(value, bool) else None
    if number is None or number < 0 or number != int(number):
        raise BadEvent(f"{key} must be a whole number of tokens, got {value!r}")
    return int(number)


def parse_event(raw: bytes, now: float | None = None) -> Event:
    """One ledger line as an event, or BadEvent saying why not. Whatever the line holds
    (numbers no float holds, nesting deep enough to exhaust the parser), it ends here. With
    `now`, an event dated more than units.FUTURE_SKEW after it is not a fact either."""
    try:
        event = _parse_event(raw)
    except BadEvent:
        raise
    except units.OutOfRange as exc:
        raise BadEvent(f"a number out of range ({exc})") from None
    except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:
        raise BadEvent(f"unusable ({type(exc).__name__}: {str(exc)[:100]})") from None
    if now is not None and event.ts > now + units.FUTURE_SKEW:
        raise BadEvent(f"ts {event.ts:.0f} is in the future")
    return event


def _parse_event(raw: bytes) -> Event:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadEvent(f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise BadEvent("not a JSON object")
    ts_raw = doc.get("ts")
    ts = units.iso_to_epoch_seconds(ts_raw) if isinstance(ts_raw, str) else units.timestamp(units.number(ts_raw))
    if ts is None:
        raise BadEvent(f"ts must be RFC 3339 or unix seconds, got {ts_raw!r}")
    cost = None
    if doc.get("cost_usd") is not None:
        cost = money.amount(doc["cost_usd"])
        if cost is None or cost < 0 or isinstance(doc["cost_usd"], bool):
            raise BadEvent(f"cost_usd must be a number of USD, got {doc['cost_usd']!r}")
    success = doc.get("success", True)
    if not isinstance(success, bool):
        raise BadEvent(f"success must be true or false, got {success!r}")
    status = doc.get("status")
    if status is not None:  # the live-traffic field wins over `success` where both are given
        if status not in ("success", "failure"):
            raise BadEvent(f"status must be success or failure, got {status!r}")
        success = status == "success"
    duration = _seconds(doc, "duration_seconds", 1.0)
    if duration is None:
        duration = _seconds(doc, "duration_ms", 0.001)
    cache_hit = doc.get("cache_hit")
    if cache_hit is not None and not isinstance(cache_hit, bool):
        raise BadEvent(f"cache_hit must be true or false, got {cache_hit!r}")
    model = _label(doc, "model")
    requested = _label(doc, "requested_model") if doc.get("requested_model") is not None else None
    return Event(
        ts=ts, provider=_label(doc, "provider"), model=model, task=_label(doc, "task", DEFAULT_TASK),
        input_tokens=_count(doc, "input_tokens"), output_tokens=_count(doc, "output_tokens"),
        cache_read_tokens=_count(doc, "cache_read_tokens"), cost_usd=cost, success=success,
        duration_seconds=duration, ttft_seconds=_seconds(doc, "ttft_ms", 0.001), cache_hit=cache_hit,
        # for a ledger line, a substitution is a requested model other than the one that answered
        requested_model=requested if requested != model else None, served_model=model if requested else None,
    )


def _seconds(doc: Mapping[str, Any], key: str, scale: float) -> float | None:
    """An optional duration in the key's unit (seconds or milliseconds), as seconds."""
    if doc.get(key) is None:
        return None
    value = units.number(doc[key]) if not isinstance(doc[key], bool) else None
    seconds = units.duration(round(value * scale, 6)) if value is not None else None
    if seconds is None:
        raise BadEvent(f"{key} must be a number, got {doc[key]!r}")
    return seconds


