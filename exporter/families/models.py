"""Model catalogs: each model's prices, context and capabilities, and catalog sizes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterator

from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.views import FleetView, SourceView

F = Family
SPM = ("source", "provider", "model")
FAMILIES = (
    F("llm_model_info", "gauge", "–", (*SPM, "name"),
      "A model in the source's catalog, with its display name; always 1." + CACHED),
    F("llm_model_price_usd_per_token", "gauge", "USD per token", (*SPM, "token_type"),
      "Model price in USD per token by token_type (input, output, cache_read); dynamic or unknown prices are "
      "absent." + CACHED),
    F("llm_model_context_length_tokens", "gauge", "tokens", SPM, "Model context window in tokens." + CACHED),
    F("llm_model_free", "gauge", "0/1", SPM, "1 when the model costs nothing to call." + CACHED),
    F("llm_model_capability", "gauge", "0/1", (*SPM, "capability"),
      "1 when the model supports the capability (tools, vision, image_generation, reasoning, structured_output), "
      "as far as the source can tell." + CACHED),
    F("llm_model_retirement_timestamp_seconds", "gauge", "unix seconds", SPM,
      "When the vendor says the model will be retired (OpenRouter's expiration_date, OpenAI's shutdown_date, "
      "Mistral's deprecation), else the date a liveness check's refusal names (\"end of life on 2026-08-07\"); "
      "absent for a model without a date." + CACHED),
    F("llm_model_replacement_info", "gauge", "–", (*SPM, "replacement"),
      "The model the vendor names as the retiring model's replacement (Mistral's deprecation_replacement_model); "
      "always 1." + CACHED),
    F("llm_models", "gauge", "models", ("source", "provider"), "Models in the provider's catalog." + CACHED),
    F("llm_models_free", "gauge", "models", ("source", "provider"), "Free models in the provider's catalog." + CACHED),
)


def _key(view: FleetView, s: SourceView) -> Hashable:
    snap = s.snapshot
    if snap is None:
        return (None,)
    return (Same(snap.models), snap.catalog, tuple(p.id for p in snap.providers if p.follows_source),
            tuple(sorted(view.liveness.retirements(s.name).items())))


def _samples(view: FleetView, s: SourceView) -> Iterator[Sample]:
    snap = s.snapshot
    if snap is None:
        return
    counts: Counter[str] = Counter()
    free: Counter[str] = Counter()
    refused = view.liveness.retirements(s.name)  # what a liveness check's refusal said, when the list says nothing
    if snap.catalog:  # an empty catalog is 0 models, not no answer
        for p in snap.providers:
            if p.follows_source:
                counts[p.id] += 0
                free[p.id] += 0
    for m in snap.models:
        counts[m.provider] += 1
        free[m.provider] += m.free
        key = (s.name, m.provider, m.id)
        yield "llm_model_info", (*key, m.name), 1
        for token_type, price in m.prices:
            yield "llm_model_price_usd_per_token", (*key, token_type), price
        if m.context_length is not None:
            yield "llm_model_context_length_tokens", key, m.context_length
        yield "llm_model_free", key, m.free
        for capability, supported in m.capabilities:
            yield "llm_model_capability", (*key, capability), supported
        retires_at = m.retires_at if m.retires_at is not None else refused.get(m.id)
        if retires_at is not None:
            yield "llm_model_retirement_timestamp_seconds", key, retires_at
        if m.replacement is not None:
            yield "llm_model_replacement_info", (*key, m.replacement), 1
    for provider, count in sorted(counts.items()):
        yield "llm_models", (s.name, provider), count
        yield "llm_models_free", (s.name, provider), free[provider]


PARTS = (Part("models", "source", _key, _samples),)
