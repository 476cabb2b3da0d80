"""Google Gemini: the model catalog at /models, paged by pageToken."""

from __future__ import annotations

from typing import Any

from exporter import units
from exporter.http import Client
from exporter.snapshot import Model, Snapshot
from exporter.sources.base import Source, flag, paged_catalog, self_provider


class GeminiSource(Source):
    type_name = "gemini"
    vendor = "Google Gemini"
    probe_api = ("gemini", "/models/{model}:streamGenerateContent?alt=sse")
    default_url = "https://generativelanguage.googleapis.com/v1beta"
    endpoints = ("models",)
    auth = "x-goog-api-key: <key>"
    PAGE_SIZE = 1000

    def headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.config.api_key or ""}

    def poll(self, client: Client) -> Snapshot:
        def next_cursor(body: Any) -> str | None:
            token = body.get("nextPageToken") if isinstance(body, dict) else None
            return str(token) if token else None

        first, items = paged_catalog(self, client, "/models", {"pageSize": self.PAGE_SIZE}, "pageToken", next_cursor)
        models = tuple(self.each(client, "models", items, lambda item: gemini_model(self.name, item)))
        return Snapshot(providers=(self_provider(self, first),), models=models, catalog=True)


def gemini_model(provider: str, item: dict[str, Any]) -> Model:
    name = item["name"]
    if not isinstance(name, str) or not name:
        raise ValueError("model without a name")
    model_id = name.removeprefix("models/")
    capabilities = (("reasoning", flag(item["thinking"])),) if "thinking" in item else ()
    methods = item.get("supportedGenerationMethods")
    return Model(
        provider=provider,
        id=model_id,
        name=str(item.get("displayName") or model_id),
        context_length=units.optional_count(item.get("inputTokenLimit"), "inputTokenLimit"),
        capabilities=capabilities,
        # Embedding models list embedContent and no generateContent: they produce no text.
        text_output=not isinstance(methods, list) or "generateContent" in methods,
    )
