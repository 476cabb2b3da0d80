"""openai_costs and anthropic_costs against the recorded report shapes, re-dated to the month
of the engine's clock, which the tests pin: the adapters ask for the month the engine says it
is, whatever the calendar outside says."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from exporter.http import FetchError
from tests.support.adapters import KEY, poll
from tests.support.fakeserver import FakeServer, fixture, json_reply

D = Decimal


NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC).timestamp()  # the engine's clock in these tests


def today(now: float = NOW) -> float:
    return datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def month_start(now: float = NOW) -> float:
    return datetime.fromtimestamp(now, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def redated(name: str, starts: list[float], key: str = "start_time") -> dict[str, Any]:
    """The fixture with its buckets moved to the given days (the recordings are from 2024-2025)."""
    body = json.loads(fixture(name))
    buckets = body["data"]
    while len(buckets) < len(starts):
        buckets.append(json.loads(json.dumps(buckets[-1])))
    for bucket, start in zip(buckets, starts, strict=False):
        if key == "start_time":
            bucket["start_time"], bucket["end_time"] = int(start), int(start) + 86400
        else:
            bucket["starting_at"], bucket["ending_at"] = iso(start), iso(start + 86400)
    return body


def test_openai_costs_day_and_month(fake: FakeServer) -> None:
    days = [month_start(), today()]
    costs = redated("openai__costs_string_amount.json", days)  # 12.5 and "2.25" per bucket
    fake.routes["/organization/costs"] = json_reply(costs)
    first = redated("openai__usage_completions.json", [today()])  # has_more, with a next_page cursor
    last = redated("openai__usage_completions_grouped.json", [today(), today() + 86400])
    cursor = first["next_page"]
    fake.routes["/organization/usage/completions"] = lambda q: json_reply(last if q.get("page") == [cursor]
                                                                          else first)
    snap, rec = poll("openai_costs", fake.url, now=NOW)
    spend = dict(snap.spend)
    assert spend["day"] == D("14.75")
    assert spend["month"] == D("14.75") * len(days)
    assert dict(snap.vendor_usage) == {
        # page 1 (no model grouping): 1000 input of which 400 cached, 500 output
        ("unknown", "input"): 600, ("unknown", "cache_read"): 400, ("unknown", "output"): 500,
        ("gpt-4o-mini-2024-07-18", "input"): 3200, ("gpt-4o-mini-2024-07-18", "cache_read"): 1800,
        ("gpt-4o-mini-2024-07-18", "output"): 1000,
        ("gpt-4o-2024-08-06", "input"): 120, ("gpt-4o-2024-08-06", "cache_read"): 0,
        ("gpt-4o-2024-08-06", "output"): 30,
    }
    assert rec.requests == {"costs": 1, "usage": 2}
    costs_call = fake.requests_to("/organization/costs")[0]
    assert costs_call.headers["Authorization"] == f"Bearer {KEY}"
    assert costs_call.query["start_time"] == [str(int(month_start()))]
    assert costs_call.query["bucket_width"] == ["1d"]
    assert fake.requests_to("/organization/usage/completions")[0].query["group_by"] == ["model"]


def test_openai_costs_ignore_buckets_before_the_month(fake: FakeServer) -> None:
    fake.routes["/organization/costs"] = json_reply(redated("openai__costs.json", [month_start() - 86400]))
    fake.routes["/organization/usage/completions"] = json_reply({"data": [], "has_more": False})
    snap, _ = poll("openai_costs", fake.url, now=NOW)
    assert dict(snap.spend) == {"day": 0, "month": 0}


def test_openai_costs_reject_an_unusable_amount(fake: FakeServer) -> None:
    body = redated("openai__costs.json", [today()])
    body["data"][0]["results"][0]["amount"]["value"] = "n/a"
    fake.routes["/organization/costs"] = json_reply(body)
    with pytest.raises(FetchError) as err:
        poll("openai_costs", fake.url, now=NOW)
    assert (err.value.endpoint, err.value.reason) == ("costs", "invalid_response")


def test_anthropic_costs_in_cents(fake: FakeServer) -> None:
    fake.routes["/v1/organizations/cost_report"] = json_reply(
        redated("anthropic__cost_report.json", [today()], key="starting_at"))
    first = redated("anthropic__usage_report_messages.json", [today()], key="starting_at")
    cursor = first["next_page"]
    fake.routes["/v1/organizations/usage_report/messages"] = lambda q: json_reply(
        {"data": [], "has_more": False, "next_page": None} if q.get("page") == [cursor] else first)
    snap, rec = poll("anthropic_costs", fake.url, now=NOW)
    # "123.45" and "10.00" cents: $1.3345
    assert dict(snap.spend) == {"day": D("1.3345"), "month": D("1.3345")}
    assert dict(snap.vendor_usage) == {
        ("claude-sonnet-4-20250514", "input"): 1500, ("claude-sonnet-4-20250514", "cache_read"): 200,
        ("claude-sonnet-4-20250514", "output"): 500, ("claude-sonnet-4-20250514", "cache_write"): 1500,
    }
    assert rec.requests == {"costs": 1, "usage": 2}
    call = fake.requests_to("/v1/organizations/cost_report")[0]
    assert call.headers["x-api-key"] == KEY and call.headers["anthropic-version"] == "2023-06-01"
    assert call.query["starting_at"] == [iso(month_start())]
    assert fake.requests_to("/v1/organizations/usage_report/messages")[0].query["group_by[]"] == ["model"]


def test_on_the_first_day_of_a_month_only_that_day_counts(fake: FakeServer) -> None:
    """Just after 00:00 UTC on the 1st, day and month are the same bucket, and last month's
    buckets (which the report may still hold) count for neither."""
    first = datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC).timestamp()
    fake.routes["/organization/costs"] = json_reply(
        redated("openai__costs_string_amount.json", [today(first) - 86400, today(first)]))
    fake.routes["/organization/usage/completions"] = json_reply({"data": [], "has_more": False})
    snap, _ = poll("openai_costs", fake.url, now=first)
    assert dict(snap.spend) == {"day": D("14.75"), "month": D("14.75")}
    assert fake.requests_to("/organization/costs")[0].query["start_time"] == [str(int(today(first)))]
