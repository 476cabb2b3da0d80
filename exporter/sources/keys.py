"""API keys and teams as vendors list them (OpenRouter's /keys, LiteLLM's /key/list and
/team/list): what both share. A key is named by what the vendor shows for it, never by the key
or its hash; a budget that is absent, a sentinel (LiteLLM writes int64 max) or not a finite
amount is no limit rather than a number; and the list is capped at limits.max_keys, the rest
left out and counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from exporter import money, units
from exporter.snapshot import ApiKey

FOLDED_FAMILY = "llm_key"  # keys over limits.max_keys, in llm_exporter_series_folded_total
MAX_NAME = 200
NO_BUDGET_FROM = Decimal(2**53)  # int64 max, float max and the like: vendors' way to say "no budget"


def name(*candidates: object) -> str | None:
    """The first non-empty text among what the vendor shows for a key (its name, alias, label)."""
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_NAME]
    return None


def budget(value: object) -> Decimal | None:
    """A key's or team's limit in USD; None for none: absent, a sentinel or not finite."""
    try:
        amount = money.amount(value)
    except units.OutOfRange:  # int64 max and its kin: past any amount a budget is given in
        return None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= NO_BUDGET_FROM:
        return None
    return amount


def bounded(keys: Iterable[ApiKey], max_keys: int) -> tuple[tuple[ApiKey, ...], int]:
    """The first max_keys keys in the vendor's order, each name unique within its kind (a second
    key of the same name gets " #2"), and how many were left out."""
    kept: list[ApiKey] = []
    seen: Counter[tuple[str, str]] = Counter()
    dropped = 0
    for key in keys:
        if len(kept) >= max_keys:
            dropped += 1
            continue
        seen[(key.kind, key.name)] += 1
        count = seen[(key.kind, key.name)]
        if count > 1:
            key = replace(key, name=f"{key.name} #{count}")
        kept.append(key)
    return tuple(kept), dropped
