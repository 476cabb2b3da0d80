"""LiteLLM's proxy: whether it is ready, the models it serves with their prices and
capabilities, and with `spend_logs: true` the calls it logged (spendlogs.py)."""

from __future__ import annotations

import logging
from typing import Any

from exporter import money, units
from exporter.http import Client, FetchError
from exporter.redact import redact
from exporter.snapshot import Model, Snapshot, UsageRow
from exporter.sources import spendlogs
from exporter.sources.base import Source, SourceConfig, flag, is_free, listing, mapping, records, self_provider
from exporter.spend import feeds

log = logging.getLogger(__name__)

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
    endpoints = ("readiness", "model_info", "spend_logs")
    auth = "Authorization: Bearer <key> (optional, for proxies with a master key)"

    def __init__(self, config: SourceConfig):
        super().__init__(config)
        self._feed_failing = False  # so an unreadable spend log is logged once per streak

    def poll(self, client: Client) -> Snapshot:
        ready = client.get_json("readiness", self.url("/health/readiness"), headers=self.headers())
        status = ready.get("status") if isinstance(ready, dict) else None
        if str(status).lower() not in ("healthy", "connected"):
            raise client.invalid("readiness", f"proxy not ready (status {status!r})")
        response, body = client.fetch_json("model_info", self.url("/model/info"), headers=self.headers())
        items = listing(body)
        models = tuple(self.each(client, "model_info", records(items), lambda item: litellm_model(self.name, item)))
        rows = self._spend_logs(client, spendlogs.model_providers(items)) if self.config.options.get(
            "spend_logs") else ()
        return Snapshot(providers=(self_provider(self, response, name="LiteLLM"),), models=models, catalog=True,
                        usage_rows=rows)

    def _spend_logs(self, client: Client, providers: dict[str, str]) -> tuple[UsageRow, ...]:
        """The calls logged since the usage book's cursor for this source, less its lookback
        (from the start of the month before the first), oldest first."""
        now = client.now()
        since = feeds.since(self.usage_cursor(self.name), units.window_start("month", now))
        try:
            body = client.get_json("spend_logs", self.url("/spend/logs"), headers=self.headers(),
                                   params=spendlogs.query(since, now))
            if not isinstance(body, list | dict):
                raise client.invalid("spend_logs", "expected a list of spend-log rows")
            rows = self.each(client, "spend_logs", records(listing(body)),
                             lambda item: spendlogs.parse_row(item, providers, self.name))
        except (FetchError, ValueError) as err:
            # Counted under endpoint="spend_logs"; the proxy itself answered, so the source
            # stays up and the next poll reads from the same cursor: nothing is lost.
            if isinstance(err, ValueError):
                client.invalid("spend_logs", str(err))
            if not self._feed_failing:
                log.warning("%s: spend logs unreadable, usage waits for the next poll: %s", self.name,
                            err.message if isinstance(err, FetchError) else redact(str(err)),
                            extra={"fields": {"source": self.name, "endpoint": "spend_logs"}})
            self._feed_failing = True
            return ()
        if self._feed_failing:
            log.info("%s: spend logs readable again", self.name, extra={"fields": {"source": self.name}})
        self._feed_failing = False
        return tuple(sorted((r for r in rows if r.event.ts >= since), key=lambda r: (r.event.ts, r.request_id)))


def litellm_model(provider: str, item: dict[str, Any]) -> Model:
    # Only model_name and model_info are read: litellm_params.api_base can carry credentials.
    model_id = item["model_name"]
    if not isinstance(model_id, str) or not model_id:
        raise ValueError("model without a model_name")
    info = mapping(item.get("model_info"))
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
        # The date LiteLLM's model cost map gives for the model's retirement, when the proxy
        # passes it through.
        retires_at=units.iso_to_epoch_seconds(info.get("deprecation_date")),
    )
