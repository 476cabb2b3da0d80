"""Savings recommendations: for each task with recent usage, would a cheaper model that is
good enough for the task's role have done the same work for less?

The arithmetic is deliberately plain: the same token volumes the task used in the last
7 days, priced at the candidate's catalog prices, against what they cost; the difference
times 30/7 is the monthly saving.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from exporter import money
from exporter.snapshot import Model
from exporter.spend.book import Totals, UsageBook
from exporter.spend.fleetfile import FleetFile, Role
from exporter.units import day_start

WINDOW_DAYS = 7


def monthly(week: Decimal) -> Decimal:
    """A week's USD as a month's: x 30/7 (multiplied first, so the division rounds once)."""
    return week * 30 / WINDOW_DAYS


@dataclass(frozen=True, slots=True)
class Offer:
    """A catalog model that could take traffic now: its source is up, its provider healthy."""

    source: str
    provider: str
    model: Model


@dataclass(frozen=True, slots=True)
class Advice:
    task: str
    role: str | None
    current_provider: str
    current_model: str
    current_monthly_usd: Decimal
    suggested: Offer | None = None
    projected_monthly_usd: Decimal | None = None
    savings_usd_per_month: Decimal | None = None
    quality_delta: float | None = None
    reasoning: str = ""
    # Only advice above recommendations.min_savings_usd is exported as a metric.
    exported: bool = False


def _usd(value: Decimal) -> str:
    return f"${value:,.2f}"


def _cost(offer: Offer, t: Totals) -> Decimal:
    if offer.model.free:
        return Decimal(0)
    return money.token_cost(dict(offer.model.prices), t.input, t.output, t.cache_read)


def _priced(m: Model) -> bool:
    return m.free or (m.price("input") is not None and m.price("output") is not None)


def _fits(role: Role, offer: Offer, fleet: FleetFile) -> bool:
    member = fleet.by_model(offer.model.id)
    if member is not None and member.status == "disabled":
        return False
    if offer.model.free and not role.include_free:
        return False
    if any(offer.model.capability(c) is not True for c in role.capabilities):
        return False
    return role.meets(member)


def recommend(book: UsageBook, fleet: FleetFile, offers: Iterable[Offer], now: float,
              min_savings: Decimal) -> tuple[Advice, ...]:
    since = day_start(now) - (WINDOW_DAYS - 1) * 86400
    usage: dict[str, dict[tuple[str, str], Totals]] = {}
    for (provider, model, task), t in book.since(since):
        per_task = usage.setdefault(task, {})
        per_task[(provider, model)] = per_task.get((provider, model), Totals()) + t
    priced = [o for o in offers if _priced(o.model)]
    advice = []
    for task in sorted(usage):
        # A task with several models is judged by the one it spent most on.
        (provider, model), t = max(usage[task].items(), key=lambda item: (item[1].cost_usd, item[1].requests,
                                                                         item[0]))
        current_monthly = monthly(t.cost_usd)
        role = fleet.role_for(task)
        base = Advice(task, role.name if role else None, provider, model, current_monthly)
        if role is None:
            advice.append(replace(base, reasoning=f"No fleet role lists the task {task!r}, so nothing is known "
                                                f"about what is good enough for it."))
            continue
        if t.cost_usd == 0:
            advice.append(replace(base, reasoning=f"{task} cost nothing in the last {WINDOW_DAYS} days."))
            continue
        candidates = [o for o in priced if _fits(role, o, fleet)
                      and not (o.model.id == model and provider in (o.source, o.provider))]
        if not candidates:
            advice.append(replace(base, reasoning=f"No healthy model that meets the {role.name} role is priced in "
                                                "the catalog."))
            continue
        best = min(candidates, key=lambda o: (_cost(o, t), o.source, o.provider, o.model.id))
        projected = monthly(_cost(best, t))
        savings = monthly(t.cost_usd - _cost(best, t))
        if savings <= 0:
            advice.append(replace(base, reasoning=f"{model} is already the cheapest healthy model that meets the "
                                                f"{role.name} role for {task}."))
            continue
        current_quality = role.quality(fleet.by_model(model))
        best_quality = role.quality(fleet.by_model(best.model.id))
        delta = None if current_quality is None or best_quality is None else best_quality - current_quality
        reasoning = (f"{task} spent {_usd(t.cost_usd)} on {model} in the last {WINDOW_DAYS} days; "
                     f"{best.model.id} ({best.source}) meets the {role.name} role and would have cost "
                     f"{_usd(_cost(best, t))} for the same tokens, saving {_usd(savings)} a month.")
        advice.append(replace(base, suggested=best, projected_monthly_usd=projected, savings_usd_per_month=savings,
                            quality_delta=delta, reasoning=reasoning, exported=savings > min_savings))
    return tuple(advice)

