"""Budget periods, spend and the linear forecast at fixed clock times."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from exporter.spend.budgets import Budget, evaluate, forecast, period_bounds
from tests.support.clock import Clock, utc
from tests.support.engines import engine, metrics
from tests.support.fakeserver import FakeServer, fixture_reply
from tests.support.metrics import samples, value

D = Decimal


ts = utc


def test_periods_are_utc_days_and_months() -> None:
    assert period_bounds("day", ts(2026, 11, 23, 15, 30)) == (ts(2026, 11, 23), ts(2026, 11, 24))
    assert period_bounds("month", ts(2026, 11, 23, 15, 30)) == (ts(2026, 11, 1), ts(2026, 12, 1))
    assert period_bounds("month", ts(2026, 12, 31, 23, 59)) == (ts(2026, 12, 1), ts(2027, 1, 1))
    assert period_bounds("month", ts(2028, 2, 10)) == (ts(2028, 2, 1), ts(2028, 3, 1))


def test_forecast_arithmetic() -> None:
    month = period_bounds("month", ts(2026, 11, 10))
    # $90 in the first 9 days of a 30-day month: $10 a day, $300 by the end
    assert forecast(D(90), *month, ts(2026, 11, 10)) == D(300)
    day = period_bounds("day", ts(2026, 11, 23, 6))
    # $3 by 06:00 is $12 by midnight
    assert forecast(D(3), *day, ts(2026, 11, 23, 6)) == D(12)
    # not in the period's first hour
    assert forecast(D(3), *day, ts(2026, 11, 23, 0, 59)) is None
    assert forecast(D(3), *day, ts(2026, 11, 23, 1)) == D(72)


def test_evaluate_uses_the_ledger_or_the_vendor() -> None:
    budgets = (Budget("all", "month", D(100)), Budget("coding", "day", D(5), scope=("task", "coding")),
               Budget("vendor", "month", D(50), source="openrouter"), Budget("silent", "day", D(1), source="x"))
    asked = []

    def ledger(since: float, key: str | None, val: str | None) -> Decimal:
        asked.append((since, key, val))
        return D(20) if key is None else D(2)

    now = ts(2026, 11, 11, 12)
    states = evaluate(budgets, now, ledger, lambda source, window: D(30) if source == "openrouter" else None)
    assert asked == [(ts(2026, 11, 1), None, None), (ts(2026, 11, 11), "task", "coding")]
    assert [(s.budget.name, s.spent_usd) for s in states] == [("all", 20), ("coding", 2), ("vendor", 30),
                                                              ("silent", None)]
    assert states[0].forecast_usd == D(20) * D(30 * 86400) / D(10.5 * 86400)
    assert states[1].forecast_usd == D(4)
    assert states[3].forecast_usd is None


def test_budget_families_from_a_ledger_and_a_vendor(fake: FakeServer, tmp_path: Path) -> None:
    ledger = tmp_path / "app.jsonl"
    day = ts(2026, 11, 23)
    lines = [{"ts": day + 3600, "provider": "p", "model": "m", "task": "coding", "cost_usd": 1.5},
             {"ts": day + 7200, "provider": "p", "model": "m", "task": "chat", "cost_usd": 0.5},
             {"ts": ts(2026, 11, 2), "provider": "p", "model": "m", "task": "coding", "cost_usd": 10},
             {"ts": ts(2026, 10, 31), "provider": "p", "model": "m", "task": "coding", "cost_usd": 99}]
    ledger.write_text("".join(json.dumps(line) + "\n" for line in lines))
    fake.routes["/or/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/or/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/or/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    head = (f"usage: {{ledger: ['{ledger}']}}\n"
            "budgets:\n"
            "  - {name: coding-daily, period: day, limit_usd: 2, scope: {task: coding}}\n"
            "  - {name: monthly, period: month, limit_usd: 100}\n"
            "  - {name: openrouter, period: month, limit_usd: 50, source: or}\n")
    clock = Clock(day + 6 * 3600)  # 06:00 UTC on the 23rd of a 30-day month
    e = engine(f"  - {{name: or, type: openrouter, url: '{fake.url}/or', api_key: k-00000000}}\n", clock, head=head)
    e.run_once()
    p = samples(metrics(e))
    e.stop()
    b = {"budget": "coding-daily", "period": "day"}
    assert (value(p, "llm_budget_limit_usd", **b), value(p, "llm_budget_spent_usd", **b),
            value(p, "llm_budget_forecast_usd", **b)) == (2, 1.5, 6)  # $1.5 by 06:00: $6 by midnight
    m = {"budget": "monthly", "period": "month"}
    assert value(p, "llm_budget_spent_usd", **m) == 12  # October's $99 is another month
    assert value(p, "llm_budget_forecast_usd", **m) == 12 * 30 / 22.25  # 22.25 days into 30
    key = json.loads(Path("tests/fixtures/providers/openrouter__key.json").read_text())["data"]
    assert value(p, "llm_budget_spent_usd", budget="openrouter", period="month") == key["usage_monthly"]
