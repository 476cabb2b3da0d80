"""Proxies in front of LLM vendors: better-ccflare (and the original ccflare) and LiteLLM."""

from __future__ import annotations

from typing import Any

from exporter import money, units
from exporter.defaults import default
from exporter.http import Client
from exporter.snapshot import Model, ProxyAccount, ProxyStatus, Snapshot
from exporter.sources.base import Source, flag, listing, records
from exporter.sources.catalog import is_free, self_provider


class CcflareSource(Source):
    type_name = "ccflare"
    default_url = "http://localhost:8080"
    needs_key = False
    endpoints = ("health", "stats", "accounts")
    auth = "optional x-api-key: <key>"

    @property
    def window_days(self) -> int:
        return int(self.config.options.get("stats_window_days", default("sources[].stats_window_days")))

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
        success = units.number(stats.get("successRate"))
        return Snapshot(proxy=ProxyStatus(
            up=health.get("status") == "ok",
            accounts=tuple(self.each(client, "accounts", records(listing(accounts, "accounts")),
                                     lambda item: ccflare_account(item, now))),
            window_days=self.window_days,
            requests=units.number(stats.get("totalRequests")),
            tokens=units.number(stats.get("totalTokens")),
            cost_usd=money.amount(stats.get("totalCostUsd")),
            success_ratio=success / 100.0 if success is not None else None,
            response_time_seconds=units.ms_to_seconds(stats.get("avgResponseTime")),
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
        total_requests=units.integer(item.get("totalRequests")),
    )


# LiteLLM's supports_* flags, by the capability each one means.
LITELLM_FLAGS = {
    "tools": "supports_function_calling",
    "vision": "supports_vision",
    "reasoning": "supports_reasoning",
    "structured_output": "supports_response_schema",
    "image_generation": "supports_image_generation",
}


# LiteLLM deployment modes whose output is not text.
NON_TEXT_MODES = {"embedding", "image_generation", "audio_speech", "rerank", "moderation"}


class LitellmSource(Source):
    type_name = "litellm"
    probe_api = ("openai", "/chat/completions")
    default_url = "http://localhost:4000"
    needs_key = False
    endpoints = ("readiness", "model_info")
    auth = "Authorization: Bearer <key> (optional, for proxies with a master key)"

    def poll(self, client: Client) -> Snapshot:
        ready = client.get_json("readiness", self.url("/health/readiness"), headers=self.headers())
        status = ready.get("status") if isinstance(ready, dict) else None
        if str(status).lower() not in ("healthy", "connected"):
            raise client.invalid("readiness", f"proxy not ready (status {status!r})")
        response, body = client.fetch_json("model_info", self.url("/model/info"), headers=self.headers())
        models = tuple(self.each(client, "model_info", records(listing(body)), lambda item: litellm_model(self.name,
                                                                                                           item)))
        return Snapshot(providers=(self_provider(self, response, name="LiteLLM"),), models=models, catalog=True)


def litellm_model(provider: str, item: dict[str, Any]) -> Model:
    # Only model_name and model_info are read: litellm_params.api_base can carry credentials.
    model_id = item["model_name"]
    if not isinstance(model_id, str) or not model_id:
        raise ValueError("model without a model_name")
    info = item.get("model_info") if isinstance(item.get("model_info"), dict) else {}
    prices = {
        token_type: value
        for token_type, key in (("input", "input_cost_per_token"), ("output", "output_cost_per_token"),
                                ("cache_read", "cache_read_input_token_cost"))
        if (value := money.price(info.get(key))) is not None
    }
    capabilities = [(cap, flag(info[key])) for cap, key in LITELLM_FLAGS.items() if key in info]
    mode = info.get("mode")
    if mode == "image_generation" and "supports_image_generation" not in info:
        capabilities.append(("image_generation", True))
    return Model(
        provider=provider,
        id=model_id,
        name=model_id,
        prices=tuple(prices.items()),
        context_length=units.integer(info.get("max_input_tokens")),
        free=is_free(prices),
        capabilities=tuple(capabilities),
        text_output=mode not in NON_TEXT_MODES,
    )
