"""One poll of one source: the client it gets (the source's own session, the engine's clock,
a deadline inside its interval), what it answered or why it could not, and the caps on what
is kept. The engine decides when a source is polled and folds the result into its state."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import requests

from exporter.http import Client, FetchError, PollRecorder
from exporter.jobs import poll_budget
from exporter.redact import redact
from exporter.snapshot import Snapshot
from exporter.sources.base import Source, SourceConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollResult:
    snapshot: Snapshot | None  # None: the poll failed, as `error` says
    error: str | None
    retry_after: float | None  # seconds a 429 asked to wait, already capped
    recorder: PollRecorder
    duration: float
    endpoint: str | None = None  # where a failed poll failed, and why (a REASONS entry)
    reason: str | None = None


def max_retry_after(interval: float) -> float:
    """The longest a 429's Retry-After parks a source: 10 intervals, at most an hour."""
    return min(10 * interval, 3600.0)


def poll(source: Source, *, session: requests.Session, clock: Callable[[], float], retries: int, backoff: float,
         live: Callable[[Client], contextlib.AbstractContextManager[None]]) -> PollResult:
    """Polls `source` once through a client on `session`. `live` registers the client while
    it runs, so the engine can cut its requests when it stops. Never raises for anything a
    vendor sends."""
    sc = source.config
    recorder = PollRecorder()
    started = time.monotonic()
    deadline = started + poll_budget(sc.interval, sc.timeout, retries)
    snapshot: Snapshot | None = None
    error: str | None = None
    retry_after: float | None = None
    endpoint: str | None = None
    reason: str | None = None
    with Client(timeout=sc.timeout, deadline=deadline, recorder=recorder, retries=retries, backoff=backoff,
                session=session, max_body=sc.max_response_bytes, clock=clock) as client, live(client):
        try:
            snapshot = source.poll(client)
        except FetchError as exc:
            error = f"{exc.endpoint}: {exc.reason}: {exc.message}"
            endpoint, reason = exc.endpoint, exc.reason
            retry_after = exc.retry_after
            if exc.reason == "rate_limited" and retry_after is None:
                retry_after = sc.interval  # a 429 that does not say how long to wait: skip one interval
            if retry_after is not None:
                # A vendor's Retry-After of 999999999 must not park a source for 31 years.
                retry_after = min(retry_after, max_retry_after(sc.interval))
        except Exception as exc:  # a vendor's odd answer must never take the process down
            endpoint = recorder.last_endpoint or (source.endpoint_names() or ("unknown",))[0]
            reason = "invalid_response"
            recorder.failure(endpoint, reason)
            error = redact(f"{endpoint}: invalid_response: {type(exc).__name__}: {exc}")[:500]
    return PollResult(snapshot, error, retry_after, recorder, time.monotonic() - started, endpoint, reason)


def cap(snapshot: Snapshot, sc: SourceConfig, quiet: tuple[bool, bool] = (False, False)) -> tuple[Snapshot, int, int]:
    """The snapshot within limits.max_models and limits.max_providers, and how many of each
    were left out: a vendor that lists a runaway number must not take the memory and the
    series count with it. The first ones, in the vendor's order, are kept. What is left out
    is logged unless `quiet` says it already was (models, providers)."""
    models = len(snapshot.models) - sc.max_models
    providers = len(snapshot.providers) - sc.max_providers
    if models > 0 and not quiet[0]:
        log.warning("%s: %d models over limits.max_models=%d are left out", sc.name, models, sc.max_models,
                    extra={"fields": {"source": sc.name, "dropped": models, "max_models": sc.max_models}})
    if providers > 0 and not quiet[1]:
        log.warning("%s: %d providers over limits.max_providers=%d are left out", sc.name, providers,
                    sc.max_providers,
                    extra={"fields": {"source": sc.name, "dropped": providers, "max_providers": sc.max_providers}})
    if models <= 0 and providers <= 0:
        return snapshot, 0, 0
    changes: dict[str, Any] = {}
    if models > 0:
        changes["models"] = snapshot.models[: sc.max_models]
    if providers > 0:
        kept = snapshot.providers[: sc.max_providers]
        changes["providers"] = kept
        if snapshot.gatewayz is not None:
            ids = {p.id for p in kept}
            stats = snapshot.gatewayz
            changes["gatewayz"] = replace(
                stats, response_times_ms=tuple(pair for pair in stats.response_times_ms if pair[0] in ids),
                last_health_checks=tuple(pair for pair in stats.last_health_checks if pair[0] in ids))
    return replace(snapshot, **changes), max(models, 0), max(providers, 0)
