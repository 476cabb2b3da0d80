"""Values that cannot be true are not facts: the one place every parser checks what it reads
(units.py and money.py), and what a parser does with a value outside it: the item, or the one
value of a single-object answer, is left out and counted as invalid_response, never exported."""

from __future__ import annotations

import copy
import json
import logging
from decimal import Decimal

import pytest

from exporter import money, units
from exporter.sources.openrouter.catalog import parse_model
from exporter.sources.openrouter.upstreams import parse_upstream
from tests.support.adapters import poll
from tests.support.fakeserver import FakeServer, fixture, fixture_reply, json_reply

NOW = 1_795_000_000.0


@pytest.mark.parametrize(("read", "raw"), [
    (units.percent_to_ratio, 150), (units.percent_to_ratio, -1), (units.ms_to_seconds, -5),
    (units.epoch_ms_to_seconds, 1e18), (units.epoch_ms_to_seconds, 5), (units.iso_to_epoch_seconds, "0001-12-31"),
    (units.iso_to_epoch_seconds, "2999-01-01T00:00:00Z"), (money.spend, "-0.01"),
    (lambda v: units.count(v, "tokens"), -3), (lambda v: units.timestamp(units.number(v)), 1e308),
])
def test_a_value_outside_its_range_is_out_of_range(read, raw) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(units.OutOfRange):
        read(raw)


def test_values_inside_their_range_read_as_before() -> None:
    assert units.percent_to_ratio("99.62") == 0.9962 and units.percent_to_ratio(0) == 0.0
    assert units.ms_to_seconds(2229.5) == 2.2295
    assert units.iso_to_epoch_seconds("2026-12-31") == 1798675200.0
    assert units.epoch_ms_to_seconds(1779321600000) == 1779321600.0
    assert money.spend("0.5") == Decimal("0.5") and money.amount("-5") == Decimal(-5)  # a balance may be debt
    assert units.count("12", "tokens") == 12 and units.optional_count(None, "tokens") is None


def test_an_upstream_with_an_impossible_uptime_or_latency_is_left_out() -> None:
    good = json.loads(fixture("openrouter__model_endpoints.json"))["data"]["endpoints"][0]
    for field, bad in (("uptime_last_5m", 150), ("latency_last_30m", {"p50": -20})):
        item = copy.deepcopy(good)
        item[field] = bad
        with pytest.raises(units.OutOfRange):
            parse_upstream(item)
    assert parse_upstream(good).uptime[0] == ("5m", 1.0)


def test_a_retirement_in_year_one_leaves_the_model_out_not_a_date_on_the_page() -> None:
    with pytest.raises(units.OutOfRange):
        parse_model("or", {"id": "x/y", "expiration_date": "0001-12-31", "pricing": {}})


def test_a_key_with_a_negative_spend_keeps_the_rest_and_counts_it(fake: FakeServer,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    key = json.loads(fixture("openrouter__key.json"))
    key["data"]["usage_daily"] = -12.5
    fake.routes["/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/key"] = json_reply(key)
    fake.routes["/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    for _ in range(2):
        snapshot, recorder = poll("openrouter", fake.url, now=NOW)
    spend = dict(snapshot.spend)
    assert "day" not in spend and spend["total"] == Decimal(str(key["data"]["usage"]))
    assert recorder.failures[("key", "invalid_response")] == 1
    assert snapshot.models  # the rest of the poll stands


def test_a_proxy_reporting_150_percent_success_has_no_ratio(fake: FakeServer) -> None:
    stats = json.loads(fixture("better_ccflare__stats.json"))
    stats["successRate"], stats["avgResponseTime"] = 150, -3
    fake.routes["/health"] = fixture_reply("better_ccflare__health.json")
    fake.routes["/api/stats"] = json_reply(stats)
    fake.routes["/api/accounts"] = fixture_reply("better_ccflare__accounts.json")
    snapshot, recorder = poll("ccflare", fake.url, key=None, now=NOW)
    assert snapshot.proxy is not None
    assert snapshot.proxy.success_ratio is None and snapshot.proxy.response_time_seconds is None
    assert snapshot.proxy.requests == stats["totalRequests"]
    assert recorder.failures[("stats", "invalid_response")] == 2


def test_a_count_that_is_not_a_number_is_unknown_and_a_negative_one_out_of_range() -> None:
    assert units.optional_count("about 128000", "context_length") is None  # what does not parse is absent
    assert units.optional_count("8192", "context_length") == 8192
    with pytest.raises(units.OutOfRange):
        units.optional_count(-1, "context_length")
