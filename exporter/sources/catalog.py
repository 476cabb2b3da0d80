"""Model-catalog vendors whose provider is the source itself: OpenAI and the OpenAI-compatible
APIs (Groq, Together, Mistral, DeepSeek, ...), Anthropic and Gemini."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exporter import money, units
from exporter.http import Client, Response
from exporter.snapshot import Model, Provider, Snapshot
from exporter.sources.base import Source, flag, listing, paginate, records

# Display names for the well-known OpenAI-compatible hosts; others show their host.
VENDOR_NAMES = {
    "api.openai.com": "OpenAI",
    "api.groq.com": "Groq",
    "api.together.xyz": "Together",
    "api.mistral.ai": "Mistral",
    "api.deepseek.com": "DeepSeek",
    "api.anthropic.com": "Anthropic",
    "generativelanguage.googleapis.com": "Google Gemini",
}


def self_provider(source: Source, response: Response | None, name: str | None = None) -> Provider:
    """The one provider of a direct vendor: named after the source, healthy while it answers."""
    return Provider(
        id=source.name,
        name=name or VENDOR_NAMES.get(source.host, source.host or source.name),
        health="healthy",
        active=True,
        response_time_seconds=response.elapsed if response is not None else None,
        follows_source=True,
    )


def paged_catalog(
    source: Source,
    client: Client,
    path: str,
    params: dict[str, Any],
    cursor_param: str,
    next_cursor: Callable[[Any], str | None],
) -> tuple[Response, list[dict[str, Any]]]:
    """Every model entry of a cursor-paged catalog, and the first page's response (whose
    latency stands for the provider's)."""
    responses: list[Response] = []

    def fetch(cursor: str | None) -> Any:
        page_params = {**params, cursor_param: cursor} if cursor else params
        response, body = client.fetch_json("models", source.url(path), headers=source.headers(), params=page_params)
        responses.append(response)
        return body

    items: list[dict[str, Any]] = []
    for body in paginate(fetch, next_cursor, max_pages=source.config.max_pages, source=source.name):
        items.extend(records(listing(body)))
        if len(items) > source.config.max_models:
            # Past the cap the rest would be dropped anyway: a catalog whose every page says
            # "more" is not held whole first. The engine counts what is over the cap.
            break
    return responses[0], items


def is_free(prices: dict[str, Any]) -> bool:
    return prices.get("input") == 0 and prices.get("output") == 0


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
    context = next((units.integer(item[key]) for key in context_keys if item.get(key)), None)
    return Model(
        provider=provider,
        id=model_id,
        name=str(item.get("display_name") or item.get("name") or model_id),
        prices=tuple(prices.items()),
        context_length=context,
        free=is_free(prices),
        capabilities=capabilities,
    )


class AnthropicSource(Source):
    type_name = "anthropic"
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
        context_length=units.integer(item.get("max_input_tokens")),
        capabilities=tuple(capabilities),
    )


class GeminiSource(Source):
    type_name = "gemini"
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
        context_length=units.integer(item.get("inputTokenLimit")),
        capabilities=capabilities,
        # Embedding models list embedContent and no generateContent: they produce no text.
        text_output=not isinstance(methods, list) or "generateContent" in methods,
    )
