"""Budgets: a spend limit per UTC day or month, its spend so far and a linear forecast.

Spend comes from the usage ledger (optionally narrowed by one scope key), or, for a budget
with `source:`, from what that source's vendor reports (`llm_spend_usd`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

# No forecast in a period's first hour: a few minutes of spend projected over a month says
# more about noise than about the month.
FORECAST_AFTER_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Budget:
    name: str
    period: str  # day | month
    limit_usd: Decimal
    scope: tuple[str, str] | None = None  # (provider | model | task, value)
    source: str | None = None


@dataclass(frozen=True, slots=True)
class BudgetState:
    budget: Budget
    spent_usd: Decimal | None  # None: the source has not reported its spend
    forecast_usd: Decimal | None
    period_start: float
    period_end: float


def budgets_from(
    items: Sequence[Mapping[str, Any]] | None, sources: set[str], problems: list[str]
) -> tuple[Budget, ...]:
    out = []
    seen: set[str] = set()
    for i, raw in enumerate(items or ()):
        path = f"budgets[{i}]"
        if raw["name"] in seen:
            problems.append(f"{path}.name: duplicate budget name {raw['name']!r}")
        seen.add(raw["name"])
        scope = raw.get("scope")
        source = raw.get("source")
        if scope and source:
            problems.append(f"{path}: set scope or source, not both (a vendor's reported spend has no scopes)")
        if source is not None and source not in sources:
            problems.append(f"{path}.source: {source!r} is not a configured source")
        out.append(Budget(
            name=raw["name"], period=raw["period"], limit_usd=Decimal(str(raw["limit_usd"])),
            scope=next(iter(scope.items())) if scope else None, source=source,
        ))
    return tuple(out)


def period_bounds(period: str, now: float) -> tuple[float, float]:
    """The UTC day or month that holds `now`, as unix seconds [start, end)."""
    t = datetime.fromtimestamp(now, UTC)
    if period == "day":
        start = t.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
    else:
        start = t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
    return start.timestamp(), end.timestamp()


def forecast(spent: Decimal, start: float, end: float, now: float) -> Decimal | None:
    """Spend at the end of the period if it goes on at the rate so far."""
    elapsed = now - start
    if elapsed < FORECAST_AFTER_SECONDS:
        return None
    return spent * Decimal(end - start) / Decimal(elapsed)


def evaluate(
    budgets: Sequence[Budget],
    now: float,
    ledger_spend: Callable[[float, str | None, str | None], Decimal],
    vendor_spend: Callable[[str, str], Decimal | None],
) -> tuple[BudgetState, ...]:
    """ledger_spend(since, scope key, scope value) and vendor_spend(source, window) supply
    the spend; this module only does the calendar and the arithmetic."""
    states = []
    for b in budgets:
        start, end = period_bounds(b.period, now)
        if b.source is not None:
            spent = vendor_spend(b.source, b.period)
        else:
            key, value = b.scope if b.scope else (None, None)
            spent = ledger_spend(start, key, value)
        states.append(BudgetState(b, spent, None if spent is None else forecast(spent, start, end, now), start, end))
    return tuple(states)
