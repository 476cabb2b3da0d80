"""LiteLLM's proxy: whether it is ready, the models it serves with their prices and
capabilities, and the deployments behind each model group; with `spend_logs: true` it also
offers the calls it logged as a usage feed (spendlogs.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exporter import money, units
from exporter.defaults import default
from exporter.http import Client
from exporter.snapshot import Deployment, Model, Snapshot
from exporter.sources import keys
from exporter.sources.base import (
    Source,
    SourceConfig,
    UsageFeed,
    flag,
    is_free,
    listing,
    mapping,
    records,
    self_provider,
)
from exporter.sources.keys import FOLDED_FAMILY as KEYS_FAMILY
from exporter.sources.litellm.keys import read_keys
from exporter.sources.litellm.spendlogs import MAX_LABEL, SpendLogReader

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


@dataclass(frozen=True, slots=True)
class LitellmOptions:
    spend_logs: bool = default("sources[].spend_logs")
    keys: bool = default("sources[].keys")


class LitellmSource(Source):
    type_name = "litellm"
    vendor = "LiteLLM"
    probe_api = ("openai", "/chat/completions")
    default_url = "http://localhost:4000"
    needs_key = False
    endpoints = ("readiness", "model_info", "spend_logs", "keys", "teams")
    auth = "Authorization: Bearer <key> (optional, for proxies with a master key)"

    def __init__(self, config: SourceConfig):
        super().__init__(config)
        options: LitellmOptions = config.options or LitellmOptions()
        self._spend_logs = SpendLogReader(self) if options.spend_logs else None
        self._keys = options.keys

    @classmethod
    def parse_options(cls, path: str, raw: Mapping[str, Any], problems: list[str]) -> LitellmOptions:
        return LitellmOptions(**raw)

    @classmethod
    def feeds_usage(cls, config: SourceConfig) -> bool:
        return isinstance(config.options, LitellmOptions) and config.options.spend_logs

    def folds(self) -> tuple[str, ...]:
        return (KEYS_FAMILY,) if self._keys else ()

    def usage_feed(self) -> UsageFeed | None:
        return self._spend_logs

    def poll(self, client: Client) -> Snapshot:
        ready = client.get_json("readiness", self.url("/health/readiness"), headers=self.headers())
        status = ready.get("status") if isinstance(ready, dict) else None
        if str(status).lower() not in ("healthy", "connected"):
            raise client.invalid("readiness", f"proxy not ready (status {status!r})")
        response, body = client.fetch_json("model_info", self.url("/model/info"), headers=self.headers())
        items = listing(body)
        models = tuple(self.each(client, "model_info", records(items), lambda item: litellm_model(self.name, item)))
        api_keys, dropped = keys.bounded(
            read_keys(client, self.url, self.headers(), self.config.max_pages, self.each) if self._keys else (),
            self.config.max_keys)
        return Snapshot(providers=(self_provider(self, response),), models=models, catalog=True,
                        deployments=deployments(items), keys=api_keys,
                        folded=((KEYS_FAMILY, dropped),) if dropped else ())


def deployments(items: list[Any]) -> tuple[Deployment, ...]:
    """Each model group's deployments, from /model/info's rows: the group, the upstream model
    (litellm_params.model, the one key of litellm_params read: api_base can carry credentials)
    and its litellm_provider."""
    out: dict[tuple[str, str], Deployment] = {}
    for item in records(items):
        info, params = mapping(item.get("model_info")), mapping(item.get("litellm_params"))
        group, model, provider = item.get("model_name"), params.get("model"), info.get("litellm_provider")
        if not isinstance(group, str) or not group:
            continue
        model = model if isinstance(model, str) and model else group
        provider = provider if isinstance(provider, str) and provider else model.partition("/")[0] \
            if "/" in model else ""
        # A deployment whose provider is not said still says which model serves the group.
        out.setdefault((group, model), Deployment(group[:MAX_LABEL], model[:MAX_LABEL], provider[:MAX_LABEL]))
    return tuple(out.values())


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
        context_length=units.optional_count(info.get("max_input_tokens"), "max_input_tokens"),
        free=is_free(prices),
        capabilities=tuple(capabilities),
        text_output=mode not in NON_TEXT_MODES,
        # The date LiteLLM's model cost map gives for the model's retirement, when the proxy
        # passes it through.
        retires_at=units.iso_to_epoch_seconds(info.get("deprecation_date")),
    )
