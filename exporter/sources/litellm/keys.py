"""Every key and team of the proxy (keys: true), as LiteLLM 1.110 lists them to an admin: GET
/key/list?return_full_object=true (paged: `size` at most 100, follow `total_pages`) and GET
/team/list (one bare array). LiteLLM's `spend` is the current budget period's (it resets every
`budget_duration`, next at `budget_reset_at`); `max_budget` null, int64 max or not finite means
no budget. A key is named by its alias, else its masked name (`sk-...EXA1`, what LiteLLM's UI
shows); its token (the key's hash) is never read into anything exported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exporter import money, units
from exporter.http import Client
from exporter.snapshot import ApiKey
from exporter.sources import keys
from exporter.sources.base import listing

PAGE_SIZE = 100  # /key/list's largest page


def _entry(kind: str, label: str | None, item: dict[str, Any]) -> ApiKey:
    if label is None:
        raise ValueError(f"a {kind} without an alias or a name")
    limit = keys.budget(item.get("max_budget"))
    spend = money.spend(item.get("spend"))
    blocked = item.get("blocked")
    return ApiKey(kind=kind, name=label, limit_usd=limit,
                  usage=(("budget_period", spend),) if spend is not None else (),
                  remaining_usd=limit - spend if limit is not None and spend is not None else None,
                  disabled=blocked is True, expires_at=units.iso_to_epoch_seconds(item.get("expires")),
                  budget_reset_at=units.iso_to_epoch_seconds(item.get("budget_reset_at")))


def parse_key(item: dict[str, Any]) -> ApiKey:
    return _entry("key", keys.name(item.get("key_alias"), item.get("key_name")), item)


def parse_team(item: dict[str, Any]) -> ApiKey:
    return _entry("team", keys.name(item.get("team_alias"), item.get("team_id")), item)


def read_keys(client: Client, url: Callable[[str], str], headers: dict[str, str], max_pages: int,
              each: Callable[..., list[ApiKey]]) -> list[ApiKey]:
    found: list[ApiKey] = []
    for page in range(1, max_pages + 1):
        body = client.get_json("keys", url("/key/list"), headers=headers,
                               params={"return_full_object": "true", "page": page, "size": PAGE_SIZE})
        rows = body.get("keys") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise client.invalid("keys", "expected {keys: [...], total_pages, ...} from /key/list")
        # Without return_full_object a key is only its hash: never read one as a name.
        found += each(client, "keys", [r for r in rows if isinstance(r, dict)], parse_key)
        pages = units.integer(body.get("total_pages"))
        if not rows or pages is None or page >= pages:
            break
    body = client.get_json("teams", url("/team/list"), headers=headers)
    try:
        teams = listing(body)
    except ValueError as exc:
        raise client.invalid("teams", str(exc)) from None
    found += each(client, "teams", [t for t in teams if isinstance(t, dict)], parse_team)
    return found
