"""Vendors polled for their account balance: DeepSeek, Moonshot and SiliconFlow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from exporter import money
from exporter.http import Client
from exporter.snapshot import BalancePart, Money, Snapshot
from exporter.sources.base import Source, flag, self_provider

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


class DeepSeekSource(Source):
    type_name = "deepseek"
    vendor = "DeepSeek"
    probe_api = ("openai", "/chat/completions")
    default_url = "https://api.deepseek.com"
    endpoints = ("balance",)

    def poll(self, client: Client) -> Snapshot:
        response, body = client.fetch_json("balance", self.url("/user/balance"), headers=self.headers())
        if not isinstance(body, dict) or not isinstance(body.get("balance_infos"), list):
            raise client.invalid("balance", "no balance_infos list in the answer")
        balances, parts = [], []
        for info in body["balance_infos"]:
            if not isinstance(info, dict):
                continue
            currency = money.currency_code(info.get("currency"))
            if (total := money.amount(info.get("total_balance"))) is not None:
                balances.append(Money(currency, total))
            for kind, key in (("granted", "granted_balance"), ("topped_up", "topped_up_balance")):
                if (value := money.amount(info.get(key))) is not None:
                    parts.append(BalancePart(currency, kind, value))
        return Snapshot(
            providers=(self_provider(self, response),),
            balances=tuple(balances),
            balance_breakdown=tuple(parts),
            account_available=flag(body["is_available"]) if "is_available" in body else None,
        )


@dataclass(frozen=True, slots=True)
class CurrencyOptions:
    currency: str | None = None  # no default: the host says (money.currency_for_host)


class _HostCurrencySource(Source):
    """Vendors that send no currency: CNY on their .cn hosts, USD elsewhere, unless the
    config's `currency` says otherwise."""

    vendor: ClassVar[str]

    @classmethod
    def parse_options(cls, path: str, raw: Mapping[str, Any], problems: list[str]) -> CurrencyOptions:
        currency = raw.get("currency")
        if currency is not None and not _CURRENCY.match(str(currency)):
            problems.append(f"{path}.currency: {currency!r} is not an ISO 4217 code such as USD or CNY")
        return CurrencyOptions(None if currency is None else str(currency))

    @property
    def currency(self) -> str:
        options: CurrencyOptions = self.config.options or CurrencyOptions()
        return money.currency_code(options.currency, money.currency_for_host(self.host))


class MoonshotSource(_HostCurrencySource):
    type_name = "moonshot"
    vendor = "Moonshot AI"
    probe_api = ("openai", "/chat/completions")
    default_url = "https://api.moonshot.ai/v1"
    endpoints = ("balance",)

    def poll(self, client: Client) -> Snapshot:
        response, body = client.fetch_json("balance", self.url("/users/me/balance"), headers=self.headers())
        data = body.get("data") if isinstance(body, dict) else None
        code = body.get("code", 0) if isinstance(body, dict) else None
        if not isinstance(data, dict) or code != 0:
            raise client.invalid("balance", f"unexpected answer (code {code!r})")
        currency = self.currency
        balances = [Money(currency, v)] if (v := money.amount(data.get("available_balance"))) is not None else []
        # cash_balance goes negative when the account is in debt; that is real, keep the sign.
        parts = [
            BalancePart(currency, kind, value)
            for kind, key in (("cash", "cash_balance"), ("voucher", "voucher_balance"))
            if (value := money.amount(data.get(key))) is not None
        ]
        return Snapshot(providers=(self_provider(self, response),), balances=tuple(balances),
                        balance_breakdown=tuple(parts))


class SiliconFlowSource(_HostCurrencySource):
    type_name = "siliconflow"
    vendor = "SiliconFlow"
    probe_api = ("openai", "/chat/completions")
    default_url = "https://api.siliconflow.cn/v1"
    endpoints = ("user_info",)
    SUCCESS = 20000

    def poll(self, client: Client) -> Snapshot:
        response, body = client.fetch_json("user_info", self.url("/user/info"), headers=self.headers())
        data = body.get("data") if isinstance(body, dict) else None
        code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(data, dict) or code != self.SUCCESS:
            raise client.invalid("user_info", f"code {code!r} is not the success code {self.SUCCESS}")
        currency = self.currency
        total = money.amount(data.get("totalBalance"))
        parts = [
            BalancePart(currency, kind, value)
            for kind, key in (("granted", "balance"), ("topped_up", "chargeBalance"))
            if (value := money.amount(data.get(key))) is not None
        ]
        return Snapshot(
            providers=(self_provider(self, response),),
            balances=(Money(currency, total),) if total is not None else (),
            balance_breakdown=tuple(parts),
        )
