"""LiteLLM's spend logs (`GET /spend/logs?start_date=&end_date=`): one row per call the proxy
made, read into usage rows that the spend job counts exactly once (spend/feeds.py).

Only what the usage families need is read. `user`, `end_user`, `api_key` (a hash of the
caller's key), `team_id` and `metadata` are never read: they are unbounded or sensitive, and
none of them may become a label or reach a log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from exporter import money, units
from exporter.snapshot import Event, UsageRow

UNTAGGED = "untagged"
MAX_LABEL = 200


def query(since: float, now: float) -> dict[str, str]:
    """The dates to ask for: from the day of `since` to tomorrow, since LiteLLM compares the
    calls' start with the dates at 00:00 UTC (an end_date of today would leave today out)."""
    def day(ts: float) -> str:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")

    return {"start_date": day(since), "end_date": day(now + timedelta(days=1).total_seconds())}


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value.strip()[:MAX_LABEL] if isinstance(value, str) and value.strip() else None


def _tokens(item: Mapping[str, Any], key: str) -> int:
    value = units.number(item.get(key))
    if value is None or value < 0 or value != int(value):
        raise ValueError(f"{key} is not a token count")
    return int(value)


def parse_row(item: Mapping[str, Any], providers: Mapping[str, str], source: str) -> UsageRow:
    """One spend-log row. `providers` maps a model group to the litellm_provider that the
    proxy's /model/info gives for it; the row's own custom_llm_provider wins over it."""
    request_id = _text(item, "request_id")
    if request_id is None:
        raise ValueError("a row without a request_id")  # e.g. an aggregate, not a call
    start = units.iso_to_epoch_seconds(item.get("startTime"))
    if start is None:
        raise ValueError("startTime is not a time")
    end = units.iso_to_epoch_seconds(item.get("endTime"))
    model = _text(item, "model_group") or _text(item, "model")
    if model is None:
        raise ValueError("a row without a model")
    tags = item.get("request_tags")
    task = next((t.strip()[:MAX_LABEL] for t in tags if isinstance(t, str) and t.strip()), UNTAGGED) \
        if isinstance(tags, list) else UNTAGGED
    spend = money.amount(item.get("spend"))
    if spend is not None and spend < 0:
        raise ValueError("a negative spend")
    return UsageRow(request_id, Event(
        ts=start,
        provider=_text(item, "custom_llm_provider") or providers.get(model) or source,
        model=model,
        task=task,
        input_tokens=_tokens(item, "prompt_tokens"),
        output_tokens=_tokens(item, "completion_tokens"),
        cost_usd=spend,
        success=item.get("status") != "failure",
        # LiteLLM writes milliseconds; rounded, so 1.2 s is not 1.2000000476837158 (two
        # epoch times subtracted)
        duration_seconds=round(max(0.0, end - start), 3) if end is not None else None,
    ))


def model_providers(items: list[Any]) -> dict[str, str]:
    """model group -> litellm_provider, from /model/info's rows."""
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        info = item.get("model_info")
        name, provider = item.get("model_name"), info.get("litellm_provider") if isinstance(info, dict) else None
        if isinstance(name, str) and isinstance(provider, str) and provider:
            out.setdefault(name, provider[:MAX_LABEL])
    return out
