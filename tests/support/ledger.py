"""A usage ledger for tests: its lines, a catalog that prices them, and a spend job that reads
them at a fixed time."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from exporter.snapshot import Model, Snapshot
from exporter.spend.job import LiveSources, SpendJob, SpendSettings, SpendView
from tests.support.clock import Clock

NOW = 1_795_392_000.0  # 2026-11-23 00:00 UTC: the ledger's events start at a day's start


def event(n: int, model: str = "m", **extra: object) -> str:
    """A ledger line n seconds after NOW: provider p, task t, 1000 input and 100 output tokens."""
    return json.dumps({"ts": NOW + n, "provider": "p", "model": model, "task": "t", "input_tokens": 1000,
                       "output_tokens": 100, **extra}) + "\n"


def append(path: Path, text: str) -> None:
    with path.open("a") as out:
        out.write(text)


def priced(input_price: str, output_price: str) -> LiveSources:
    return LiveSources(fresh=(("vendor", True, Snapshot(models=(
        Model("vendor", "m", "m", prices=(("input", Decimal(input_price)), ("output", Decimal(output_price)))),),
        catalog=True)),))


CATALOG = priced("0.000001", "0.000002")
REPRICED = priced("0.00001", "0.00002")  # the same model, ten times the price
COST = Decimal("0.0012")  # an event's cost at CATALOG: 1000 x 0.000001 + 100 x 0.000002


def watch(path: Path, state: Path | None) -> SpendJob:
    return SpendJob(SpendSettings(ledger=(str(path),)), None if state is None else str(state), clock=Clock(NOW))


def totals(view: SpendView) -> tuple[int, Decimal]:
    """Requests and cost of (p, m, t)."""
    t = view.book.counters[("p", "m", "t")]
    return t.requests, t.cost_usd
