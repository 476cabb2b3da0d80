"""Vendor cost and usage reports, read with an organization admin key: OpenAI's
/organization/costs and /organization/usage/completions, Anthropic's cost_report and
usage_report/messages.

Both are asked for daily buckets from the start of the current UTC month and feed
llm_spend_usd for `day` (the current UTC day) and `month` (month to date), and the month's
tokens per model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from exporter import money, units
from exporter.http import Client
from exporter.money import ZERO
from exporter.snapshot import Snapshot
from exporter.sources.base import Source, listing, mapping, paginate, records

T = TypeVar("T")

MAX_MODELS = 500  # per source; the rest of a month's models fold into "other"


def month_and_day(now: float) -> tuple[datetime, float]:
    t = datetime.fromtimestamp(now, UTC)
    month = t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return month, t.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _next_page(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("has_more") and body.get("next_page"):
        return str(body["next_page"])
    return None


class _CostReport(Source):
    """What the two report pairs share: paging, bucket arithmetic and the snapshot."""

    endpoints = ("costs", "usage")

    def _rows(self, client: Client, endpoint: str, path: str, params: dict[str, Any], start_key: str,
              parse: Callable[[dict[str, Any]], T], *, whole: bool = False) -> list[tuple[float | None, T]]:
        """(bucket start, parse(result)) for every result row of every page. A row with an
        unusable value is left out and counted, not the whole report; whole=True for cost
        rows, where a spend total that silently left a row out would be wrong."""
        def fetch(cursor: str | None) -> Any:
            return client.get_json(endpoint, self.url(path), headers=self.headers(),
                                   params={**params, "page": cursor} if cursor else params)

        def row(pair: tuple[dict[str, Any], dict[str, Any]]) -> tuple[float | None, T]:
            bucket, result = pair
            raw = bucket.get(start_key)
            start = units.timestamp(units.number(raw)) if start_key == "start_time" else units.iso_to_epoch_seconds(raw)
            return start, parse(result)

        pairs = [(bucket, result)
                 for body in paginate(fetch, _next_page, max_pages=self.config.max_pages, source=self.name)
                 for bucket in records(listing(body)) for result in records(bucket.get("results") or [])]
        return self.each(client, endpoint, pairs, row, whole=whole)

    @staticmethod
    def _fold(tokens: Counter[tuple[str, str]]) -> tuple[tuple[tuple[str, str], int], ...]:
        models = sorted({m for m, _ in tokens}, key=lambda m: -sum(v for (n, _), v in tokens.items() if n == m))
        kept = set(models[:MAX_MODELS])
        folded: Counter[tuple[str, str]] = Counter()
        for (model, token_type), count in tokens.items():
            folded[(model if model in kept else "other", token_type)] += count
        return tuple(sorted(folded.items()))

    @staticmethod
    def _spend(days: dict[float, Decimal], today: float) -> tuple[tuple[str, Decimal], ...]:
        return (("day", days.get(today, ZERO)), ("month", sum(days.values(), ZERO)))


class OpenAICostsSource(_CostReport):
    type_name = "openai_costs"
    default_url = "https://api.openai.com/v1"
    auth = "Authorization: Bearer <admin key>"

    def poll(self, client: Client) -> Snapshot:
        month, today = month_and_day(client.now())
        since = {"start_time": int(month.timestamp()), "bucket_width": "1d", "limit": 31}
        days: dict[float, Decimal] = {}
        for start, value in self._rows(client, "costs", "/organization/costs", since, "start_time", openai_cost,
                                       whole=True):
            if start is not None and start >= month.timestamp():
                days[start] = days.get(start, ZERO) + value
        tokens: Counter[tuple[str, str]] = Counter()
        usage = self._rows(client, "usage", "/organization/usage/completions", {**since, "group_by": ["model"]},
                           "start_time", openai_usage)
        for start, counts in usage:
            if start is None or start >= month.timestamp():
                tokens.update(counts)
        return Snapshot(spend=self._spend(days, today), vendor_usage=self._fold(tokens))


def openai_cost(result: dict[str, Any]) -> Decimal:
    amount = mapping(result.get("amount"))
    # amount.value is a number, or a numeric string in some live answers
    value = money.spend(amount.get("value"))
    if value is None or money.currency_code(amount.get("currency")) != "USD":
        raise ValueError(f"unusable amount {amount!r}")
    return value


def openai_usage(r: dict[str, Any]) -> Counter[tuple[str, str]]:
    model = units.label(r.get("model") or "unknown", "model")
    cached = tokens(r, "input_cached_tokens")
    # input_tokens includes the cached ones; here "input" means uncached input
    return Counter({(model, "input"): max(tokens(r, "input_tokens") - cached, 0),
                    (model, "cache_read"): cached, (model, "output"): tokens(r, "output_tokens")})


def tokens(row: dict[str, Any], key: str) -> int:
    """A token count a usage report may leave out (0), never below zero."""
    return units.optional_count(row.get(key), key) or 0


class AnthropicCostsSource(_CostReport):
    type_name = "anthropic_costs"
    default_url = "https://api.anthropic.com"
    auth = "x-api-key: <admin key>, anthropic-version: 2023-06-01"

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.config.api_key or "", "anthropic-version": "2023-06-01"}

    def poll(self, client: Client) -> Snapshot:
        month, today = month_and_day(client.now())
        since = {"starting_at": month.strftime("%Y-%m-%dT%H:%M:%SZ"), "bucket_width": "1d"}
        days: dict[float, Decimal] = {}
        for start, value in self._rows(client, "costs", "/v1/organizations/cost_report", since, "starting_at",
                                       anthropic_cost, whole=True):
            if start is not None and start >= month.timestamp():
                days[start] = days.get(start, ZERO) + value
        tokens: Counter[tuple[str, str]] = Counter()
        usage = self._rows(client, "usage", "/v1/organizations/usage_report/messages",
                           {**since, "group_by[]": ["model"]}, "starting_at", anthropic_usage)
        for start, counts in usage:
            if start is None or start >= month.timestamp():
                tokens.update(counts)
        return Snapshot(spend=self._spend(days, today), vendor_usage=self._fold(tokens))


def anthropic_cost(result: dict[str, Any]) -> Decimal:
    # decimal strings in cents: "123.45" is $1.2345
    value = money.spend(result.get("amount"), money.CENTS)
    if value is None or money.currency_code(result.get("currency")) != "USD":
        raise ValueError(f"unusable amount {result.get('amount')!r}")
    return value


def anthropic_usage(r: dict[str, Any]) -> Counter[tuple[str, str]]:
    model = units.label(r.get("model") or "unknown", "model")
    creation = mapping(r.get("cache_creation"))
    return Counter({
        (model, "input"): tokens(r, "uncached_input_tokens"),
        (model, "cache_read"): tokens(r, "cache_read_input_tokens"),
        (model, "output"): tokens(r, "output_tokens"),
        (model, "cache_write"): sum(tokens(creation, key) for key in creation),
    })
