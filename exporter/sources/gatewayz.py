"""GatewayZ: the providers behind a GatewayZ gateway, their health, latency and capabilities."""

from __future__ import annotations

import functools
from typing import Any

from exporter import units
from exporter.http import Client
from exporter.snapshot import HEALTH_STATES, GatewayzStats, Provider, Snapshot
from exporter.sources.base import Source, flag, listing, records, value

STAT_KEYS = ("total", "active", "inactive", "healthy", "degraded", "down", "unknown")
CAPABILITY_KEYS = {
    "streaming": "supports_streaming",
    "function_calling": "supports_function_calling",
    "vision": "supports_vision",
    "image_generation": "supports_image_generation",
}


class GatewayzSource(Source):
    type_name = "gatewayz"
    probe_api = ("openai", "/v1/chat/completions")
    default_url = "https://api.gatewayz.ai"
    endpoints = ("providers", "providers_stats")

    def poll(self, client: Client) -> Snapshot:
        # The API leaves inactive providers out unless asked, and the counts would not add up.
        body = client.get_json(
            "providers", self.url("/providers"), headers=self.headers(), params={"include_inactive": "true"}
        )
        parsed = self.each(client, "providers", records(listing(body)), parse_entry)
        providers = tuple(p for p, _, _ in parsed)
        stats_body = client.get_json("providers_stats", self.url("/providers/stats"), headers=self.headers())
        if not isinstance(stats_body, dict):
            raise client.invalid("providers_stats", "expected a JSON object of counts")
        counts = {key: value(self, client, "providers_stats", key,
                             functools.partial(units.optional_count, stats_body.get(key), key)) or 0
                  for key in STAT_KEYS}
        # GatewayZ answers all zeros with HTTP 200 when its database fails; exporting that
        # would tell dashboards the fleet is empty.
        if providers and not any(counts.values()):
            raise client.invalid("providers_stats", "all counts are zero while /providers lists providers")
        stats = GatewayzStats(
            **counts,
            response_times_ms=tuple((p.id, ms) for p, ms, _ in parsed if ms is not None),
            last_health_checks=tuple((p.id, at) for p, _, at in parsed if at is not None),
        )
        return Snapshot(providers=providers, gatewayz=stats)


def parse_entry(item: dict[str, Any]) -> tuple[Provider, float | None, float | None]:
    """A provider, its average response time in ms as GatewayZ reports it, and when GatewayZ
    last checked its health."""
    return (parse_provider(item),
            units.non_negative(units.number(item.get("average_response_time_ms")), "average_response_time_ms"),
            units.iso_to_epoch_seconds(item.get("last_health_check_at")))


def parse_provider(item: dict[str, Any]) -> Provider:
    slug = item["slug"]
    if not isinstance(slug, str) or not slug:
        raise ValueError("provider without a slug")
    health = str(item.get("health_status") or "unknown").lower()
    return Provider(
        id=slug,
        name=str(item.get("name") or slug),
        health=health if health in HEALTH_STATES else "unknown",
        active=flag(item.get("is_active")),
        response_time_seconds=units.ms_to_seconds(item.get("average_response_time_ms")),
        capabilities=tuple((cap, flag(item.get(key))) for cap, key in CAPABILITY_KEYS.items()),
    )
