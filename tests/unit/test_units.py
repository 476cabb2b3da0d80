"""Values that cannot be true are not facts: the one place every parser checks what it reads
(units.py, and money.py for money)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from exporter import money, units


@pytest.mark.parametrize(("read", "raw"), [
    (units.percent_to_ratio, 150), (units.percent_to_ratio, -1), (units.ms_to_seconds, -5),
    (units.epoch_ms_to_seconds, 1e18), (units.epoch_ms_to_seconds, 5), (units.iso_to_epoch_seconds, "0001-12-31"),
    (units.iso_to_epoch_seconds, "2999-01-01T00:00:00Z"), (money.spend, "-0.01"),
    (lambda v: units.count(v, "tokens"), -3), (lambda v: units.timestamp(units.number(v)), 1e308),
])
def test_a_value_outside_its_range_is_out_of_range(read: Callable[[Any], object], raw: object) -> None:
    with pytest.raises(units.OutOfRange):
        read(raw)


def test_values_inside_their_range_read_as_before() -> None:
    assert units.percent_to_ratio("99.62") == 0.9962 and units.percent_to_ratio(0) == 0.0
    assert units.ms_to_seconds(2229.5) == 2.2295
    assert units.iso_to_epoch_seconds("2026-12-31") == 1798675200.0
    assert units.epoch_ms_to_seconds(1779321600000) == 1779321600.0
    assert money.spend("0.5") == Decimal("0.5") and money.amount("-5") == Decimal(-5)  # a balance may be debt
    assert units.count("12", "tokens") == 12 and units.optional_count(None, "tokens") is None


def test_a_count_that_is_not_a_number_is_unknown_and_a_negative_one_out_of_range() -> None:
    assert units.optional_count("about 128000", "context_length") is None  # what does not parse is absent
    assert units.optional_count("8192", "context_length") == 8192
    with pytest.raises(units.OutOfRange):
        units.optional_count(-1, "context_length")
