"""OpenAI and the OpenAI-compatible model APIs (Groq, Together, Mistral, DeepSeek, ...): the
catalog at /models, with whatever prices and capabilities each vendor adds to it."""

from __future__ import annotations

from typing import Any

from exporter import money, units
from exporter.http import Client
from exporter.snapshot import Model, Snapshot
from exporter.sources.base import Source, flag, is_free, listing, records, self_provider


class OpenAISource(Source):
    type_name = "openai"
    probe_api = ("openai", "/chat/completions")
    default_url = "https://api.openai.com/v1"
    endpoints = ("models",)

    def poll(self, client: Client) -> Snapshot:
        response, body = client.fetch_json("models", self.url("/models"), headers=self.headers())
        models = tuple(self.each(client, "models", records(listing(body)), lambda item: openai_model(self.name, item)))
        return Snapshot(providers=(self_provider(self, response),), models=models, catalog=True)


def openai_model(provider: str, item: dict[str, Any]) -> Model | None:
    model_id = item["id"]
    if not isinstance(model_id, str) or not model_id:
        raise ValueError("model without an id")
    # Groq lists retired models with active: false; they cannot be called.
    if "active" in item and not flag(item["active"]):
        return None
    prices: dict[str, Any] = {}
    pricing = item.get("pricing")
    if isinstance(pricing, dict):  # Together: USD per million tokens
        prices = {
            token_type: value
            for token_type, key in (("input", "input"), ("output", "output"))
            if (value := money.price(pricing.get(key), money.PER_MILLION_TOKENS)) is not None
        }
        # 0/0 with an hourly price is a dedicated-only model: no per-token price, not free.
        if is_free(prices) and (units.number(pricing.get("hourly")) or 0) > 0:
            prices = {}
    capabilities: tuple[tuple[str, bool], ...] = ()
    caps = item.get("capabilities")
    if isinstance(caps, dict):  # Mistral: booleans, a missing key means false
        capabilities = (("tools", flag(caps.get("function_calling"))), ("vision", flag(caps.get("vision"))))
    # Groq says context_window, Together context_length, Mistral max_context_length.
    context_keys = ("context_window", "context_length", "max_context_length")
    context = next((units.optional_count(item[key], key) for key in context_keys if item.get(key)), None)
    # OpenAI's shutdown_date is a date; Mistral's deprecation an RFC 3339 time, with the model
    # to move to beside it.
    replacement = item.get("deprecation_replacement_model")
    return Model(
        provider=provider,
        id=model_id,
        name=str(item.get("display_name") or item.get("name") or model_id),
        prices=tuple(prices.items()),
        context_length=context,
        free=is_free(prices),
        capabilities=capabilities,
        retires_at=units.iso_to_epoch_seconds(item.get("shutdown_date") or item.get("deprecation")),
        replacement=replacement if isinstance(replacement, str) and replacement else None,
    )
