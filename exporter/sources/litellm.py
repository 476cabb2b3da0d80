"""LiteLLM's proxy: whether it is ready, and the models it serves with their prices and
capabilities."""

from __future__ import annotations

from typing import Any

from exporter import money, units
from exporter.http import Client
from exporter.snapshot import Model, Snapshot
from exporter.sources.base import Source, flag, is_free, listing, mapping, records, self_provider

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
