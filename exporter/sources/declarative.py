"""The `http` source: any vendor without a typed adapter, described in the config.

Up to three endpoints (health, balance, models), each with a url, optional headers and
dotted paths into its JSON body. A path that does not resolve at run time is an
invalid_response whose message names the path.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exporter import money, redact, units
from exporter.defaults import default
from exporter.http import Client
from exporter.snapshot import Model, Money, Snapshot
from exporter.sources.base import Source, SourceConfig, is_free, records, self_provider

ENDPOINTS = ("health", "balance", "models")
_MISSING = object()


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
        # Header values are where a declarative source's credentials live.
        for spec in self._specs().values():
            redact.register(*(v for v in (spec.get("headers") or {}).values() if isinstance(v, str) and len(v) >= 8))

    @classmethod
    def check_options(cls, path: str, options: dict[str, Any]) -> list[str]:
        problems = []
        balance = options.get("balance")
        if isinstance(balance, dict) and ("currency" in balance) == ("currency_path" in balance):
            problems.append(f"{path}.balance: set exactly one of currency and currency_path")
        return problems

    def _specs(self) -> dict[str, dict[str, Any]]:
        return {name: self.config.options[name] for name in ENDPOINTS if name in self.config.options}

    def endpoint_names(self) -> tuple[str, ...]:
        return tuple(self._specs())

    def poll(self, client: Client) -> Snapshot:
        specs = self._specs()
        first = None
        if "health" in specs:
            spec = specs["health"]
            first = client.get("health", spec["url"], headers=spec.get("headers"),
                               accept=(int(spec.get("expect_status", default("sources[].health.expect_status"))),))
        balances: tuple[Money, ...] = ()
        if "balance" in specs:
            spec = specs["balance"]
            response, body = client.fetch_json("balance", spec["url"], headers=spec.get("headers"))
            first = first or response
            amount = money.amount(self._at(client, "balance", body, spec["amount"]),
                                  Decimal(str(spec.get("scale", default("sources[].balance.scale")))))
            if amount is None:
                raise client.invalid("balance", f"{spec['amount']} is not a number")
            currency = spec.get("currency") or self._at(client, "balance", body, spec["currency_path"])
            balances = (Money(money.currency_code(currency), amount),)
        models: tuple[Model, ...] = ()
        if "models" in specs:
            spec = specs["models"]
            response, body = client.fetch_json("models", spec["url"], headers=spec.get("headers"))
            first = first or response
            items = self._at(client, "models", body, spec.get("items", default("sources[].models.items")))
            if not isinstance(items, list):
                raise client.invalid("models", f"items path {spec.get('items', '')!r} is not a list")
            models = tuple(self.each(client, "models", records(items), lambda item: self._model(spec, item)))
        return Snapshot(providers=(self_provider(self, first),), balances=balances, models=models,
                        catalog="models" in specs)

    def _at(self, client: Client, endpoint: str, body: Any, path: str) -> Any:
        value = resolve(body, path)
        if value is _MISSING:
            raise client.invalid(endpoint, f"path {path!r} not found in the answer")
        return value

    def _model(self, spec: dict[str, Any], item: dict[str, Any]) -> Model:
        model_id = resolve(item, spec["id"])
        if model_id is _MISSING or isinstance(model_id, bool) or not isinstance(model_id, str | int) \
                or model_id == "":
            raise ValueError(f"id path {spec['id']!r} is not a string")
        scale = Decimal(str(spec.get("price_scale", default("sources[].models.price_scale"))))
        prices = {}
        for token_type, key in (("input", "input_price"), ("output", "output_price")):
            value = resolve(item, spec[key]) if key in spec else _MISSING
            if value is not _MISSING and (price := money.price(value, scale)) is not None:
                prices[token_type] = price
        name = resolve(item, spec["name"]) if "name" in spec else _MISSING
        context = resolve(item, spec["context_length"]) if "context_length" in spec else None
        return Model(
            provider=self.name,
            id=str(model_id),
            name=str(model_id if name is _MISSING or name is None else name),
            prices=tuple(prices.items()),
            context_length=units.optional_count(None if context is _MISSING else context, "context_length"),
            free=is_free(prices),
        )

