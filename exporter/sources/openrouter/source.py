"""The OpenRouter source: one poll reads the catalog (catalog.py), the key's balance, limit
and spend (`/key`, and `/credits` for a management key), and the sub-feeds that run inside it
on their own schedules: the watched models' upstream endpoints (upstreams.py) and the account's
activity (activity.py)."""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from exporter import money
from exporter.defaults import default
from exporter.http import Client
from exporter.jobs import DEFAULT_RETRIES, poll_budget
from exporter.snapshot import Money, Provider, Snapshot, Upstream, UpstreamModel
from exporter.sources import keys
from exporter.sources.base import Source, SourceConfig, listing, records, value
from exporter.sources.keys import FOLDED_FAMILY as KEYS_FAMILY
from exporter.sources.openrouter.activity import FOLDED_FAMILY as ACTIVITY_FAMILY
from exporter.sources.openrouter.activity import Activity, ActivityRow, ActivityWatch
from exporter.sources.openrouter.activity import parse_row as parse_activity
from exporter.sources.openrouter.catalog import parse_model, provider_capabilities
from exporter.sources.openrouter.keys import read_keys
from exporter.sources.openrouter.upstreams import FOLDED_FAMILY as UPSTREAM_FAMILY
from exporter.sources.openrouter.upstreams import EndpointsOptions, UpstreamSettings, UpstreamWatch, parse_upstream

SPEND_KEYS = {"day": "usage_daily", "week": "usage_weekly", "month": "usage_monthly", "total": "usage"}


@dataclass(frozen=True, slots=True)
class OpenRouterOptions:
    endpoints: EndpointsOptions | None = None  # no block: no upstreams are watched
    activity: bool = default("sources[].activity")
    keys: bool = default("sources[].keys")


class OpenRouterSource(Source):
    type_name = "openrouter"
    probe_api = ("openai", "/chat/completions")
    default_url = "https://openrouter.ai/api/v1"
    endpoints = ("models", "key", "credits", "endpoints", "activity", "keys")

    def __init__(self, config: SourceConfig):
        super().__init__(config)
        options: OpenRouterOptions = config.options or OpenRouterOptions()
        self.activity = ActivityWatch(config.name, config.max_models) if options.activity else None
        settings = upstream_settings(config)
        # Upstream endpoints are watched only when the source has an `endpoints:` block.
        self.upstreams = UpstreamWatch(config.name, settings) if settings is not None else None
        self._keys = options.keys

    @classmethod
    def parse_options(cls, path: str, raw: Mapping[str, Any], problems: list[str]) -> OpenRouterOptions:
        block = raw.get("endpoints")
        return OpenRouterOptions(endpoints=None if block is None else EndpointsOptions.parse(block),
                                 activity=raw.get("activity", default("sources[].activity")),
                                 keys=raw.get("keys", default("sources[].keys")))

    def folds(self) -> tuple[str, ...]:
        return ((UPSTREAM_FAMILY,) if self.upstreams is not None else ()) + \
            ((ACTIVITY_FAMILY,) if self.activity is not None else ()) + \
            ((KEYS_FAMILY,) if self._keys else ())

    @classmethod
    def warnings(cls, path: str, config: SourceConfig) -> list[str]:
        """Watched models that the polls cannot all ask for within endpoints.interval: a poll
        asks one due model in any case, and more only while a whole request (`timeout`) still
        fits its budget after the catalog, key and credits calls."""
        settings = upstream_settings(config)
        if settings is None:
            return []
        endpoints = settings.options
        watched = min(len(endpoints.models) + len(settings.fleet_models), endpoints.max_models)
        budget = poll_budget(config.interval, config.timeout, DEFAULT_RETRIES)
        per_poll = max(1, int(budget // config.timeout) - 3)
        polls = max(1, int(endpoints.interval // config.interval))
        if watched <= per_poll * polls:
            return []
        return [f"{path}.endpoints: up to {watched} watched models are due every {endpoints.interval:g}s, but a poll "
                f"every {config.interval:g}s with a {config.timeout:g}s timeout is sure of time for only {per_poll} "
                f"ask(s): {per_poll * polls} per endpoints.interval; the rest are asked less often (raise "
                f"endpoints.interval or the source's interval, or lower its timeout)"]

    def poll(self, client: Client) -> Snapshot:
        headers = self.headers()
        # Without output_modalities=all the catalog holds only text-output models.
        response, body = client.fetch_json("models", self.url("/models"), headers=headers,
                                           params={"output_modalities": "all"})
        models = tuple(self.each(client, "models", records(listing(body)), lambda item: parse_model(self.name, item)))

        balances, limits, spend = self._account(client, headers)
        api_keys, keys_dropped = keys.bounded(
            read_keys(client, self.url, headers, self.config.max_pages, self.each) if self._keys else (),
            self.config.max_keys)
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
            keys=api_keys,
            folded=tuple((family, n) for family, n in ((UPSTREAM_FAMILY, capped), (ACTIVITY_FAMILY, folded),
                                                       (KEYS_FAMILY, keys_dropped)) if n),
        )

    def _account(self, client: Client, headers: dict[str, str]
                 ) -> tuple[list[Money], list[Money], tuple[tuple[str, Decimal], ...]]:
        """The polling key's balance, credit limit and spend (/key), and the account's balance
        from /credits where the key may read it (a management key)."""
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
        return balances, limits, spend

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
    """The watch's settings, from the source's `endpoints:` block; None without one."""
    options: OpenRouterOptions = config.options or OpenRouterOptions()
    if options.endpoints is None:
        return None
    return UpstreamSettings(options=options.endpoints,
                            fleet_models=config.fleet_models if options.endpoints.fleet_models else (),
                            stale_after=config.stale_after)
