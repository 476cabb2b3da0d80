"""better-ccflare (and the original ccflare): a proxy that spreads Claude traffic over several
accounts; its health, its accounts' states and its windowed stats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exporter import money, units
from exporter.defaults import default
from exporter.http import Client
from exporter.snapshot import ProxyAccount, ProxyStatus, Snapshot
from exporter.sources.base import Source, flag, listing, records, value


@dataclass(frozen=True, slots=True)
class CcflareOptions:
    stats_window_days: int = default("sources[].stats_window_days")


class CcflareSource(Source):
    type_name = "ccflare"
    default_url = "http://localhost:8080"
    needs_key = False
    endpoints = ("health", "stats", "accounts")
    auth = "optional x-api-key: <key>"

    @classmethod
    def parse_options(cls, path: str, raw: Mapping[str, Any], problems: list[str]) -> CcflareOptions:
        return CcflareOptions(**raw)

    @property
    def window_days(self) -> int:
        options: CcflareOptions = self.config.options or CcflareOptions()
        return options.stats_window_days

    def headers(self) -> dict[str, str]:
        key = self.config.api_key
        return {"x-api-key": key} if key else {}

    def poll(self, client: Client) -> Snapshot:
        headers = self.headers()
        # better-ccflare answers 503 when its pool is degraded, with the full body: that is
        # the proxy reporting on itself, not a failed poll.
        health = client.get_json("health", self.url("/health"), headers=headers, accept=(200, 503))
        if not isinstance(health, dict) or "status" not in health:
            raise client.invalid("health", "no status in the /health answer")
        stats = client.get_json("stats", self.url("/api/stats"), headers=headers,
                                params={"since": self.window_days})
        if not isinstance(stats, dict):
            raise client.invalid("stats", "expected a JSON object")
        accounts = client.get_json("accounts", self.url("/api/accounts"), headers=headers)
        now = client.now()
        return Snapshot(proxy=ProxyStatus(
            up=health.get("status") == "ok",
            accounts=tuple(self.each(client, "accounts", records(listing(accounts, "accounts")),
                                     lambda item: ccflare_account(item, now))),
            window_days=self.window_days,
            requests=value(self, client, "stats", "totalRequests",
                           lambda: units.non_negative(units.number(stats.get("totalRequests")), "totalRequests")),
            tokens=value(self, client, "stats", "totalTokens",
                         lambda: units.non_negative(units.number(stats.get("totalTokens")), "totalTokens")),
            cost_usd=value(self, client, "stats", "totalCostUsd", lambda: money.spend(stats.get("totalCostUsd"))),
            success_ratio=value(self, client, "stats", "successRate",
                                lambda: units.percent_to_ratio(stats.get("successRate"))),
            response_time_seconds=value(self, client, "stats", "avgResponseTime",
                                        lambda: units.ms_to_seconds(stats.get("avgResponseTime"))),
        ))


def ccflare_account(item: dict[str, Any], now: float) -> ProxyAccount:
    name = item["name"]
    if not isinstance(name, str) or not name:
        raise ValueError("account without a name")
    # rateLimitStatus is display prose ("Rate limited (37m)"); the epoch field is the truth.
    until = units.epoch_ms_to_seconds(item.get("rateLimitedUntil"))
    if until is not None and until <= now:
        until = None
    state = "paused" if flag(item.get("paused")) else ("rate_limited" if until is not None else "available")
    return ProxyAccount(
        name=name,
        state=state,
        rate_limited_until=until,
        token_expires_at=units.iso_to_epoch_seconds(item.get("tokenExpiresAt")),
        total_requests=units.optional_count(item.get("totalRequests"), "totalRequests"),
    )
