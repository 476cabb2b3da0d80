"""The fleet file: its models, their scores and the roles they fill."""

from __future__ import annotations

from collections.abc import Iterator

from exporter.families.base import Family, Part, Same, Sample
from exporter.views import FleetView

F = Family
FAMILIES = (
    F("llm_fleet_model_info", "gauge", "–", ("model", "provider", "status"),
      "A model of the fleet file, with its provider and status (active, standby, disabled); always 1."),
    F("llm_fleet_model_score", "gauge", "score 0–100", ("model", "dimension"),
      "The fleet file's score of the model per dimension (coding, reasoning, creativity, speed), 0 to 100."),
    F("llm_fleet_role_assignment", "gauge", "–", ("role", "model", "priority"),
      "The model fills the role at the priority (1 first); always 1."),
)


def _fleet(view: FleetView) -> Iterator[Sample]:
    for m in view.spend.settings.fleet.models:
        yield "llm_fleet_model_info", (m.model, m.provider, m.status), 1
        for dimension, score in m.scores:
            yield "llm_fleet_model_score", (m.model, dimension), score
        for a in m.roles:
            yield "llm_fleet_role_assignment", (a.role, m.model, str(a.priority)), 1


PARTS = (Part("fleet_file", "fleet", lambda view: (Same(view.spend.settings.fleet),), _fleet),)
