"""Vendor status pages (Atlassian Statuspage and compatible)."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.snapshot import COMPONENT_STATUSES, STATUS_INDICATORS
from exporter.views import FleetView, SourceView

F = Family
FAMILIES = (
    F("llm_status_page_indicator", "gauge", "state set", ("source", "indicator"),
      "Status page overall indicator as a state set over none, minor, major, critical, maintenance." + CACHED),
    F("llm_status_component", "gauge", "state set", ("source", "component", "status"),
      "Status page component status as a state set over operational, degraded_performance, partial_outage, "
      "major_outage, under_maintenance." + CACHED),
)


def _key(view: FleetView, s: SourceView) -> Hashable:
    return (Same(s.snapshot.status_page) if s.snapshot else None,)


def _samples(view: FleetView, s: SourceView) -> Iterator[Sample]:
    page = s.snapshot.status_page if s.snapshot else None
    if page is None:
        return
    for indicator in STATUS_INDICATORS:
        yield "llm_status_page_indicator", (s.name, indicator), indicator == page.indicator
    for component, status in page.components:
        for candidate in COMPONENT_STATUSES:
            yield "llm_status_component", (s.name, component, candidate), candidate == status


PARTS = (Part("status_page", "source", _key, _samples),)
