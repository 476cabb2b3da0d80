"""The `http` source: any vendor without a typed adapter, described in the config.

Up to three endpoints (health, balance, models), each with a url, optional headers and
dotted paths into its JSON body. A path that does not resolve at run time is an
invalid_response whose message names the path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from exporter import money, redact, units
from exporter.defaults import default
from exporter.http import Client
from exporter.snapshot import Model, Money, Snapshot
from exporter.sources.base import Source, SourceConfig, is_free, records, self_provider

ENDPOINTS = ("health", "balance", "models")
_MISSING = object()
Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class HealthSpec:
    url: str
    headers: Headers = ()
    expect_status: int = default("sources[].health.expect_status")


@dataclass(frozen=True, slots=True)
class BalanceSpec:
    url: str
    amount: str  # dotted paths into the body
    headers: Headers = ()
    currency: str | None = None  # or currency_path, never both (parse_options says so)
    currency_path: str | None = None
    scale: Decimal = Decimal(str(default("sources[].balance.scale")))


@dataclass(frozen=True, slots=True)
class ModelsSpec:
    url: str
    id: str  # dotted paths into an item
    headers: Headers = ()
    items: str = default("sources[].models.items")
    name: str | None = None
    input_price: str | None = None
    output_price: str | None = None
    price_scale: Decimal = Decimal(str(default("sources[].models.price_scale")))
    context_length: str | None = None


@dataclass(frozen=True, slots=True)
class HttpOptions:
    health: HealthSpec | None = None
    balance: BalanceSpec | None = None
    models: ModelsSpec | None = None


def _spec(kind: type[Any], raw: Mapping[str, Any]) -> Any:
    values = dict(raw)
    values["headers"] = tuple(sorted((str(k), str(v)) for k, v in (raw.get("headers") or {}).items()))
    for scale in ("scale", "price_scale"):
        if scale in values:
            values[scale] = Decimal(str(values[scale]))
    return kind(**values)


def resolve(body: Any, path: str) -> Any:
    """Follows a dotted path ("data.items.0.price"); numbers index lists. "" is the body."""
    node = body
    for part in path.split(".") if path else ():
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


class HttpSource(Source):
    type_name = "http"
    default_url = None
    needs_key = False
    auth = "the headers you configure"

    def __init__(self, config: SourceConfig):
        super().__init__(config)
        self.options: HttpOptions = config.options or HttpOptions()
        # Header values are where a declarative source's credentials live.
        for spec in (self.options.health, self.options.balance, self.options.models):
            if spec is not None:
                redact.register(*(value for _, value in spec.headers if len(value) >= 8))

    @classmethod
    def parse_options(cls, path: str, raw: Mapping[str, Any], problems: list[str]) -> HttpOptions:
        balance = raw.get("balance")
        if isinstance(balance, dict) and ("currency" in balance) == ("currency_path" in balance):
            problems.append(f"{path}.balance: set exactly one of currency and currency_path")
        return HttpOptions(*(None if name not in raw else _spec(kind, raw[name])
                             for name, kind in zip(ENDPOINTS, (HealthSpec, BalanceSpec, ModelsSpec), strict=True)))

    def endpoint_names(self) -> tuple[str, ...]:
        return tuple(name for name in ENDPOINTS if getattr(self.options, name) is not None)

    def poll(self, client: Client) -> Snapshot:
        first = None
        health, balance, catalog = self.options.health, self.options.balance, self.options.models
        if health is not None:
            first = client.get("health", health.url, headers=dict(health.headers), accept=(health.expect_status,))
        balances: tuple[Money, ...] = ()
        if balance is not None:
            response, body = client.fetch_json("balance", balance.url, headers=dict(balance.headers))
            first = first or response
            amount = money.amount(self._at(client, "balance", body, balance.amount), balance.scale)
            if amount is None:
                raise client.invalid("balance", f"{balance.amount} is not a number")
            currency = balance.currency or self._at(client, "balance", body, balance.currency_path or "")
            balances = (Money(money.currency_code(currency), amount),)
        models: tuple[Model, ...] = ()
        if catalog is not None:
            response, body = client.fetch_json("models", catalog.url, headers=dict(catalog.headers))
            first = first or response
            items = self._at(client, "models", body, catalog.items)
            if not isinstance(items, list):
                raise client.invalid("models", f"items path {catalog.items!r} is not a list")
            models = tuple(self.each(client, "models", records(items), lambda item: self._model(catalog, item)))
        return Snapshot(providers=(self_provider(self, first),), balances=balances, models=models,
                        catalog=catalog is not None)

    def _at(self, client: Client, endpoint: str, body: Any, path: str) -> Any:
        value = resolve(body, path)
        if value is _MISSING:
            raise client.invalid(endpoint, f"path {path!r} not found in the answer")
        return value

    def _model(self, spec: ModelsSpec, item: dict[str, Any]) -> Model:
        model_id = resolve(item, spec.id)
        if model_id is _MISSING or isinstance(model_id, bool) or not isinstance(model_id, str | int) \
                or model_id == "":
            raise ValueError(f"id path {spec.id!r} is not a string")
        prices = {}
        for token_type, path in (("input", spec.input_price), ("output", spec.output_price)):
            value = resolve(item, path) if path is not None else _MISSING
            if value is not _MISSING and (price := money.price(value, spec.price_scale)) is not None:
                prices[token_type] = price
        name = resolve(item, spec.name) if spec.name is not None else _MISSING
        context = resolve(item, spec.context_length) if spec.context_length is not None else None
        return Model(
            provider=self.name,
            id=str(model_id),
            name=str(model_id if name is _MISSING or name is None else name),
            prices=tuple(prices.items()),
            context_length=units.optional_count(None if context is _MISSING else context, "context_length"),
            free=is_free(prices),
        )

