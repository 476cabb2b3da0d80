"""Budgets (limit, spend so far, forecast) and savings recommendations."""

from __future__ import annotations

from collections.abc import Iterator

from exporter.families.base import Family, Part, Same, Sample
from exporter.views import FleetView

F = Family
BUDGET = ("budget", "period")
FAMILIES = (
    F("llm_budget_limit_usd", "gauge", "USD", BUDGET, "The budget's limit for its period (UTC day or month), in USD."),
    F("llm_budget_spent_usd", "gauge", "USD", BUDGET,
      "Spend in the budget's current period, in USD: from the usage ledger, or from the source's vendor-reported "
      "spend for budgets with source."),
    F("llm_budget_forecast_usd", "gauge", "USD", BUDGET,
      "Spend at the end of the period at the rate so far (linear), in USD; absent during the period's first hour."),
    F("llm_recommendation_savings_usd_per_month", "gauge", "USD per month", ("task", "current_model",
                                                                             "suggested_model"),
      "Monthly saving if the task moved from its current model to the suggested one: the last 7 days' tokens at "
      "both prices, times 30/7. Only each task's top suggestion above recommendations.min_savings_usd."),
)


def _budgets(view: FleetView) -> Iterator[Sample]:
    for state in view.spend.budgets:
        key = (state.budget.name, state.budget.period)
        yield "llm_budget_limit_usd", key, state.budget.limit_usd
        if state.spent_usd is not None:
            yield "llm_budget_spent_usd", key, state.spent_usd
        if state.forecast_usd is not None:
            yield "llm_budget_forecast_usd", key, state.forecast_usd


def _advice(view: FleetView) -> Iterator[Sample]:
    for a in view.spend.advice:
        if a.exported and a.suggested is not None and a.savings_usd_per_month is not None:
            yield ("llm_recommendation_savings_usd_per_month", (a.task, a.current_model, a.suggested.model.id),
                   a.savings_usd_per_month)


PARTS = (
    Part("budgets", "fleet", lambda view: (Same(view.spend.budgets),), _budgets),
    Part("recommendations", "fleet", lambda view: (Same(view.spend.advice),), _advice),
)
