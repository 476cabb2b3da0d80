"""Synthetic inference probes: a tiny real streamed request to each configured model, measured
the way a user feels it (time to headers, to the first token, to the end, tokens per second),
priced, and kept under a daily budget.

The engine decides when a probe runs and whether it may (its source is up, the budget allows,
the previous one is over); `run` does one probe through the one HTTP client; `ProbeBook`
keeps the counters, the budget and the last results, and hands out immutable `ProbeView`s
for the metrics, the summary and the landing page.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from exporter import streams
from exporter.http import REASONS, Client, FetchError
from exporter.money import ZERO
from exporter.redact import redact
from exporter.snapshot import Histogram

log = logging.getLogger(__name__)

FAILURE_REASONS = (*REASONS, "empty_response")
SKIP_REASONS = ("source_down", "budget", "overlap")
# Fitted to LLM latencies: a fast first token is ~0.2 s, a long answer or a queue a minute.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 45.0, 60.0)
DEFAULTS: dict[str, Any] = {"interval": 300.0, "timeout": 30.0, "daily_budget_usd": Decimal("0.50"),
                            "prompt": "Reply with the word OK.", "max_tokens": 8, "slow_first_token": 10.0}


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    source: str
    model: str
    interval: float
    timeout: float
    slow_first_token: float  # LLMProbeSlowFirstToken's threshold, exported as a gauge

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.model)


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    daily_budget_usd: Decimal = DEFAULTS["daily_budget_usd"]
    prompt: str = DEFAULTS["prompt"]
    max_tokens: int = DEFAULTS["max_tokens"]
    targets: tuple[ProbeTarget, ...] = ()


def settings_from(doc: Mapping[str, Any] | None, sources: Mapping[str, Any], problems: list[str]) -> ProbeSettings:
    """The `probes` block. `sources` maps each configured source name to its type's class;
    a target on an unknown source, or on a type without a streaming chat API, is a problem."""
    from exporter.config import parse_duration  # late: config imports this module
    from exporter.sources import SOURCE_TYPES

    doc = doc or {}

    def duration(raw: Mapping[str, Any], key: str, default: float) -> float:
        return parse_duration(raw.get(key, default)) or default

    interval = duration(doc, "interval", DEFAULTS["interval"])
    timeout = duration(doc, "timeout", DEFAULTS["timeout"])
    slow = duration(doc, "slow_first_token", DEFAULTS["slow_first_token"])
    targets: list[ProbeTarget] = []
    seen: dict[tuple[str, str], str] = {}
    for i, raw in enumerate(doc.get("targets", ())):
        path = f"probes.targets[{i}]"
        name = raw["source"]
        kind = sources.get(name)
        if kind is None:
            problems.append(f"{path}.source: {json.dumps(name)} is not a configured source")
            continue
        if kind.probe_api is None:
            probeable = ", ".join(sorted(t for t, k in SOURCE_TYPES.items() if k.probe_api is not None))
            problems.append(f"{path}.source: {json.dumps(name)} is a {kind.type_name} source, which has no "
                            f"streaming chat API to probe (types that do: {probeable})")
            continue
        for j, model in enumerate(raw["models"]):
            where = f"{path}.models[{j}]"
            if (name, model) in seen:
                problems.append(f"{where}: {name}/{model} is probed twice (also {seen[(name, model)]})")
                continue
            seen[(name, model)] = where
            targets.append(ProbeTarget(
                source=name, model=model, interval=duration(raw, "interval", interval),
                timeout=duration(raw, "timeout", timeout), slow_first_token=duration(raw, "slow_first_token", slow)))
    return ProbeSettings(
        daily_budget_usd=Decimal(str(doc.get("daily_budget_usd", DEFAULTS["daily_budget_usd"]))),
        prompt=doc.get("prompt", DEFAULTS["prompt"]),
        max_tokens=doc.get("max_tokens", DEFAULTS["max_tokens"]),
        targets=tuple(targets),
    )


# -- one probe ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProbeResult:
    source: str
    model: str
    at: float  # unix seconds when it ended
    ok: bool
    reason: str | None = None  # a FAILURE_REASONS entry when not ok
    error: str | None = None  # redacted, for the landing page and the log
    headers_seconds: float | None = None
    ttft_seconds: float | None = None
    duration_seconds: float | None = None
    output_tokens: int | None = None
    tokens_per_second: float | None = None
    cost_usd: Decimal = ZERO


def run(client: Client, source: Any, target: ProbeTarget, settings: ProbeSettings,
        prices: tuple[Decimal | None, Decimal | None], clock: Callable[[], float]) -> ProbeResult:
    """One streamed request to target.model through `source` (its url and credentials), under
    the client's deadline. prices: the catalog's (input, output) USD per token, if known."""
    shape, path = source.probe_api
    url, payload = streams.request(shape, source.config.url, path, target.model, settings.prompt,
                                   settings.max_tokens)

    def failed(reason: str, error: str, **measured: Any) -> ProbeResult:
        return ProbeResult(target.source, target.model, clock(), False, reason, redact(error)[:300], **measured)

    try:
        with client.stream("probe", url, payload=payload, headers=source.headers()) as stream:
            reading = streams.read(shape, stream.lines())
            started, headers_at = stream.started, stream.headers_at
            finished = time.monotonic()
    except FetchError as err:
        return failed(err.reason, err.message)
    headers = headers_at - started
    if reading.error is not None:
        return failed("http_error", f"error inside the stream: {reading.error}", headers_seconds=headers)
    if reading.events == 0 or reading.unreadable:
        return failed("invalid_response", "the answer is not a stream of JSON events", headers_seconds=headers)
    if reading.first_content_at is None:
        return failed("empty_response", "the stream ended without any content", headers_seconds=headers)
    ttft = reading.first_content_at - started
    if not reading.ended:
        return failed("invalid_response", "the stream ended without its end marker", headers_seconds=headers,
                      ttft_seconds=ttft)
    tokens = reading.output_tokens if reading.output_tokens is not None else reading.content_chunks
    end = reading.ended_at if reading.ended_at is not None else finished
    generating = end - reading.first_content_at
    return ProbeResult(
        target.source, target.model, clock(), True,
        headers_seconds=headers, ttft_seconds=ttft, duration_seconds=finished - started, output_tokens=tokens,
        tokens_per_second=(tokens - 1) / generating if tokens >= 2 and generating > 0 else None,
        cost_usd=cost(reading, prices),
    )


def cost(reading: streams.Reading, prices: tuple[Decimal | None, Decimal | None]) -> Decimal:
    """The vendor's own figure where the stream carries one (OpenRouter), else the tokens it
    reports times the catalog's prices; unknown parts cost nothing."""
    if reading.reported_cost is not None:
        return reading.reported_cost
    total = ZERO
    for tokens, price in ((reading.input_tokens, prices[0]), (reading.output_tokens, prices[1])):
        if tokens is not None and price is not None:
            total += tokens * price
    return total


# -- the book ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProbeEntry:
    """Everything exported about one probed model."""

    target: ProbeTarget
    probes: int = 0
    failures: tuple[tuple[str, int], ...] = tuple((r, 0) for r in FAILURE_REASONS)
    skipped: tuple[tuple[str, int], ...] = tuple((r, 0) for r in SKIP_REASONS)
    last: ProbeResult | None = None  # the last probe, successful or not
    last_success: ProbeResult | None = None
    consecutive_failures: int = 0
    histogram: Histogram = field(default_factory=lambda: Histogram(bounds=DURATION_BUCKETS))


@dataclass(frozen=True, slots=True)
class ProbeView:
    entries: tuple[ProbeEntry, ...] = ()
    daily_budget_usd: Decimal = ZERO
    spend_usd: Decimal = ZERO  # all probes since start, never decreasing
    spend_today_usd: Decimal = ZERO

    @property
    def budget_remaining_usd(self) -> Decimal:
        return max(ZERO, self.daily_budget_usd - self.spend_today_usd)


class ProbeBook:
    """Counters, the daily budget and the last results. Not thread-safe: the engine holds
    its lock around every call."""

    def __init__(self, settings: ProbeSettings, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], ProbeEntry] = {}
        self._spend = ZERO
        self._day = ""
        self._day_spend = ZERO
        self._budget_logged = ""
        self.settings = settings
        self.configure(settings)

    def configure(self, settings: ProbeSettings) -> None:
        """New targets start at 0; kept ones keep their counters (a reload is not a reset)."""
        self.settings = settings
        old = self._entries
        self._entries = {t.key: replace(old[t.key], target=t) if t.key in old else ProbeEntry(t)
                         for t in settings.targets}

    def _today(self) -> Decimal:
        day = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%d")
        if day != self._day:  # the budget is per UTC day
            self._day, self._day_spend = day, ZERO
        return self._day_spend

    def allows(self, target: ProbeTarget, free: bool) -> bool:
        """Whether the budget lets this probe start: while today's spend is under the budget
        (so a day overshoots by one probe at most), and always for a free model."""
        if free or self._today() < self.settings.daily_budget_usd:
            return True
        if self._budget_logged != self._day:
            self._budget_logged = self._day
            log.warning("probes: today's budget of $%s is spent; paid models are not probed again until "
                        "00:00 UTC", self.settings.daily_budget_usd)
        return False

    def skip(self, target: ProbeTarget, reason: str) -> None:
        entry = self._entries.get(target.key)
        if entry is not None:
            self._entries[target.key] = replace(entry, skipped=_bump(entry.skipped, reason))

    def record(self, result: ProbeResult) -> None:
        self._today()
        self._spend += result.cost_usd
        self._day_spend += result.cost_usd
        entry = self._entries.get((result.source, result.model))
        if entry is None:  # removed by a reload while it ran
            return
        if result.ok:
            entry = replace(entry, probes=entry.probes + 1, last=result, last_success=result, consecutive_failures=0,
                            histogram=entry.histogram.observe(result.duration_seconds or 0.0))
        else:
            log.warning("probe %s/%s failed: %s: %s", result.source, result.model, result.reason, result.error)
            entry = replace(entry, probes=entry.probes + 1, last=result, failures=_bump(entry.failures, result.reason),
                            consecutive_failures=entry.consecutive_failures + 1)
        self._entries[(result.source, result.model)] = entry

    def view(self) -> ProbeView:
        return ProbeView(entries=tuple(self._entries.values()), daily_budget_usd=self.settings.daily_budget_usd,
                         spend_usd=self._spend, spend_today_usd=self._today())


def _bump(counts: tuple[tuple[str, int], ...], key: str | None) -> tuple[tuple[str, int], ...]:
    merged = Counter(dict(counts))
    merged[key or "invalid_response"] += 1
    return tuple(merged.items())


# -- when probes run ---------------------------------------------------------------------------
class Schedule:
    """When each target is next due. Targets start spread evenly over their interval, so a
    fleet of probes never fires at once, then run every interval from there."""

    def __init__(self, targets: Sequence[ProbeTarget], now: float) -> None:
        self._next: dict[tuple[str, str], float] = {}
        self._targets: dict[tuple[str, str], ProbeTarget] = {}
        self.reset(targets, now)

    def reset(self, targets: Sequence[ProbeTarget], now: float) -> None:
        """Kept targets keep their times; new ones get their place in the spread."""
        count = max(1, len(targets))
        self._next = {t.key: self._next.get(t.key, now + t.interval * i / count) for i, t in enumerate(targets)}
        self._targets = {t.key: t for t in targets}

    def due(self, now: float) -> list[ProbeTarget]:
        out = []
        for key, at in self._next.items():
            if at <= now:
                target = self._targets[key]
                out.append(target)
                while at <= now:  # after a stall, the next run is the next slot, not a burst
                    at += target.interval
                self._next[key] = at
        return out
