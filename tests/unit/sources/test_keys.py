"""What every key-listing source shares: the name a key is shown by, budgets that are no budget,
and the cap with names kept unique."""

from __future__ import annotations

from decimal import Decimal

from exporter.snapshot import ApiKey
from exporter.sources.keys import bounded, budget, name


def test_a_key_is_named_by_the_first_text_the_vendor_shows() -> None:
    assert name(None, "  ", "sk-...EXA1") == "sk-...EXA1"
    assert name("prod", "sk-...EXA1") == "prod"
    assert name(None, 7) is None and len(name("x" * 500) or "") == 200


def test_budgets_that_are_none() -> None:
    assert budget(100) == Decimal(100) and budget("12.5") == Decimal("12.5")
    for none in (None, 2**63 - 1, float("inf"), "nan", -1, 1e300, True):
        assert budget(none) is None, none


def test_the_cap_keeps_the_first_and_names_unique_within_a_kind() -> None:
    keys = [ApiKey("key", "a"), ApiKey("key", "a"), ApiKey("team", "a"), ApiKey("key", "b"), ApiKey("key", "c")]
    kept, dropped = bounded(keys, 4)
    assert [(k.kind, k.name) for k in kept] == [("key", "a"), ("key", "a #2"), ("team", "a"), ("key", "b")]
    assert dropped == 1
