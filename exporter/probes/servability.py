"""What the liveness checks found: for each checked model whether it serves (and why not, and
the retirement its refusal named), the checks made and those skipped, as the immutable
LivenessView the metrics, the route and the landing page read."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace

from exporter.probes.liveness import LivenessResult

log = logging.getLogger(__name__)

SKIP_REASONS = ("budget", "source_down")


@dataclass(frozen=True, slots=True)
class ModelLiveness:
    source: str
    model: str
    checks: int = 0
    servable: bool | None = None  # None until a check's answer says either way
    reason: str | None = None  # why not servable: end_of_life, not_found, gone
    retires_at: float | None = None
    last: LivenessResult | None = None  # the last check, whatever it said

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.model)


@dataclass(frozen=True, slots=True)
class LivenessView:
    models: tuple[ModelLiveness, ...] = ()
    skipped: tuple[tuple[tuple[str, str], int], ...] = ()  # ((source, reason), count)

    def unservable(self) -> frozenset[tuple[str, str]]:
        return frozenset(m.key for m in self.models if m.servable is False)

    def retirements(self, source: str) -> dict[str, float]:
        """Model -> when its refusal says it retires or retired, for one source's models."""
        return {m.model: m.retires_at for m in self.models if m.source == source and m.retires_at is not None}


class ServabilityBook:
    """Not thread-safe: the liveness runner holds its lock around every call."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, str], ModelLiveness] = {}
        self._skipped: Counter[tuple[str, str]] = Counter()

    def configure(self, targets: list[tuple[str, str]]) -> None:
        """Kept models keep their verdict and counts; a model no longer checked is forgotten."""
        old = self._models
        self._models = {key: old.get(key) or ModelLiveness(*key) for key in targets}
        for source in {source for source, _ in targets}:
            for reason in SKIP_REASONS:
                self._skipped[(source, reason)] += 0

    def skip(self, source: str, reason: str) -> None:
        self._skipped[(source, reason)] += 1

    def record(self, result: LivenessResult) -> None:
        key = (result.source, result.model)
        entry = self._models.get(key)
        if entry is None:  # no longer a target
            return
        entry = replace(entry, checks=entry.checks + 1, last=result)
        if result.servable is None:
            log.info("liveness %s/%s: no verdict: %s", *key, result.error,
                     extra={"fields": {"source": key[0], "model": key[1], "reason": result.failure}})
        elif result.servable != entry.servable:
            if result.servable:
                log.info("liveness %s/%s: serves", *key, extra={"fields": {"source": key[0], "model": key[1]}})
            else:
                log.warning("liveness %s/%s: listed but not servable (%s): %s", *key, result.reason, result.error,
                            extra={"fields": {"source": key[0], "model": key[1], "reason": result.reason}})
        if result.servable is not None:
            entry = replace(entry, servable=result.servable, reason=result.reason,
                            retires_at=result.retires_at if result.retires_at is not None else
                            (entry.retires_at if result.servable is False else None))
        self._models[key] = entry

    def view(self) -> LivenessView:
        return LivenessView(models=tuple(self._models.values()), skipped=tuple(sorted(self._skipped.items())))
