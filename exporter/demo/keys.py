"""The demo's API keys: OpenRouter's /keys and LiteLLM's /key/list and /team/list, as those
vendors answer them. The batch key has used over 80% of its limit and expires in 5 days, so
LLMKeyCreditLow and LLMKeyExpiringSoon have something to say; its usage grows, so the
exhaustion date appears once the exporter has read it for an hour."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

INT64_MAX = 2**63 - 1  # LiteLLM's way of writing "no budget" on some keys
OPENROUTER_PAGE = 2  # OpenRouter's page size is undocumented: the demo pages by two
BATCH_SPEND_PER_HOUR = 0.25


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _openrouter_key(name: str, label: str, limit: float | None, used: float, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "hash": f"{abs(hash(label)) % 10**16:064x}", "disabled": False,
            "limit": limit, "limit_remaining": None if limit is None else round(limit - used, 4),
            "limit_reset": "monthly" if limit is not None else None, "include_byok_in_limit": False,
            "usage": round(used, 4), "usage_daily": round(used / 20, 4), "usage_weekly": round(used / 4, 4),
            "usage_monthly": round(used, 4), "byok_usage": 0, "byok_usage_daily": 0, "byok_usage_weekly": 0,
            "byok_usage_monthly": 0, "created_at": "2026-01-05T10:00:00Z", "updated_at": None, "expires_at": None,
            "creator_user_id": None, "workspace_id": "demo-workspace", **extra}


def openrouter_keys(now: float, elapsed: float, offset: int) -> dict[str, Any]:
    keys = [
        _openrouter_key("production", "sk-or-v1-a1b...9f2c", 100.0, 34.0 + elapsed * 0.002),
        _openrouter_key("batch-jobs", "sk-or-v1-7c4...01ad", 50.0, 41.0 + elapsed * BATCH_SPEND_PER_HOUR / 3600,
                        expires_at=_iso(now + 5 * 86400)),
        _openrouter_key("ci", "sk-or-v1-e90...5b11", None, 3.1),
        _openrouter_key("", "sk-or-v1-0ff...d1e5", 10.0, 10.0, disabled=True),  # no name: its label
    ]
    return {"data": keys[offset: offset + OPENROUTER_PAGE]}


def litellm_key_list(q: dict[str, list[str]]) -> tuple[int, Any]:
    page, size = int(q.get("page", ["1"])[0]), int(q.get("size", ["10"])[0])
    keys: list[dict[str, Any]]
    if not 1 <= size <= 100:
        return 422, {"detail": [{"type": "less_than_equal", "loc": ["query", "size"]}]}
    keys = [
        {"token": "1" * 64, "key_name": "sk-...Q2Xa", "key_alias": "prod-backend", "spend": 37.5, "max_budget": 200.0,
         "budget_duration": "30d", "budget_reset_at": "2026-12-31T00:00:00+00:00", "expires": None, "blocked": None,
         "team_id": "team-1"},
        {"token": "2" * 64, "key_name": "sk-...L9pe", "key_alias": "research", "spend": 4.2, "max_budget": INT64_MAX,
         "budget_duration": None, "budget_reset_at": None, "expires": "2027-06-30T00:00:00+00:00", "blocked": False,
         "team_id": "team-1"},
        {"token": "3" * 64, "key_name": "sk-...0Rz7", "key_alias": None, "spend": 0.0, "max_budget": None,
         "budget_duration": None, "budget_reset_at": None, "expires": None, "blocked": True, "team_id": None},
    ]
    full = q.get("return_full_object", ["false"])[0] == "true"
    rows = keys[(page - 1) * size: page * size]
    return 200, {"keys": rows if full else [k["token"] for k in rows], "total_count": len(keys),
                 "current_page": page, "total_pages": -(-len(keys) // size)}


def litellm_team_list() -> list[dict[str, Any]]:
    return [{"team_alias": "data-science", "team_id": "team-1", "max_budget": 500.0, "spend": 120.4,
             "budget_duration": "30d", "budget_reset_at": "2026-12-31T00:00:00Z", "blocked": False, "keys": []}]
