"""What the JSON endpoints share: reading a query string strictly (an unknown or repeated
parameter is a 400, never ignored) and the BadRequest the app answers as 400 with a JSON error."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs


class BadRequest(Exception):
    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.document = {"error": message, **extra}


def usd(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def parse_query(query_string: str, known: tuple[str, ...]) -> dict[str, list[str]]:
    query = parse_qs(query_string, keep_blank_values=True)
    unknown = sorted(set(query) - set(known))
    if unknown:
        raise BadRequest(f"unknown parameter {unknown[0]!r}", parameters=list(known))
    return query


def one(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(f"{name} is given {len(values)} times; give it once")
    return values[0]


def integer(query: Mapping[str, list[str]], name: str, default: int, low: int, high: int | None = None) -> int:
    raw = one(query, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"{name} must be {bounds}, got {value}")
    return value




def choice(query: Mapping[str, list[str]], name: str, allowed: tuple[str, ...]) -> str:
    value = one(query, name) or allowed[0]
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value
