"""Liveness checks: whether the models in use (or named, or in the fleet file) still serve."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import Family, Part, Same, Sample
from exporter.views import FleetView

F = Family
FAMILIES = (
    F("llm_model_servable", "gauge", "0/1", ("source", "model"),
      "1 when the model's last liveness check got an answer, 0 when it was refused as retired, not found or "
      "gone; absent until a check says either (timeouts, 5xx and 429 keep the last value)."),
    F("llm_model_unservable_reason_info", "gauge", "–", ("source", "model", "reason"),
      "Why a model is not servable: end_of_life (the refusal says end of life, deprecated, retired or shut "
      "down), not_found (404, or a 400 saying the model does not exist), gone (410); always 1."),
    F("llm_liveness_checks_total", "counter", "checks", ("source", "model"),
      "Liveness checks of the model: one non-streamed call with max_tokens 1, on the probes' daily budget."),
    F("llm_liveness_checks_skipped_total", "counter", "checks", ("source", "reason"),
      "Liveness checks not made: budget (the probes' daily budget is spent), source_down (no current poll)."),
)


def _key(view: FleetView) -> Hashable:
    return (Same(view.liveness),)


def _samples(view: FleetView) -> Iterator[Sample]:
    liveness = view.liveness
    for m in liveness.models:
        yield "llm_liveness_checks_total", (m.source, m.model), m.checks
        if m.servable is not None:
            yield "llm_model_servable", (m.source, m.model), m.servable
        if m.servable is False and m.reason is not None:
            yield "llm_model_unservable_reason_info", (m.source, m.model, m.reason), 1
    for (source, reason), count in liveness.skipped:
        yield "llm_liveness_checks_skipped_total", (source, reason), count


PARTS = (Part("liveness", "fleet", _key, _samples),)
