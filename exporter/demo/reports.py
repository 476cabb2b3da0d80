"""What the demo's applications and its vendors' cost reports say: the usage ledger the apps
append to (one line per call, deterministic per minute, with the odd torn or unpriced line),
the spend log of the LiteLLM proxy the other apps call through, OpenRouter's account activity,
and the daily costs and token usage OpenAI's and Anthropic's admin APIs report."""

from __future__ import annotations

import functools
import itertools
import json
import random
from datetime import UTC, datetime
from typing import Any

LEDGER_SLOT = 60  # seconds; each stream calls every `every` slots
LEDGER_BACKFILL_DAYS = 8  # history written at start, so week, month and 7-day views have data
# task, provider, model, every (slots), input tokens, output tokens, cost_usd known to the app
LEDGER_STREAMS = [
    ("coding", "openrouter", "anthropic/claude-sonnet-4", 10, 4000, 800, False),
    ("summarize", "openrouter", "openai/gpt-4o-mini", 5, 3000, 300, True),
    ("research", "openrouter", "deepseek/deepseek-chat-v3", 15, 6000, 1200, False),
]
# The apps that call through the LiteLLM proxy write no ledger: the proxy's spend log has their
# calls (a ledger line as well would count each call twice). task (the request tag), model
# group, every (slots), input tokens, output tokens, USD per input and per output token.
PROXY_STREAMS = [
    ("heartbeat", "claude-sonnet", 1, 500, 50, 3e-06, 1.5e-05),
    ("chat", "gpt-4o", 20, 1500, 400, 2.5e-06, 1e-05),
]
# Every 7th call of a stream reaches the spend log 90 s after it started; the others 1.5 s after.
LATE_EVERY, LATE_BY, WRITTEN_AFTER = 7, 90, 1.5
OPENROUTER_ACTIVITY = [
    # model, permaslug, upstream provider, requests a day, prompt and completion tokens per
    # request, USD per request, share paid through your own provider key (BYOK)
    ("openai/gpt-4o-mini", "openai/gpt-4o-mini-2024-07-18", "OpenAI", 288, 3000, 300, 0.00063, 0.0),
    ("anthropic/claude-sonnet-4", "anthropic/claude-4-sonnet-20250522", "Anthropic", 144, 4000, 800, 0.024, 0.0),
    ("anthropic/claude-sonnet-4", "anthropic/claude-4-sonnet-20250522", "Google", 0, 4000, 800, 0.024, 1.0),
    ("deepseek/deepseek-chat-v3", "deepseek/deepseek-chat-v3-0324", "DeepInfra", 96, 6000, 1200, 0.003, 0.0),
]
# The coding app asks OpenRouter for claude-sonnet-4 with a fallback list: one call in
# APP_FALLBACK_EVERY is answered by the fallback, and the app's ledger line says so
# (requested_model), whatever the date, so even a --once at a month's first second shows it.
APP_ASKED, APP_FALLBACK, APP_FALLBACK_EVERY = "anthropic/claude-sonnet-4", "openai/gpt-4o-mini", 6
DEMO_PRICES = {  # USD per token, for the cost_usd the app itself records
    "openai/gpt-4o-mini": (0.00000015, 0.0000006),
}


def ledger_lines(first_slot: int, last_slot: int) -> list[str]:
    """The ledger lines for slots [first_slot, last_slot): deterministic per slot, so a test
    can ask for any stretch of time and get the same events."""
    lines = []
    for slot in range(first_slot, last_slot):
        ts = slot * LEDGER_SLOT
        rng = random.Random(slot)
        if slot % 997 == 0:
            lines.append(f'{{"ts": {ts}, "provider": "openrouter", "model": "openai/gpt-4o-mi')  # a torn write
        if slot % 500 == 0:
            lines.append(json.dumps({"ts": ts, "provider": "acme", "model": "mystery-model", "task": "chat",
                                     "input_tokens": 100, "output_tokens": 10}))
        for index, (task, provider, model, every, inp, out, priced) in enumerate(LEDGER_STREAMS):
            if (slot + index) % every:
                continue
            event: dict[str, Any] = {
                "ts": datetime.fromtimestamp(ts + index, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "provider": provider, "model": model, "task": task,
                "input_tokens": int(inp * rng.uniform(0.6, 1.4)), "output_tokens": int(out * rng.uniform(0.5, 1.5)),
                "success": rng.random() > 0.03, "duration_seconds": round(rng.uniform(0.4, 3.0) * out / 300, 2),
            }
            if model == APP_ASKED and (slot // every) % APP_FALLBACK_EVERY == APP_FALLBACK_EVERY // 2:
                # the app's OpenRouter fallback list answered with its second choice: it records both
                event.update(model=APP_FALLBACK, requested_model=model)
            if priced:
                pin, pout = DEMO_PRICES[model]
                event["cost_usd"] = round(event["input_tokens"] * pin + event["output_tokens"] * pout, 8)
            # The newer apps also say what their users felt (the live families): every other line.
            if slot % 2:
                event.update(ttft_ms=round(rng.uniform(250, 1800)), cache_hit=rng.random() < 0.05,
                             status="success" if event["success"] else "failure")
            lines.append(json.dumps(event))
    return lines


def daily_cost(day: float, vendor: str) -> float:
    """What a vendor's cost report says a UTC day cost: a steady spend with some wobble."""
    base = {"openai": 4.2, "anthropic": 7.5}[vendor]
    return round(base * random.Random(int(day) + len(vendor)).uniform(0.7, 1.3), 2)


def report_days(now: float) -> list[float]:
    t = datetime.fromtimestamp(now, UTC)
    start = t.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    return [start + i * 86400 for i in range(t.day)]


def openai_costs(now: float) -> dict[str, Any]:
    return {"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": int(day), "end_time": int(day) + 86400, "results": [
            {"object": "organization.costs.result", "amount": {"value": daily_cost(day, "openai"), "currency": "usd"},
             "line_item": None, "project_id": None}]}
        for day in report_days(now)]}


def openai_usage(now: float) -> dict[str, Any]:
    return {"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": int(day), "end_time": int(day) + 86400, "results": [
            {"object": "organization.usage.completions.result", "model": model, "input_tokens": inp,
             "input_cached_tokens": inp // 4, "output_tokens": inp // 5, "num_model_requests": inp // 2000}
            for model, inp in (("gpt-4o-mini-2024-07-18", 900_000), ("gpt-4o-2024-08-06", 120_000))]}
        for day in report_days(now)]}


def anthropic_costs(now: float) -> dict[str, Any]:
    return {"has_more": False, "next_page": None, "data": [
        {"starting_at": datetime.fromtimestamp(day, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "ending_at": datetime.fromtimestamp(day + 86400, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
         # cents, as decimal strings
         "results": [{"amount": f"{daily_cost(day, 'anthropic') * 100:.2f}", "currency": "USD",
                      "cost_type": "tokens", "model": "claude-sonnet-4-5", "token_type": "uncached_input_tokens"}]}
        for day in report_days(now)]}


def anthropic_usage(now: float) -> dict[str, Any]:
    return {"has_more": False, "next_page": None, "data": [
        {"starting_at": datetime.fromtimestamp(day, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "ending_at": datetime.fromtimestamp(day + 86400, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "results": [{"model": "claude-sonnet-4-5", "uncached_input_tokens": 400_000, "cache_read_input_tokens": 90_000,
                      "output_tokens": 80_000, "cache_creation": {"ephemeral_5m_input_tokens": 20_000,
                                                                   "ephemeral_1h_input_tokens": 0}}]}
        for day in report_days(now)]}


def proxy_calls(now: float, started: float, first: float, last: float) -> list[dict[str, Any]]:
    """The proxy's calls that started within [first, last] and are written to its log by `now`,
    oldest first, as LiteLLM stores them. The proxy keeps LEDGER_BACKFILL_DAYS of history
    before the demo started; every LATE_EVERY-th call is written LATE_BY seconds late."""
    first = max(first, started - LEDGER_BACKFILL_DAYS * 86400)
    last = min(last, now)
    rows = []
    for slot in range(int(first // LEDGER_SLOT), int(last // LEDGER_SLOT) + 1):
        rng = random.Random(slot * 31)
        for index, (task, model, _every, inp, out, pin, pout) in enumerate(PROXY_STREAMS):
            call = _proxy_call(slot, index)
            if call is None:
                continue
            start, written = call
            if not first <= start <= last or written > now:
                continue
            failed = rng.random() < 0.03
            tokens_in, tokens_out = int(inp * rng.uniform(0.6, 1.4)), 0 if failed else int(out * rng.uniform(0.5, 1.5))
            duration = round(rng.uniform(0.4, 3.0), 3)
            live = _live(rng, model, start, failed, duration)
            rows.append({
                "request_id": f"chatcmpl-demo-{slot}-{index}", "call_type": "acompletion",
                "api_key": "0" * 64,  # LiteLLM's hash of the caller's key: never read
                "spend": 0 if live["cache_hit"] == "True" else round(tokens_in * pin + tokens_out * pout, 8),
                "total_tokens": tokens_in + tokens_out, "prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                "startTime": _iso(start), "user": "demo-app", "metadata": {}, **live,
                # LiteLLM adds its own User-Agent tags after the caller's
                "request_tags": [task, "User-Agent: OpenAI", "User-Agent: OpenAI/Python 1.99.9"],
                "team_id": None, "end_user": "", "status": "failure" if failed else "success",
            })
    return rows


def _proxy_call(slot: int, index: int) -> tuple[float, float] | None:
    """When stream `index` calls in `slot` and when the call reaches the spend log; None
    when it does not call then."""
    every = PROXY_STREAMS[index][2]
    if (slot + index) % every:
        return None
    start = slot * LEDGER_SLOT + 7 + index
    return start, start + (LATE_BY if (slot // every) % LATE_EVERY == 0 else WRITTEN_AFTER)


def longest_silence(first: float, last: float) -> float:
    """The longest stretch in [first, last] in which no new call reached the proxy's spend
    log: how long a reader of the log may wait for its counters to move."""
    reach = int(LATE_BY // LEDGER_SLOT) + 2  # slots whose calls may be written inside, or next after, the stretch
    slots = range(int(first // LEDGER_SLOT) - reach, int(last // LEDGER_SLOT) + reach + 1)
    written = sorted(call[1] for slot in slots for index in range(len(PROXY_STREAMS))
                     if (call := _proxy_call(slot, index)) is not None)
    return max(b - a for a, b in itertools.pairwise(written) if b >= first and a <= last)


# Most calls stream (a first token after TTFT_RANGE seconds); some a cache answers at once; and
# for SUBSTITUTED_MINUTES of every hour the proxy falls back from claude-sonnet to gpt-4o.
STREAMED, CACHED = 0.8, 0.08
TTFT_RANGE = {"claude-sonnet": (0.5, 2.5), "gpt-4o": (0.25, 1.2)}
SUBSTITUTED, FALLBACK, SUBSTITUTED_MINUTES = "claude-sonnet", "gpt-4o", (20, 30)


def _live(rng: random.Random, model: str, start: float, failed: bool, duration: float) -> dict[str, Any]:
    """What a row says of the call as its user felt it: end, first token, cache, who answered."""
    cached = not failed and rng.random() < CACHED
    streamed = rng.random() < STREAMED
    ttft = round(rng.uniform(*TTFT_RANGE.get(model, (0.3, 1.5))), 3)
    if cached:
        ttft, duration = round(rng.uniform(0.02, 0.06), 3), round(rng.uniform(0.04, 0.08), 3)
    end = start + (ttft + duration if streamed and not cached else duration)
    minute = int(start // 60) % 60
    swapped = model == SUBSTITUTED and SUBSTITUTED_MINUTES[0] <= minute < SUBSTITUTED_MINUTES[1]
    return {"endTime": _iso(end), "completionStartTime": _iso(start + ttft if streamed or cached else end),
            "model": FALLBACK if swapped else model, "model_group": model, "cache_hit": str(cached)}


SPEND_LOGS_CAP = 10_000  # LiteLLM's cap on a read of /spend/logs and on v2's total


def litellm_spend_logs_v2(now: float, started: float, q: dict[str, list[str]]) -> tuple[int, Any]:
    """`GET /spend/logs/v2` as LiteLLM 1.110 answers it: both dates required, paged (50 a page
    by default, 1000 at most), newest first unless sort_order=asc, the total capped, JSON
    columns as JSON-encoded strings."""
    def arg(name: str, default: str | None = None) -> str | None:
        return q.get(name, [default])[0]

    try:
        first, last = _moment(arg("start_date")), _moment(arg("end_date"))
        page, size = int(arg("page", "1") or 1), int(arg("page_size", "50") or 50)
    except (TypeError, ValueError):
        return 400, {"error": {"message": "Start date and end date are required, as 'YYYY-MM-DD HH:MM:SS'",
                               "type": "bad_request", "param": None, "code": "400"}}
    if page < 1 or not 1 <= size <= 1000:
        return 422, {"detail": [{"type": "less_than_equal", "loc": ["query", "page_size"]}]}
    rows = list(_window(int(now), started, first, last))
    if (arg("sort_order", "desc") or "desc").lower() != "asc":
        rows.reverse()
    total = min(len(rows), SPEND_LOGS_CAP)
    data = [{**row, "request_tags": json.dumps(row["request_tags"])} for row in rows[(page - 1) * size:page * size]]
    return 200, {"data": data, "total": total, "page": page, "page_size": size,
                 "total_pages": -(-total // size), "total_is_capped": len(rows) > SPEND_LOGS_CAP}


@functools.lru_cache(maxsize=4)
def _window(now: int, started: float, first: float, last: float) -> tuple[dict[str, Any], ...]:
    """The calls of a window as of one second: a reader asks for its pages within a second or
    two, and each page would otherwise make every call of the window again."""
    return tuple(proxy_calls(now, started, first, last))


def litellm_spend_logs(now: float, started: float, q: dict[str, list[str]]) -> tuple[int, Any]:
    """The deprecated `GET /spend/logs?start_date=&end_date=`: dates at 00:00 UTC; daily totals
    unless summarize=false, else the newest rows first."""
    start, end = q.get("start_date", [None])[0], q.get("end_date", [None])[0]
    if start is None or end is None:
        return 200, proxy_calls(now, started, 0.0, now)[::-1][:SPEND_LOGS_CAP]
    first, last = _moment(start), _moment(end)
    rows = proxy_calls(now, started, first, last)
    if q.get("summarize", ["true"])[0].lower() in ("false", "0", "no", "off"):
        return 200, rows[::-1][:SPEND_LOGS_CAP]
    days: dict[str, dict[str, Any]] = {}
    for row in rows:
        day = days.setdefault(row["startTime"][:10], {"startTime": row["startTime"][:10], "spend": 0.0,
                                                     "users": {}, "models": {}})
        day["spend"] += row["spend"]
        day["models"][row["model"]] = day["models"].get(row["model"], 0.0) + row["spend"]
    return 200, list(days.values())


def _moment(text: str | None) -> float:
    if text is None:
        raise ValueError("missing")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise ValueError(text)


def openrouter_activity(now: float) -> dict[str, Any]:
    """The last 30 completed UTC days of the account, per day, model and upstream endpoint."""
    today = int(now // 86400) * 86400
    data = []
    for back in range(30, 0, -1):
        day = today - back * 86400
        rng = random.Random(int(day))
        for model, permaslug, provider, per_day, inp, out, usd, byok in OPENROUTER_ACTIVITY:
            requests = int(per_day * rng.uniform(0.7, 1.3)) if per_day else int(rng.uniform(5, 20))
            cost = round(requests * usd * rng.uniform(0.9, 1.1), 6)
            data.append({
                "date": datetime.fromtimestamp(day, UTC).strftime("%Y-%m-%d"), "model": model,
                "model_permaslug": permaslug, "endpoint_id": f"{provider.lower()}-{model}", "provider_name": provider,
                "usage": 0.0 if byok else cost, "byok_usage_inference": cost if byok else 0.0, "requests": requests,
                "prompt_tokens": requests * inp, "completion_tokens": requests * out,
                "reasoning_tokens": requests * out // 4 if "deepseek" in model else 0,
            })
    return {"data": data}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
