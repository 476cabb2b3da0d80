"""OpenRouter's upstream endpoints: which providers (DeepInfra, Together, ...) serve a watched
model behind OpenRouter, and how each is doing, from `GET /models/{author}/{slug}/endpoints`.

Asked on their own interval (`endpoints.interval`, 5 minutes by default), inside the source's
polls: a poll asks for the models that are due while its deadline leaves time for a whole
request, and the rest wait for the next poll; but every poll asks for at least one due model,
with whatever time it has left, so a fast poll_interval (whose budget is not above one request
timeout) never starves them. At most `endpoints.max_upstreams` endpoints are kept per model (the
first, in the router's order); the rest are counted in llm_exporter_series_folded_total.

A failed or unknown model (a 404) is counted under the `endpoints` endpoint and logged once per
streak; it never fails the poll. Its last good answer is kept through `stale_after` failed asks
in a row, then dropped, as the stale policy keeps a source's series through stale_after failed
polls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exporter import money, units
from exporter.defaults import default
from exporter.http import FetchError
from exporter.snapshot import Upstream, UpstreamModel
from exporter.sources.base import mapping
from exporter.units import parse_duration

log = logging.getLogger(__name__)

UPTIME_WINDOWS = (("5m", "uptime_last_5m"), ("30m", "uptime_last_30m"), ("1d", "uptime_last_1d"))
QUANTILES = (("0.5", "p50"), ("0.75", "p75"), ("0.9", "p90"), ("0.99", "p99"))
PRICE_KINDS = (("input", "prompt"), ("output", "completion"))
FOLDED_FAMILY = "llm_upstream_endpoint"  # the llm_upstream_endpoint_* families


def _seconds(path: str) -> float:
    seconds = parse_duration(default(path))
    assert seconds is not None, path
    return seconds


@dataclass(frozen=True, slots=True)
class EndpointsOptions:
    """An openrouter source's `endpoints:` block, the schema's defaults filled in."""

    models: tuple[str, ...] = tuple(default("sources[].endpoints.models"))
    fleet_models: bool = default("sources[].endpoints.fleet_models")
    max_models: int = default("sources[].endpoints.max_models")
    max_upstreams: int = default("sources[].endpoints.max_upstreams")
    interval: float = _seconds("sources[].endpoints.interval")

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> EndpointsOptions:
        values = dict(raw)
        if "models" in values:
            values["models"] = tuple(values["models"])
        if "interval" in values:
            values["interval"] = parse_duration(values["interval"])
        return EndpointsOptions(**values)


@dataclass(frozen=True, slots=True)
class UpstreamSettings:
    """What the watch of one source works with: its options, the fleet file's models when
    fleet_models is on, and the config's stale_after."""

    options: EndpointsOptions = field(default_factory=EndpointsOptions)
    fleet_models: tuple[str, ...] = ()
    stale_after: int = default("stale_after")


@dataclass
class _Watched:
    good: UpstreamModel | None = None
    due: float = float("-inf")  # unix seconds on the engine's clock
    failures: int = 0  # failed asks since the last good answer
    capped: bool = False  # its last answer had endpoints over max_upstreams (logged once per streak)


def parse_upstream(item: dict[str, Any]) -> Upstream:
    """One entry of `endpoints`. Uptimes are percentages (null while OpenRouter has too little
    data: no value); latency is documented as milliseconds; prices are USD per token."""
    provider_name = units.label(item.get("provider_name"), "provider_name")
    tag = item.get("tag")
    upstream = tag if isinstance(tag, str) and tag else provider_name.lower()
    quantization = item.get("quantization")
    uptime = tuple((window, ratio) for window, key in UPTIME_WINDOWS
                   if (ratio := units.percent_to_ratio(item.get(key))) is not None)
    latency = mapping(item.get("latency_last_30m"))
    throughput = mapping(item.get("throughput_last_30m"))
    pricing = mapping(item.get("pricing"))
    return Upstream(
        id=upstream,
        provider_name=provider_name,
        quantization=quantization if isinstance(quantization, str) else "",
        status=units.integer(item.get("status")),
        uptime=uptime,
        latency_seconds=tuple((q, value) for q, key in QUANTILES
                              if (value := units.ms_to_seconds(latency.get(key))) is not None),
        throughput=tuple((q, rate) for q, key in QUANTILES
                         if (rate := units.non_negative(units.number(throughput.get(key)), "throughput")) is not None),
        prices=tuple((kind, price) for kind, key in PRICE_KINDS
                     if (price := money.price(pricing.get(key))) is not None),
    )


class UpstreamWatch:
    """The watched models of one source and their last good answers. Used only by the
    source's own polls, one at a time."""

    def __init__(self, source: str, settings: UpstreamSettings):
        self.source = source
        self.settings = settings
        self._watched: dict[str, _Watched] = {}

    def targets(self, served: set[str]) -> tuple[list[str], int]:
        """The models to watch, in order (the listed ones, then the fleet's models this source
        serves), and how many were over max_models."""
        wanted: list[str] = []
        for model in (*self.settings.options.models, *(m for m in self.settings.fleet_models if m in served)):
            if model not in wanted:
                wanted.append(model)
        cap = self.settings.options.max_models
        return wanted[:cap], max(0, len(wanted) - cap)

    def poll(self, served: set[str], fetch: Callable[[str], Sequence[Upstream]], now: float,
             time_left: Callable[[], float], min_time: float) -> tuple[tuple[UpstreamModel, ...], int, int]:
        """Asks for the due models, the longest due first: one in any case, more while
        `time_left()` exceeds `min_time` (so the poll's deadline holds). Returns every watched
        model's current answer in watch order, the models over max_models, and the endpoints
        left out of this poll's answers over max_upstreams."""
        targets, skipped = self.targets(served)
        self._watched = {m: self._watched.get(m) or _Watched() for m in targets}
        due = sorted((w.due, m) for m, w in self._watched.items() if w.due <= now)
        capped = 0
        for asked, (_, model) in enumerate(due):
            if asked and time_left() <= min_time:
                break  # the rest wait for the next poll: a poll never runs past its deadline
            capped += self._ask(model, fetch, now)
        out = []
        for watched in self._watched.values():
            if watched.failures > self.settings.stale_after:
                watched.good = None  # past the stale window: its series go
            if watched.good is not None:
                out.append(watched.good)
        return tuple(out), skipped, capped

    def _ask(self, model: str, fetch: Callable[[str], Sequence[Upstream]], now: float) -> int:
        """Asks for one model's endpoints; returns how many were over max_upstreams."""
        watched = self._watched[model]
        watched.due = now + self.settings.options.interval
        started = time.monotonic()
        try:
            upstreams = fetch(model)
        except FetchError as err:  # already counted under the `endpoints` endpoint
            if not watched.failures:
                log.warning("%s: endpoints of %s: %s", self.source, model, err.message, extra={"fields": {
                    "source": self.source, "endpoint": "endpoints", "model": model, "reason": err.reason}})
            watched.failures += 1
            return 0
        if watched.failures:
            log.info("%s: endpoints of %s answer again", self.source, model,
                     extra={"fields": {"source": self.source, "model": model}})
        watched.failures = 0
        unique: dict[str, Upstream] = {}
        for upstream in upstreams:
            unique.setdefault(upstream.id, upstream)
        cap = self.settings.options.max_upstreams
        kept = tuple(unique.values())[:cap]
        over = len(unique) - len(kept)
        if over and not watched.capped:
            log.warning("%s: endpoints of %s: %d upstream(s) over endpoints.max_upstreams=%d left out", self.source,
                        model, over, cap, extra={"fields": {
                            "source": self.source, "model": model, "dropped": over}})
        watched.capped = over > 0
        fresh = UpstreamModel(model, kept)
        # An unchanged answer keeps its identity, so nothing downstream renders it again.
        watched.good = watched.good if watched.good == fresh else fresh
        log.debug("%s: endpoints of %s: %d upstream(s) in %.3fs", self.source, model, len(unique),
                  time.monotonic() - started)
        return over
