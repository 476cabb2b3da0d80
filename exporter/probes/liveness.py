"""Liveness checks: whether a listed model still serves. Vendors keep retired models in their
lists long after calls to them fail; one call with max_tokens 1, not streamed, tells. What the
refusal says (http/refusals.py) gives the reason: end_of_life, not_found or gone, and the
retirement date when the text names one. Anything else (a timeout, a 5xx, a 429, an empty
account) says nothing about the model: the last verdict stays."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from exporter.defaults import default
from exporter.http import Client, FetchError
from exporter.http.refusals import unservable
from exporter.money import ZERO
from exporter.probes import streams
from exporter.probes.probe import priced
from exporter.probes.settings import probeable
from exporter.redact import redact
from exporter.units import parse_duration

PROMPT = "Reply with OK."  # the answer is cut at one token: what it says does not matter
INTERVAL = parse_duration(default("liveness.interval")) or 21600.0
TIMEOUT = parse_duration(default("liveness.timeout")) or 30.0


@dataclass(frozen=True, slots=True)
class LivenessSettings:
    in_use: bool = default("liveness.in_use")
    fleet: bool = default("liveness.fleet")
    models: tuple[tuple[str, str], ...] = ()  # (source, model) named in the config
    interval: float = INTERVAL
    timeout: float = TIMEOUT
    max_models: int = default("liveness.max_models")

    @property
    def active(self) -> bool:
        return self.in_use or self.fleet or bool(self.models)


def liveness_from(doc: Mapping[str, Any] | None, sources: Mapping[str, Any], problems: list[str]) -> LivenessSettings:
    """The `liveness` block; a named model on an unknown source, or on one without a chat API
    to call, is a problem."""
    doc = doc or {}
    models: list[tuple[str, str]] = []
    for i, raw in enumerate(doc.get("models", ())):
        if probeable(f"liveness.models[{i}]", raw["source"], sources, problems):
            models.extend((raw["source"], model) for model in raw["models"] if (raw["source"], model) not in models)
    return LivenessSettings(
        in_use=doc.get("in_use", default("liveness.in_use")), fleet=doc.get("fleet", default("liveness.fleet")),
        models=tuple(models),
        interval=parse_duration(doc.get("interval", default("liveness.interval"))) or INTERVAL,
        timeout=parse_duration(doc.get("timeout", default("liveness.timeout"))) or TIMEOUT,
        max_models=doc.get("max_models", default("liveness.max_models")),
    )


@dataclass(frozen=True, slots=True)
class LivenessResult:
    source: str
    model: str
    at: float  # unix seconds when it ended
    servable: bool | None  # None: the answer said nothing about the model
    reason: str | None = None  # why not servable (refusals.UNSERVABLE_REASONS)
    retires_at: float | None = None  # when the refusal's text says the model retires or retired
    failure: str | None = None  # the failure reason when servable is None
    error: str | None = None  # redacted, for the log and the landing page
    cost_usd: Decimal = ZERO


def check(client: Client, source: Any, model: str, prices: tuple[Decimal | None, Decimal | None],
          clock: Callable[[], float]) -> LivenessResult:
    """One call to `model` through `source`, under the client's deadline."""
    shape, path = source.probe_api
    url, payload = streams.plain_request(shape, source.config.url, path, model, PROMPT)
    try:
        body = client.post_json("liveness", url, payload=payload, headers=source.headers())
    except FetchError as err:
        dead = unservable(err.refusal, model) if err.refusal is not None else None
        if dead is not None:
            return LivenessResult(source.name, model, clock(), False, dead.reason, dead.retires_at,
                                  error=redact(err.message)[:300])
        return LivenessResult(source.name, model, clock(), None, failure=err.reason, error=redact(err.message)[:300])
    input_tokens, output_tokens, reported = streams.usage(shape, body)
    return LivenessResult(source.name, model, clock(), True,
                          cost_usd=reported if reported is not None else priced(input_tokens, output_tokens, prices))

