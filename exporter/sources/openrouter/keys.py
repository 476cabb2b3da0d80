"""Every API key of the account (keys: true): GET /keys with a management key, paged by
`offset`, disabled keys included (`include_disabled=true`; they are left out otherwise). Each
key's limit, usage (total, and today, this week, this month: the windows of llm_spend_usd),
what is left, whether it is disabled, when it expires and how often its limit resets."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from exporter import money, units
from exporter.http import Client
from exporter.snapshot import ApiKey
from exporter.sources import keys

USAGE = {"total": "usage", "day": "usage_daily", "week": "usage_weekly", "month": "usage_monthly"}


def parse_key(item: dict[str, Any]) -> ApiKey:
    # `name` is what the user called it; `label` the masked key OpenRouter's UI shows. The hash
    # (which addresses /keys/{hash}) is never used.
    label = keys.name(item.get("name"), item.get("label"))
    if label is None:
        raise ValueError("a key without a name or a label")
    usage = tuple((window, usd) for window, field in USAGE.items()
                  if (usd := money.spend(item.get(field))) is not None)
    limit = keys.budget(item.get("limit"))
    remaining = money.amount(item.get("limit_remaining")) if limit is not None else None
    reset = item.get("limit_reset")
    return ApiKey(kind="key", name=label, limit_usd=limit, usage=usage, remaining_usd=remaining,
                  disabled=item.get("disabled") is True, expires_at=units.iso_to_epoch_seconds(item.get("expires_at")),
                  limit_reset=reset.strip()[:40] if isinstance(reset, str) and reset.strip() else None)


def read_keys(client: Client, url: Callable[[str], str], headers: dict[str, str], max_pages: int,
              each: Callable[..., list[ApiKey]]) -> list[ApiKey]:
    """Every page of /keys until one comes back empty (the page size is not documented)."""
    found: list[ApiKey] = []
    offset = 0
    for _ in range(max_pages):
        body = client.get_json("keys", url("/keys"), headers=headers,
                               params={"offset": offset, "include_disabled": "true"})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise client.invalid("keys", "expected {data: [...]} from /keys")
        if not data:
            break
        found += each(client, "keys", [i for i in data if isinstance(i, dict)], functools.partial(parse_key))
        offset += len(data)
    return found
