"""Vendor status pages (Atlassian Statuspage and compatible), the sources each covers, its
unresolved incidents, and how long before the vendor declared one the exporter saw it fail."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.failures import STREAK_GAP
from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.snapshot import COMPONENT_STATUSES, STATUS_INDICATORS, Incident
from exporter.views import FleetView, SourceView

F = Family
FAMILIES = (
    F("llm_status_page_indicator", "gauge", "state set", ("source", "indicator"),
      "Status page overall indicator as a state set over none, minor, major, critical, maintenance." + CACHED),
    F("llm_status_component", "gauge", "state set", ("source", "component", "status"),
      "Status page component status as a state set over operational, degraded_performance, partial_outage, "
      "major_outage, under_maintenance." + CACHED),
    F("llm_status_page_covers_info", "gauge", "–", ("source", "covered_source"),
      "The status page source reports for the covered source's vendor (the page's covers); always 1."),
    F("llm_status_incident_info", "gauge", "–", ("source", "incident", "name", "impact"),
      "An unresolved incident the status page reports, with its name and impact (none, minor, major, "
      "critical); always 1. At most 20 per page." + CACHED),
    F("llm_status_incident_detection_lead_seconds", "gauge", "seconds", ("source", "incident"),
      "How long before the page declared the incident (its created_at) the exporter's own polls and probes "
      "of the covered sources began failing: positive when the exporter saw it first. No sample when they "
      "saw no failure around it."),
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


def _incident_samples(view: FleetView, s: SourceView) -> Iterator[Sample]:
    page = s.snapshot.status_page if s.snapshot else None
    for incident in page.incidents if page is not None else ():
        yield "llm_status_incident_info", (s.name, incident.id, incident.name, incident.impact), 1


def lead(incident: Incident, covered: list[SourceView]) -> float | None:
    """The incident's created_at minus the start of the covered sources' failure streak it
    belongs to: the first streak still failing within STREAK_GAP of the declaration (the
    earliest, if several sources failed). None when none of them failed around it."""
    starts = [next((first for first, last in v.failure_streaks if last >= incident.created_at - STREAK_GAP), None)
              for v in covered]
    found = [start for start in starts if start is not None]
    return incident.created_at - min(found) if found else None


def _covered(view: FleetView) -> dict[str, list[SourceView]]:
    by_name = {v.name: v for v in view.sources}
    out: dict[str, list[SourceView]] = {}
    for page, covered in view.covers:
        if covered in by_name:
            out.setdefault(page, []).append(by_name[covered])
    return out


def _lead_key(view: FleetView) -> Hashable:
    covered = _covered(view)
    return tuple((s.name, Same(s.snapshot.status_page), tuple(v.failure_streaks for v in covered[s.name]))
                 for s in view.sources if s.snapshot is not None and s.snapshot.status_page is not None
                 and s.name in covered)


def _lead_samples(view: FleetView) -> Iterator[Sample]:
    covered = _covered(view)
    for s in view.sources:
        page = s.snapshot.status_page if s.snapshot else None
        if page is None or s.name not in covered:
            continue
        for incident in page.incidents:
            seconds = lead(incident, covered[s.name])
            if seconds is not None:
                yield "llm_status_incident_detection_lead_seconds", (s.name, incident.id), seconds


def _covers_key(view: FleetView) -> Hashable:
    return view.covers


def _covers_samples(view: FleetView) -> Iterator[Sample]:
    for page, covered in view.covers:
        yield "llm_status_page_covers_info", (page, covered), 1


PARTS = (
    Part("status_page", "source", _key, _samples),
    Part("status_incidents", "source", _key, _incident_samples),
    Part("status_covers", "fleet", _covers_key, _covers_samples),
    Part("status_detection_lead", "fleet", _lead_key, _lead_samples),
)
