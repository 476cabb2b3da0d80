"""The fleet file, budgets and savings recommendations."""

from __future__ import annotations

from collections.abc import Iterator

from exporter.families.base import Family, Part, Same, Sample
from exporter.views import FleetView

F = Family
BUDGET = ("budget", "period")
FAMILIES = (
    F("llm_fleet_model_info", "gauge", "–", ("model", "provider", "status"),
      "A model of the fleet file, with its provider and status (active, standby, disabled); always 1."),
    F("llm_fleet_model_score", "gauge", "score 0–100", ("model", "dimension"),
      "The fleet file's score of the model per dimension (coding, reasoning, creativity, speed), 0 to 100."),
    F("llm_fleet_role_assignment", "gauge", "–", ("role", "model", "priority"),
      "The model fills the role at the priority (1 first); always 1."),
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


def _fleet(view: FleetView) -> Iterator[Sample]:
    for m in view.spending.settings.fleet.models:
        yield "llm_fleet_model_info", (m.model, m.provider, m.status), 1
        for dimension, score in m.scores:
            yield "llm_fleet_model_score", (m.model, dimension), score
        for a in m.roles:
            yield "llm_fleet_role_assignment", (a.role, m.model, str(a.priority)), 1


def _budgets(view: FleetView) -> Iterator[Sample]:
    for state in view.spending.budgets:
        key = (state.budget.name, state.budget.period)
        yield "llm_budget_limit_usd", key, state.budget.limit_usd
        if state.spent_usd is not None:
            yield "llm_budget_spent_usd", key, state.spent_usd
        if state.forecast_usd is not None:
            yield "llm_budget_forecast_usd", key, state.forecast_usd


def _advice(view: FleetView) -> Iterator[Sample]:
    for a in view.spending.advice:
        if a.exported and a.suggested is not None and a.savings_usd_per_month is not None:
            yield ("llm_recommendation_savings_usd_per_month", (a.task, a.current_model, a.suggested.model.id),
                   a.savings_usd_per_month)


PARTS = (
    Part("fleet_file", "fleet", lambda view: (Same(view.spending.settings.fleet),), _fleet),
    Part("budgets", "fleet", lambda view: (Same(view.spending.budgets),), _budgets),
    Part("recommendations", "fleet", lambda view: (Same(view.spending.advice),), _advice),
)
