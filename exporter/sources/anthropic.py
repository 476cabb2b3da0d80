"""Anthropic: the model catalog at /v1/models, paged by after_id."""

from __future__ import annotations

from typing import Any

from exporter import units
from exporter.http import Client
from exporter.snapshot import Model, Snapshot
from exporter.sources.base import Source, flag, paged_catalog, self_provider


class AnthropicSource(Source):
    type_name = "anthropic"
    vendor = "Anthropic"
    probe_api = ("anthropic", "/v1/messages")
    default_url = "https://api.anthropic.com"
    endpoints = ("models",)
    auth = "x-api-key: <key>, anthropic-version: 2023-06-01"
    PAGE_SIZE = 100

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.config.api_key or "", "anthropic-version": "2023-06-01"}

    def poll(self, client: Client) -> Snapshot:
        def next_cursor(body: Any) -> str | None:
            if isinstance(body, dict) and body.get("has_more") and body.get("last_id"):
                return str(body["last_id"])
            return None

        first, items = paged_catalog(self, client, "/v1/models", {"limit": self.PAGE_SIZE}, "after_id", next_cursor)
        models = tuple(self.each(client, "models", items, lambda item: anthropic_model(self.name, item)))
        return Snapshot(providers=(self_provider(self, first),), models=models, catalog=True)


def _supported(caps: dict[str, Any], key: str) -> bool | None:
    entry = caps.get(key)
    if isinstance(entry, dict) and "supported" in entry:
        return flag(entry["supported"])
    return None


def anthropic_model(provider: str, item: dict[str, Any]) -> Model:
    model_id = item["id"]
    if not isinstance(model_id, str) or not model_id:
        raise ValueError("model without an id")
    capabilities = []
    caps = item.get("capabilities")
    if isinstance(caps, dict):  # newer API versions only; older ones omit it
        for capability, key in (("vision", "image_input"), ("tools", "tool_use"), ("reasoning", "thinking"),
                                ("structured_output", "structured_outputs")):
            if (supported := _supported(caps, key)) is not None:
                capabilities.append((capability, supported))
    return Model(
        provider=provider,
        id=model_id,
        name=str(item.get("display_name") or model_id),
        context_length=units.optional_count(item.get("max_input_tokens"), "max_input_tokens"),
        capabilities=tuple(capabilities),
    )
