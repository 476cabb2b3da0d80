"""The balance vendors: DeepSeek (strings, several currencies), Moonshot (currency by host,
negative cash), SiliconFlow (its success code)."""

from __future__ import annotations

import pytest

from exporter.http import FetchError
from exporter.snapshot import BalancePart, Money
from tests.support.adapters import D, poll
from tests.support.fakeserver import FakeServer, fixture_reply, json_reply


# -- balances -------------------------------------------------------------------------------
def test_deepseek_balance(fake: FakeServer) -> None:
    fake.routes["/user/balance"] = fixture_reply("deepseek__user_balance.json")
    snap, _ = poll("deepseek", fake.url)
    assert snap.balances == (Money("CNY", D("110.00")),)
    assert snap.balance_breakdown == (BalancePart("CNY", "granted", D("10.00")),
                                      BalancePart("CNY", "topped_up", D("100.00")))
    assert snap.account_available is True


def test_deepseek_exhausted_multi_currency(fake: FakeServer) -> None:
    fake.routes["/user/balance"] = fixture_reply("deepseek__user_balance_multi.json")
    snap, _ = poll("deepseek", fake.url)
    assert snap.balances == (Money("USD", D("0.00")), Money("CNY", D("0.00")))
    assert snap.account_available is False


def test_moonshot_currency_by_host(fake: FakeServer) -> None:
    fake.routes["/users/me/balance"] = fixture_reply("moonshot__users_me_balance.json")
    snap, _ = poll("moonshot", fake.url)  # 127.0.0.1 is not a .cn host
    assert snap.balances == (Money("USD", D("49.58894")),)
    assert snap.balance_breakdown == (BalancePart("USD", "cash", D("3.00001")),
                                      BalancePart("USD", "voucher", D("46.58893")))
    snap, _ = poll("moonshot", fake.url, currency="cny")
    assert snap.balances[0].currency == "CNY"


def test_moonshot_negative_cash(fake: FakeServer) -> None:
    fake.routes["/users/me/balance"] = json_reply({"code": 0, "data": {
        "available_balance": 0, "voucher_balance": 0, "cash_balance": -4.5}, "status": True})
    snap, _ = poll("moonshot", fake.url)
    assert BalancePart("USD", "cash", D("-4.5")) in snap.balance_breakdown


def test_siliconflow_user_info(fake: FakeServer) -> None:
    fake.routes["/user/info"] = fixture_reply("siliconflow__user_info.json")
    snap, rec = poll("siliconflow", fake.url)
    assert snap.balances == (Money("USD", D("88.88")),)
    assert snap.balance_breakdown == (BalancePart("USD", "granted", D("0.88")),
                                      BalancePart("USD", "topped_up", D("88.00")))
    assert rec.requests == {"user_info": 1}


def test_siliconflow_failure_code(fake: FakeServer) -> None:
    fake.routes["/user/info"] = json_reply({"code": 30001, "message": "insufficient", "status": False,
                                            "data": None})
    with pytest.raises(FetchError) as err:
        poll("siliconflow", fake.url)
    assert (err.value.reason, err.value.endpoint) == ("invalid_response", "user_info")
