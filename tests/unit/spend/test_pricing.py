"""Pricing ledger events from the merged catalog."""

from __future__ import annotations

from decimal import Decimal

from exporter.snapshot import Event, Model, Provider, Snapshot
from exporter.spend.book import UsageBook
from exporter.spend.events import parse_event
from exporter.spend.pricing import PriceBook

D = Decimal


def model(provider: str, model_id: str, inp: str | None, out: str | None, cache: str | None = None,
          free: bool = False) -> Model:
    prices = tuple((k, D(v)) for k, v in (("input", inp), ("output", out), ("cache_read", cache)) if v is not None)
    return Model(provider, model_id, model_id, prices=prices, free=free)


BOOK = PriceBook([
    ("openrouter", Snapshot(models=(model("openrouter", "gpt-4o-mini", "0.00000015", "0.0000006", "0.000000075"),
                                    model("openrouter", "llama:free", "0", "0", free=True)))),
    ("litellm", Snapshot(models=(model("litellm", "gpt-4o-mini", "0.0000002", "0.0000008"),
                                 model("litellm", "local", None, None, free=True)))),
    ("gateway", Snapshot(providers=(Provider("azure", "Azure"),), models=(
        model("azure", "gpt-4o-mini", "0.0000003", "0.000001"),))),
    ("anthropic", Snapshot(models=(model("anthropic", "claude-sonnet-4", None, None),))),
], D(3))


def test_the_event_provider_picks_the_source_or_provider_listing() -> None:
    # by source name
    assert BOOK.cost("litellm", "gpt-4o-mini", 1000, 100) == D("0.00028")
    # by provider label (a gateway's provider)
    assert BOOK.cost("azure", "gpt-4o-mini", 1000, 100) == D("0.0004")
    # no match: the lowest listed price for the id
    assert BOOK.cost("openai", "gpt-4o-mini", 1000, 100) == D("0.00021")


def test_cache_reads_use_the_cache_price_else_the_input_price() -> None:
    assert BOOK.cost("openrouter", "gpt-4o-mini", 0, 0, 1000) == D("0.000075")
    assert BOOK.cost("litellm", "gpt-4o-mini", 0, 0, 1000) == D("0.0002")


def test_free_unknown_and_unpriced_models() -> None:
    assert BOOK.cost("openrouter", "llama:free", 1000, 1000) == 0
    assert BOOK.cost("litellm", "local", 1000, 1000) == 0  # free, though the catalog lists no price
    assert BOOK.cost("anthropic", "claude-sonnet-4", 1000, 1000) is None  # listed, but no source prices it
    assert BOOK.cost("x", "mystery", 1, 1) is None


def test_the_book_counts_unpriced_events_at_zero_and_keeps_given_costs() -> None:
    book = UsageBook()

    def price(e: Event) -> Decimal | None:
        return BOOK.cost(e.provider, e.model, e.input_tokens, e.output_tokens, e.cache_read_tokens)

    book.add(parse_event(b'{"ts": 1795392000,"provider": "x", "model": "mystery", "input_tokens": 5}'), price)
    book.add(parse_event(b'{"ts": 1795392000,"provider": "x", "model": "mystery", "input_tokens": 5, '
                         b'"cost_usd": 0.25}'), price)
    book.add(parse_event(b'{"ts": 1795392000,"provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000, '
                         b'"output_tokens": 100}'), price)
    assert book.unpriced == {"mystery": 1}  # the event that carried its own cost is not unpriced
    assert book.counters[("x", "mystery", "default")].cost_usd == D("0.25")
    assert book.counters[("openai", "gpt-4o-mini", "default")].cost_usd == D("0.00021")


def test_labels_beyond_the_limits_fold_into_other() -> None:
    book = UsageBook(max_tasks=2, max_models=2)

    def add(model_id: str, task: str) -> None:
        book.add(parse_event(f'{{"ts": 1795392000,"provider": "p", "model": "{model_id}", "task": "{task}"}}'.encode()),
                 lambda e: D(0))

    for model_id, task in (("a", "t1"), ("b", "t2"), ("c", "t1"), ("a", "t3"), ("a", "t1")):
        add(model_id, task)
    assert sorted((k[1], k[2], t.requests) for k, t in book.counters.items()) == [
        ("a", "other", 1), ("a", "t1", 2), ("b", "t2", 1), ("other", "t1", 1)]
    assert book.folded == {"llm_usage": 2}
