"""OpenRouter's model catalog (`GET /models?output_modalities=all`): prices in USD per token
as decimal strings (OpenRouter's "-1" marks a dynamic price, never a real one), free models,
capabilities from `supported_parameters` and the modality lists, retirement dates."""

from __future__ import annotations

from typing import Any

from exporter import money, units
from exporter.snapshot import Model
from exporter.sources.base import mapping

PRICE_KEYS = {"input": "prompt", "output": "completion", "cache_read": "input_cache_read"}


def provider_capabilities(models: tuple[Model, ...]) -> list[tuple[str, bool]]:
    """The provider supports what any of its models supports; a capability none of its
    models reports is not reported for the provider either."""
    out = []
    for capability, model_capability in (("function_calling", "tools"), ("vision", "vision"),
                                         ("image_generation", "image_generation")):
        reported = [ok for m in models if (ok := m.capability(model_capability)) is not None]
        if reported:
            out.append((capability, any(reported)))
    return out


def parse_model(provider: str, item: dict[str, Any]) -> Model:
    model_id = item["id"]
    if not isinstance(model_id, str) or not model_id:
        raise ValueError("model without an id")
    pricing = mapping(item.get("pricing"))
    prices = tuple(
        (token_type, value)
        for token_type, key in PRICE_KEYS.items()
        if (value := money.price(pricing.get(key))) is not None
    )
    by_type = dict(prices)
    zero_priced = by_type.get("input") == 0 and by_type.get("output") == 0
    inputs, outputs = modalities(item.get("architecture"))
    capabilities: list[tuple[str, bool]] = []
    if inputs is not None:
        capabilities.append(("vision", "image" in inputs))
    if outputs is not None:
        capabilities.append(("image_generation", "image" in outputs))
    # Older catalogs have no supported_parameters: then tools, reasoning and structured
    # output are not reported, which is not the same as not supported.
    params = item.get("supported_parameters")
    if isinstance(params, list):
        names = set(params)
        capabilities += [
            ("tools", "tools" in names),
            ("reasoning", bool(names & {"reasoning", "include_reasoning"})),
            ("structured_output", bool(names & {"structured_outputs", "response_format"})),
        ]
    return Model(
        provider=provider,
        id=model_id,
        name=str(item.get("name") or model_id),
        prices=prices,
        context_length=units.optional_count(item.get("context_length"), "context_length"),
        free=model_id.endswith(":free") or zero_priced,
        capabilities=tuple(capabilities),
        text_output=outputs is None or "text" in outputs,
        # YYYY-MM-DD: the model stops being served at that day's 00:00 UTC.
        retires_at=units.iso_to_epoch_seconds(item.get("expiration_date")),
    )


def modalities(arch: Any) -> tuple[set[str] | None, set[str] | None]:
    """Input and output modalities: the lists of current catalogs, else the legacy
    `modality` string ("text+image->text"); None where the catalog says nothing."""
    if not isinstance(arch, dict):
        return None, None
    inputs, outputs = arch.get("input_modalities"), arch.get("output_modalities")
    if isinstance(inputs, list) or isinstance(outputs, list):
        return (set(inputs) if isinstance(inputs, list) else None,
                set(outputs) if isinstance(outputs, list) else None)
    legacy = arch.get("modality")
    if isinstance(legacy, str) and "->" in legacy:
        left, right = legacy.split("->", 1)
        return set(filter(None, left.split("+"))), set(filter(None, right.split("+")))
    return None, None
