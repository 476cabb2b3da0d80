"""OpenRouter: its model catalog with prices and capabilities, the key's balance and spend."""

from __future__ import annotations

import functools
import time
from typing import Any
from urllib.parse import quote

from exporter import money, units
from exporter.defaults import default
from exporter.http import Client
from exporter.jobs import DEFAULT_RETRIES, poll_budget
from exporter.snapshot import Model, Money, Provider, Snapshot, Upstream, UpstreamModel
from exporter.sources.activity import FOLDED_FAMILY as ACTIVITY_FAMILY
from exporter.sources.activity import Activity, ActivityRow, ActivityWatch
from exporter.sources.activity import parse_row as parse_activity
from exporter.sources.base import Source, SourceConfig, listing, mapping, records, value
from exporter.sources.upstreams import FOLDED_FAMILY as UPSTREAM_FAMILY
from exporter.sources.upstreams import UpstreamSettings, UpstreamWatch, parse_upstream

PRICE_KEYS = {"input": "prompt", "output": "completion", "cache_read": "input_cache_read"}
SPEND_KEYS = {"day": "usage_daily", "week": "usage_weekly", "month": "usage_monthly", "total": "usage"}


class OpenRouterSource(Source):
    type_name = "openrouter"
    probe_api = ("openai", "/chat/completions")
    default_url = "https://openrouter.ai/api/v1"
    endpoints = ("models", "key", "credits", "endpoints", "activity")

    def __init__(self, config: SourceConfig):
        super().__init__(config)
        # Upstream endpoints are watched only when the source has an `endpoints:` block.
        self.upstreams: UpstreamWatch | None = None
        self.activity = ActivityWatch(config.name, config.max_models) if config.options.get("activity") else None
        settings = upstream_settings(config)
        if settings is not None:
            self.upstreams = UpstreamWatch(config.name, settings)

    def folds(self) -> tuple[str, ...]:
        return ((UPSTREAM_FAMILY,) if self.upstreams is not None else ()) + \
            ((ACTIVITY_FAMILY,) if self.activity is not None else ())

    @classmethod
    def warnings(cls, path: str, config: SourceConfig) -> list[str]:
        """Watched models that the polls cannot all ask for within endpoints.interval: a poll
        asks one due model in any case, and more only while a whole request (`timeout`) still
        fits its budget after the catalog, key and credits calls."""
        settings = upstream_settings(config)
        if settings is None:
            return []
        watched = min(len(settings.models) + len(settings.fleet_models), settings.max_models)
        budget = poll_budget(config.interval, config.timeout, DEFAULT_RETRIES)
        per_poll = max(1, int(budget // config.timeout) - 3)
        polls = max(1, int(settings.interval // config.interval))
        if watched <= per_poll * polls:
            return []
        return [f"{path}.endpoints: up to {watched} watched models are due every {settings.interval:g}s, but a poll "
                f"every {config.interval:g}s with a {config.timeout:g}s timeout is sure of time for only {per_poll} "
                f"ask(s): {per_poll * polls} per endpoints.interval; the rest are asked less often (raise "
                f"endpoints.interval or the source's interval, or lower its timeout)"]

    def poll(self, client: Client) -> Snapshot:
        headers = self.headers()
        # Without output_modalities=all the catalog holds only text-output models.
        response, body = client.fetch_json("models", self.url("/models"), headers=headers,
                                           params={"output_modalities": "all"})
        models = tuple(self.each(client, "models", records(listing(body)), lambda item: parse_model(self.name, item)))

        key = client.get_json("key", self.url("/key"), headers=headers)
        data = key.get("data", key) if isinstance(key, dict) else None
        if not isinstance(data, dict):
            raise client.invalid("key", "expected a JSON object")
        balances, limits = [], []
        if (remaining := money.amount(data.get("limit_remaining"))) is not None:
            balances = [Money("USD", remaining)]
        if (limit := money.amount(data.get("limit"))) is not None:
            limits = [Money("USD", limit)]
        spend = tuple(
            (window, usd)
            for window, field in SPEND_KEYS.items()
            if (usd := value(self, client, "key", field, functools.partial(money.spend, data.get(field)))) is not None
        )

        # Only management keys may read /credits; the 403 others get is expected, not a failure.
        credits = client.get_json("credits", self.url("/credits"), headers=headers, quiet=(403,))
        if isinstance(credits, dict) and isinstance(credits.get("data"), dict):
            total = money.amount(credits["data"].get("total_credits"))
            used = money.amount(credits["data"].get("total_usage"))
            if total is not None and used is not None:
                balances = [Money("USD", total - used)]

        upstreams, skipped, capped = self._watch_upstreams(client, {m.id for m in models})
        activity, folded = (Activity(), 0) if self.activity is None else self.activity.poll(
            lambda: self._activity_rows(client, headers), client.now())
        provider = Provider(
            id=self.name,
            name="OpenRouter",
            health="healthy",
            active=True,
            response_time_seconds=response.elapsed,
            capabilities=(("streaming", True), *provider_capabilities(models)),
            follows_source=True,
        )
        return Snapshot(
            providers=(provider,),
            models=models,
            balances=tuple(balances),
            credit_limits=tuple(limits),
            spend=spend,
            catalog=True,
            upstreams=upstreams,
            upstream_models_skipped=skipped,
            vendor_usage=activity.tokens,
            vendor_requests=activity.requests,
            vendor_model_spend=activity.spend,
            folded=tuple((family, n) for family, n in ((UPSTREAM_FAMILY, capped), (ACTIVITY_FAMILY, folded)) if n),
        )

    def _activity_rows(self, client: Client, headers: dict[str, str]) -> list[ActivityRow] | None:
        """/activity's rows; None for the 403 an ordinary key gets."""
        body = client.get_json("activity", self.url("/activity"), headers=headers, quiet=(403,))
        if body is None:
            return None
        try:
            items = listing(body)
        except ValueError as exc:
            raise client.invalid("activity", str(exc)) from None
        return self.each(client, "activity", records(items), parse_activity)

    def _watch_upstreams(self, client: Client, served: set[str]
                         ) -> tuple[tuple[UpstreamModel, ...], int | None, int]:
        """The watched models' upstream endpoints, asked for when due (see upstreams.py)."""
        if self.upstreams is None:
            return (), None, 0

        def fetch(model: str) -> list[Upstream]:
            url = self.url(f"/models/{quote(model, safe='/:.-_')}/endpoints")
            body = client.get_json("endpoints", url, headers=self.headers())
            data = body.get("data") if isinstance(body, dict) else None
            items = data.get("endpoints") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise client.invalid("endpoints", f"{model}: expected {{data: {{endpoints: [...]}}}}")
            return self.each(client, "endpoints", records(items), parse_upstream)

        # Each call needs up to a request timeout: stop asking when the poll has less left.
        return self.upstreams.poll(served, fetch, client.now(), lambda: client.deadline - time.monotonic(),
                                   min(client.timeout, 30.0))


def upstream_settings(config: SourceConfig) -> UpstreamSettings | None:
    """The source's `endpoints:` block, with the schema's defaults; None without one."""
    block = config.options.get("endpoints")
    if not isinstance(block, dict):
        return None

    def option(key: str) -> Any:
        return block.get(key, default(f"sources[].endpoints.{key}"))

    return UpstreamSettings(
        models=tuple(option("models")),
        fleet_models=config.fleet_models if option("fleet_models") else (),
        max_models=option("max_models"),
        max_upstreams=option("max_upstreams"),
        interval=units.parse_duration(option("interval")) or 0.0,
        stale_after=config.stale_after,
    )


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
