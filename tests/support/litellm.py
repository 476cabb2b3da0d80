"""A fake LiteLLM proxy whose spend-log endpoints answer as LiteLLM's own code does, read from
the 1.110.2 wheel (litellm/proxy/spend_tracking/spend_management_endpoints.py):

- `/spend/logs/v2` (1.80.8 and later): start_date and end_date required (`YYYY-MM-DD HH:MM:SS`
  or `YYYY-MM-DD`, UTC, both ends inclusive), `page` from 1, `page_size` 50 by default and at
  most 1000 (100 before 1.90: 422 above), `sort_by` startTime and `sort_order` desc by default;
  `total` counts at most 10,000 (`total_is_capped`, from 1.93 on), `total_pages` follows the
  capped total; light columns only, `request_tags` a JSON-encoded string, `cache_hit` a string.
- `/spend/logs` (deprecated): dates only, each at 00:00 UTC; `summarize` true by default,
  giving daily totals (key hashes as top-level keys, days padded with zeros up to end_date);
  proxies from before mid-2025 (1.72) aggregate a date range whatever is asked. Rows newest
  first, whole (with the prompt and the response), at most the 10,000 newest, which only the
  `x-litellm-spend-logs-truncated: true` header says.

Calls are kept as LiteLLM stores them; tests add them as time goes by.
"""

from __future__ import annotations

import json
import math
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.clock import Clock
from tests.support.engines import engine, metrics
from tests.support.fakeserver import FakeServer, Reply, json_reply
from tests.support.metrics import Parsed, samples

# The proxy's master key, made for this run: no key is committed.
MASTER_KEY = secrets.token_hex(16)
CAP = 10_000
V2_SINCE = (1, 80, 8)
SUMMARIZE_SINCE = (1, 72, 0)
CAPPED_FLAG_SINCE = (1, 93, 0)
LARGE_PAGES_SINCE = (1, 90, 0)
PROXY_MODELS = [
    {"model_name": "gpt-4", "litellm_params": {"model": "azure/gpt-4-prod"},
     "model_info": {"litellm_provider": "azure", "mode": "chat"}},
    {"model_name": "claude-sonnet", "litellm_params": {"model": "anthropic/claude-sonnet-4-5"},
     "model_info": {"litellm_provider": "anthropic", "mode": "chat"}},
]


def iso(ts: float) -> str:
    """LiteLLM's raw-query timestamps: milliseconds and +00:00."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


@dataclass
class Call:
    request_id: str
    start: float
    model_group: str = "gpt-4"
    model: str = ""  # the deployment that answered; the group's own name when empty
    provider: str = ""  # custom_llm_provider; LiteLLM leaves it empty for some call types
    tags: list[str] = field(default_factory=list)
    status: str = "success"
    prompt_tokens: int = 10
    completion_tokens: int = 18
    spend: float = 0.00123
    duration: float = 1.2
    ttft: float | None = None  # streamed calls: seconds to the first chunk
    cache_hit: bool = False
    api_key: str = "0" * 64  # the hash of the caller's key: must never reach an output
    prompt: str = "Summarize this document."

    def row(self, whole: bool) -> dict[str, Any]:
        end = self.start + self.duration
        first = self.start + self.ttft if self.ttft is not None else end
        out: dict[str, Any] = {
            "request_id": self.request_id, "call_type": "acompletion", "api_key": self.api_key,
            "spend": self.spend, "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "startTime": iso(self.start), "endTime": iso(end), "completionStartTime": iso(first),
            "model": self.model or self.model_group, "model_id": "f" * 64, "model_group": self.model_group,
            "custom_llm_provider": self.provider, "api_base": "https://api.example.invalid/v1/",
            "user": "palantir-user", "metadata": {"user_api_key_alias": "prod-backend", "status": self.status},
            "cache_hit": str(self.cache_hit), "cache_key": "Cache OFF",
            # Every call gets LiteLLM's User-Agent tags after the caller's own.
            "request_tags": [*self.tags, "User-Agent: OpenAI", "User-Agent: OpenAI/Python 1.99.9"],
            "team_id": "", "organization_id": "", "end_user": "palantir", "requester_ip_address": "",
            "session_id": None, "status": self.status, "request_duration_ms": round(self.duration * 1000),
        }
        if whole:  # the deprecated path's ORM rows carry the heavy columns too
            out["messages"] = [{"role": "user", "content": self.prompt}]
            out["response"] = {"choices": [{"message": {"content": "A summary. " * 40}}]}
            out["proxy_server_request"] = {"model": self.model_group, "messages": out["messages"]}
        else:  # query_raw returns JSON columns as text; only metadata is hydrated again
            out["request_tags"] = json.dumps(out["request_tags"])
        return out


class FakeLiteLLM:
    """Serves readiness, /model/info and the spend logs of `calls` under `prefix`."""

    def __init__(self, fake: FakeServer, prefix: str = "/proxy", version: tuple[int, int, int] = (1, 110, 2)):
        self.fake, self.prefix, self.version = fake, prefix, version
        self.calls: list[Call] = []
        self.models: list[dict[str, Any]] = PROXY_MODELS
        # /key/list's and /team/list's rows, as LiteLLM keeps them (token is the key's hash)
        self.keys: list[dict[str, Any]] = []
        self.teams: list[dict[str, Any]] = []
        routes: dict[str, Callable[[dict[str, list[str]]], Reply]] = {
            "/health/readiness": lambda q: json_reply({"status": "healthy", "db": "connected"}),
            "/model/info": lambda q: json_reply({"data": self.models}),
            "/spend/logs": self._legacy,
            "/key/list": self._key_list,
            # a bare array sorted by team_alias, not paginated
            "/team/list": lambda q: json_reply(sorted(self.teams, key=lambda t: str(t.get("team_alias") or ""))),
        }
        if version >= V2_SINCE:
            routes["/spend/logs/v2"] = self._v2
        for path, route in routes.items():
            fake.routes[prefix + path] = route

    @property
    def url(self) -> str:
        return self.fake.url + self.prefix

    def config(self, name: str = "proxy", key: str = "", extra: str = "") -> str:
        auth = f", api_key: {key}" if key else ""
        return f"  - {{name: {name}, type: litellm, url: '{self.url}'{auth}, spend_logs: true{extra}}}\n"

    def reads(self, path: str = "/spend/logs/v2") -> list[dict[str, list[str]]]:
        return [s.query for s in self.fake.requests_to(self.prefix + path)]

    # -- /spend/logs/v2 ---------------------------------------------------------------------
    def _v2(self, q: dict[str, list[str]]) -> Reply:
        start, end = _one(q, "start_date"), _one(q, "end_date")
        if start is None or end is None:
            return _error("Start date and end date are required", 400)
        try:
            lo, hi = _moment(start), _moment(end)
            page, size = int(_one(q, "page") or 1), int(_one(q, "page_size") or 50)
        except ValueError as exc:
            return _error(str(exc), 400)
        largest = 1000 if self.version >= LARGE_PAGES_SINCE else 100
        if page < 1 or not 1 <= size <= largest:
            return json_reply({"detail": [{"type": "less_than_equal", "loc": ["query", "page_size"]}]}, 422)
        sort_by, order = _one(q, "sort_by") or "startTime", (_one(q, "sort_order") or "desc").lower()
        if sort_by != "startTime" or order not in ("asc", "desc"):
            return _error(f"Invalid sort: {sort_by} {order}", 400)
        matched = sorted((c for c in self.calls if lo <= c.start <= hi), key=lambda c: c.start,
                         reverse=order == "desc")
        total = min(len(matched), CAP)
        body: dict[str, Any] = {"data": [c.row(False) for c in matched[(page - 1) * size: page * size]],
                                "total": total, "page": page, "page_size": size,
                                "total_pages": math.ceil(total / size)}
        if self.version >= CAPPED_FLAG_SINCE:
            body["total_is_capped"] = len(matched) > CAP
        return json_reply(body)

    # -- /key/list ---------------------------------------------------------------------------------
    def _key_list(self, q: dict[str, list[str]]) -> Reply:
        """Paged (size default 10, at most 100: a larger one is a 422); without
        return_full_object=true each key is only its hash."""
        page, size = int(_one(q, "page") or 1), int(_one(q, "size") or 10)
        if page < 1 or not 1 <= size <= 100:
            return json_reply({"detail": [{"type": "less_than_equal", "loc": ["query", "size"]}]}, 422)
        full = (_one(q, "return_full_object") or "false").lower() == "true"
        rows = self.keys[(page - 1) * size: page * size]
        return json_reply({"keys": rows if full else [r["token"] for r in rows], "total_count": len(self.keys),
                           "current_page": page, "total_pages": math.ceil(len(self.keys) / size)})

    # -- /spend/logs (deprecated) -------------------------------------------------------------
    def _legacy(self, q: dict[str, list[str]]) -> Reply:
        start, end = _one(q, "start_date"), _one(q, "end_date")
        if start is None or end is None:
            return self._rows(self.calls)
        try:
            lo = datetime.strptime(start, "%Y-%m-%d").replace(tzinfo=UTC)
            hi = datetime.strptime(end, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError as exc:
            return _error(f"/spend/logs Error{exc}", 500)
        matched = [c for c in self.calls if lo.timestamp() <= c.start <= hi.timestamp()]
        summarize = (_one(q, "summarize") or "true").lower() not in ("false", "0", "no", "off")
        if summarize or self.version < SUMMARIZE_SINCE:
            return json_reply(_daily(matched, hi))
        return self._rows(matched)

    def _rows(self, calls: list[Call]) -> Reply:
        newest = sorted(calls, key=lambda c: c.start, reverse=True)[:CAP]
        reply = json_reply([c.row(True) for c in newest])
        if len(newest) == CAP:
            reply.headers["x-litellm-spend-logs-truncated"] = "true"
        return reply


def _daily(calls: list[Call], end: datetime) -> list[dict[str, Any]]:
    days: dict[str, list[Call]] = defaultdict(list)
    for c in sorted(calls, key=lambda c: c.start):
        days[datetime.fromtimestamp(c.start, UTC).strftime("%Y-%m-%d")].append(c)
    out: list[dict[str, Any]] = []
    for day, group in days.items():
        item: dict[str, Any] = {}
        for c in group:
            item[c.api_key] = item.get(c.api_key, 0.0) + c.spend
        users: dict[str, float] = defaultdict(float)
        models: dict[str, float] = defaultdict(float)
        for c in group:
            users["palantir-user"] += c.spend
            models[c.model or c.model_group] += c.spend
        out.append({**item, "startTime": day, "spend": sum(c.spend for c in group), "users": dict(users),
                    "models": dict(models)})
    if out:  # days after the last day with calls, up to end_date, read 0
        last = datetime.strptime(out[-1]["startTime"], "%Y-%m-%d").replace(tzinfo=UTC)
        while (last := last + timedelta(days=1)) <= end:
            out.append({"startTime": last.strftime("%Y-%m-%d"), "spend": 0, "users": {}, "models": {}})
    return out


def _one(q: dict[str, list[str]], name: str) -> str | None:
    return q.get(name, [None])[0]


def _moment(text: str) -> float:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise ValueError(f"Invalid date format: {text}. Expected: 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'")


def _error(message: str, status: int) -> Reply:
    return json_reply({"error": {"message": message, "type": "bad_request", "param": None, "code": str(status)}},
                      status)


def restart(proxy: FakeLiteLLM, clock: Clock, state: Path, head: str = "") -> tuple[Parsed, str]:
    """One round (poll, feed read, usage run) of a fresh engine on `state`, as a restart would."""
    e = engine(proxy.config(key=MASTER_KEY), clock, head=f"state_dir: {state}\n{head}", persist=True)
    try:
        e.run_once()
        text = metrics(e)
    finally:
        e.stop()
    return samples(text), text
