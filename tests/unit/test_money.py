"""Money: the currency a vendor means when it says none."""

from __future__ import annotations


def test_currency_for_host() -> None:
    from exporter.money import currency_for_host

    assert currency_for_host("api.moonshot.cn") == "CNY"
    assert currency_for_host("api.siliconflow.cn") == "CNY"
    assert currency_for_host("api.moonshot.ai") == "USD"
    assert currency_for_host("api.siliconflow.com") == "USD"
