"""The usage book stays bounded whatever the events say: each label capped, and their
combinations held to limits.max_usage_series by folding a new one's task, then its model, then
its provider into "other", every call still counted."""

from __future__ import annotations

import random
from decimal import Decimal

from exporter.collector import Exposition
from exporter.snapshot import Event
from exporter.spend.book import OTHER, SERIES_PER_HISTOGRAM, SERIES_PER_KEY, UsageBook
from exporter.spend.job import SpendSettings, SpendView
from exporter.views import FleetView

NOW = 1_795_392_000.0


def call(provider: str, model: str, task: str, duration: float | None = 1.0) -> Event:
    return Event(ts=NOW, provider=provider, model=model, task=task, input_tokens=10, output_tokens=2,
                 cost_usd=Decimal("0.001"), duration_seconds=duration)


def test_combinations_past_the_series_cap_fold_task_then_model_then_provider() -> None:
    book = UsageBook(max_series=2 * SERIES_PER_KEY + SERIES_PER_HISTOGRAM)
    book.add(call("p", "m", "a"), lambda e: None)  # 6 + 13
    book.add(call("p", "m", "b", duration=None), lambda e: None)  # 6 more: 25, the cap
    book.add(call("p", "m", "c"), lambda e: None)  # no room for (p, m, c): (p, m, other)? no room either
    book.add(call("q", "n", "a"), lambda e: None)
    assert set(book.counters) == {("p", "m", "a"), ("p", "m", "b"), (OTHER, OTHER, OTHER)}
    assert book.counters[(OTHER, OTHER, OTHER)].requests == 2
    assert book.folded["llm_usage"] == 2
    # an existing combination keeps counting under its own labels
    book.add(call("p", "m", "b"), lambda e: None)
    assert book.counters[("p", "m", "b")].requests == 2


def test_a_new_task_of_a_known_pair_folds_only_its_task() -> None:
    book = UsageBook(max_series=2 * SERIES_PER_KEY + SERIES_PER_HISTOGRAM)
    book.add(call("p", "m", "a"), lambda e: None)
    book.add(call("p", "m", "b"), lambda e: None)  # (p, m, b) would fit, and does: 6 + 13 + 6
    assert book.series == 25
    book.add(call("p", "m", "c"), lambda e: None)
    assert (OTHER, OTHER, OTHER) in book.counters  # nothing fits any more: the last resort
    roomy = UsageBook(max_series=3 * SERIES_PER_KEY + SERIES_PER_HISTOGRAM)
    roomy.add(call("p", "m", "a"), lambda e: None)
    roomy.add(call("p", "m", "b"), lambda e: None)
    roomy.add(call("p", "m", "c"), lambda e: None)  # fits: 31
    roomy.add(call("p", "m", "d"), lambda e: None)
    assert ("p", "m", "d") not in roomy.counters and roomy.counters[(OTHER, OTHER, OTHER)].requests == 1


def test_250000_calls_over_100_providers_500_models_and_5_tasks_stay_under_the_cap() -> None:
    # Without a cap on combinations this made 1.85 million series, a 141 MB scrape and 1.9 GB RSS.
    rng = random.Random(3)
    book = UsageBook(max_tasks=50, max_models=500)
    for _ in range(250_000):
        book.add(call(f"p{rng.randrange(100)}", f"m{rng.randrange(500)}", f"t{rng.randrange(5)}",
                      duration=rng.uniform(0.1, 30)), lambda e: None)
    assert book.series <= 100_000 + SERIES_PER_KEY + SERIES_PER_HISTOGRAM
    assert sum(t.requests for t in book.counters.values()) == 250_000  # every call still counted
    assert book.folded["llm_usage"] == sum(t.requests for k, t in book.counters.items() if OTHER in k)
    view = FleetView(generation=1, ready=True, sources=(),
                     spend=SpendView(settings=SpendSettings(ledger=("app.jsonl",)), book=book))
    text = Exposition(lambda: view).render().decode()
    usage = [line for line in text.splitlines() if line.startswith("llm_usage_")]
    assert 90_000 < len(usage) <= 100_000 + SERIES_PER_KEY + SERIES_PER_HISTOGRAM + 3
