"""OpenRouter's account activity (`GET /activity`): per completed UTC day, model and upstream
endpoint, the requests, tokens and USD the account spent. Only a management key may read
it; an ordinary key's 403 means "not for this key", as for /credits: absent, logged once.

Completed days change once a day, so the call is made at most every ACTIVITY_INTERVAL; in
between, the last answer's rows are summed again, for the current UTC month's completed days
only (on the 1st there are none yet: no samples, not last month's).

An account can use tens of thousands of models; past limits.max_models the models with the
fewest requests are summed into one `other` model, so the totals stay right and the series
bounded, and the rows folded are counted in llm_exporter_series_folded_total.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from exporter import money, units
from exporter.http import FetchError

log = logging.getLogger(__name__)

ACTIVITY_INTERVAL = 900.0  # seconds
TOKEN_KEYS = (("input", "prompt_tokens"), ("output", "completion_tokens"), ("reasoning", "reasoning_tokens"))
SPEND_KEYS = (("credits", "usage"), ("byok", "byok_usage_inference"))
OTHER = "other"
FOLDED_FAMILY = "llm_vendor_usage"  # llm_vendor_usage_tokens, _requests and llm_vendor_model_spend_usd


@dataclass(frozen=True, slots=True)
class ActivityRow:
    day: str  # YYYY-MM-DD, UTC
    model: str
    requests: int
    tokens: tuple[tuple[str, int], ...]
    spend: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True, slots=True)
class Activity:
    """This month's completed days, summed per model, as the snapshot carries them."""

    tokens: tuple[tuple[tuple[str, str], int], ...] = ()
    requests: tuple[tuple[str, int], ...] = ()
    spend: tuple[tuple[tuple[str, str], Decimal], ...] = ()
    folded: int = 0  # rows summed into `other` over max_models


def _count(item: Mapping[str, Any], key: str) -> int:
    value = units.number(item.get(key, 0))
    if value is None or value < 0 or value != int(value):
        raise ValueError(f"{key} is not a count")
    return int(value)


def parse_row(item: Mapping[str, Any]) -> ActivityRow:
    day, model = item.get("date"), item.get("model")
    if not isinstance(day, str) or units.iso_to_epoch_seconds(day) is None:
        raise ValueError("date is not a date")
    if not isinstance(model, str) or not model:
        raise ValueError("a row without a model")
    spend = []
    for kind, key in SPEND_KEYS:
        amount = money.spend(item.get(key))
        if amount is not None:
            spend.append((kind, amount))
    return ActivityRow(day[:10], units.label(model, "model"), _count(item, "requests"),
                       tuple((t, _count(item, key)) for t, key in TOKEN_KEYS), tuple(spend))


def summed(rows: Iterable[ActivityRow], now: float, max_models: int) -> Activity:
    """The rows of the current UTC month's completed days, summed per model; past max_models,
    the models with the fewest requests are summed as `other`."""
    today = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
    month = today[:8]  # YYYY-MM-
    current = [row for row in rows if row.day.startswith(month) and row.day < today]
    by_model: dict[str, int] = {}
    for row in current:
        by_model[row.model] = by_model.get(row.model, 0) + row.requests
    kept = set(by_model)
    if len(by_model) > max_models:
        ranked = sorted(by_model, key=lambda m: (-by_model[m], m))
        kept = set(ranked[: max(max_models - 1, 0)])
    tokens: dict[tuple[str, str], int] = {}
    requests: dict[str, int] = {}
    spend: dict[tuple[str, str], Decimal] = {}
    folded = 0
    for row in current:
        model = row.model if row.model in kept else OTHER
        folded += model != row.model
        row = ActivityRow(row.day, model, row.requests, row.tokens, row.spend)
        requests[row.model] = requests.get(row.model, 0) + row.requests
        for token_type, count in row.tokens:
            tokens[(row.model, token_type)] = tokens.get((row.model, token_type), 0) + count
        for kind, amount in row.spend:
            spend[(row.model, kind)] = spend.get((row.model, kind), Decimal(0)) + amount
    return Activity(tuple(sorted(tokens.items())), tuple(sorted(requests.items())), tuple(sorted(spend.items())),
                    folded)


class ActivityWatch:
    """The last rows /activity gave one source, and when to ask again."""

    def __init__(self, source: str, max_models: int):
        self.source = source
        self.max_models = max_models
        self._rows: tuple[ActivityRow, ...] = ()
        self._due = float("-inf")
        self._refused = False  # logged once: a key that may not read activity
        self._folding = False  # logged once per streak: models over max_models

    def poll(self, fetch: Callable[[], list[ActivityRow] | None], now: float) -> tuple[Activity, int]:
        """This month's activity, and the rows folded into `other` in a fetch made now (0 when
        the last answer was only summed again)."""
        fetched = False
        if now >= self._due:
            self._due = now + ACTIVITY_INTERVAL
            try:
                rows = fetch()
            except FetchError as err:  # counted under endpoint="activity"; the last rows stay
                log.warning("%s: activity: %s", self.source, err.message,
                            extra={"fields": {"source": self.source, "endpoint": "activity", "reason": err.reason}})
            else:
                if rows is None:
                    if not self._refused:
                        log.info("%s: /activity needs a management key; this key's 403 leaves activity out",
                                 self.source, extra={"fields": {"source": self.source, "endpoint": "activity"}})
                    self._refused, self._rows = True, ()
                else:
                    self._refused, self._rows, fetched = False, tuple(rows), True
        activity = summed(self._rows, now, self.max_models)
        if fetched and activity.folded and not self._folding:
            log.warning("%s: activity: models over limits.max_models=%d summed as %r", self.source, self.max_models,
                        OTHER, extra={"fields": {"source": self.source, "endpoint": "activity",
                                                 "folded": activity.folded}})
        if fetched:
            self._folding = activity.folded > 0
        return activity, activity.folded if fetched else 0
