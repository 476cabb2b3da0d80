"""One synthetic probe: a tiny real streamed request to a model through its source, measured
the way a user feels it (time to headers, to the first token, to the end, tokens per second)
and priced. The runner decides when it runs and whether it may."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from exporter.http import REASONS, Client, FetchError
from exporter.money import ZERO
from exporter.probes import ratelimits, streams
from exporter.probes.ratelimits import RateLimit
from exporter.probes.settings import ProbeSettings, ProbeTarget
from exporter.redact import redact

# overloaded: the vendor says it has no capacity (Anthropic's 529 and overloaded_error), which
# on-call reads differently from any other 5xx.
FAILURE_REASONS = (*REASONS, "empty_response", "overloaded")
OVERLOADED_STATUS = 529


def overloaded(status: int | None, error_type: str | None) -> bool:
    return status == OVERLOADED_STATUS or "overloaded" in (error_type or "").lower()


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
    # The rate limits the answer's headers carried; None when there was no answer at all.
    ratelimits: tuple[RateLimit, ...] | None = None
    malformed_headers: tuple[str, ...] = ()
    response_model: str = ""  # what the vendor says answered (successful probes)
    fingerprint: str = ""


def run(client: Client, source: Any, target: ProbeTarget, settings: ProbeSettings,
        prices: tuple[Decimal | None, Decimal | None], clock: Callable[[], float]) -> ProbeResult:
    """One streamed request to target.model through `source` (its url and credentials), under
    the client's deadline. prices: the catalog's (input, output) USD per token, if known."""
    shape, path = source.probe_api
    url, payload = streams.request(shape, source.config.url, path, target.model, settings.prompt,
                                   settings.max_tokens)

    limits: tuple[RateLimit, ...] | None = None
    malformed: tuple[str, ...] = ()

    def failed(reason: str, error: str, **measured: Any) -> ProbeResult:
        return ProbeResult(target.source, target.model, clock(), False, reason, redact(error)[:300],
                           ratelimits=limits, malformed_headers=malformed, **measured)

    try:
        with client.stream("probe", url, payload=payload, headers=source.headers()) as stream:
            limits, malformed = ratelimits.read(stream.headers, clock())
            reading = streams.read(shape, stream.lines())
            started, headers_at = stream.started, stream.headers_at
            finished = time.monotonic()
    except FetchError as err:
        if err.status is not None:  # an answer, if not a good one: its headers still count (a 429's)
            limits, malformed = ratelimits.read(err.headers, clock())
        if overloaded(err.status, err.error_type):
            return failed("overloaded", err.message)
        return failed(err.reason, err.message)
    headers = headers_at - started
    if reading.error is not None:
        reason = "overloaded" if overloaded(None, reading.error_type) else "http_error"
        return failed(reason, f"error inside the stream: {reading.error}", headers_seconds=headers)
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
        cost_usd=cost(reading, prices), ratelimits=limits, malformed_headers=malformed,
        response_model=reading.response_model, fingerprint=reading.fingerprint,
    )


def cost(reading: streams.Reading, prices: tuple[Decimal | None, Decimal | None]) -> Decimal:
    """The vendor's own figure where the stream carries one (OpenRouter), else the tokens it
    reports times the catalog's prices."""
    if reading.reported_cost is not None:
        return reading.reported_cost
    return priced(reading.input_tokens, reading.output_tokens, prices)


def priced(input_tokens: int | None, output_tokens: int | None, prices: tuple[Decimal | None, Decimal | None]
           ) -> Decimal:
    """Tokens times the catalog's (input, output) USD per token; unknown parts cost nothing."""
    total = ZERO
    for tokens, price in ((input_tokens, prices[0]), (output_tokens, prices[1])):
        if tokens is not None and price is not None:
            total += tokens * price
    return total
