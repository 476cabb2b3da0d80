"""Atlassian-compatible status pages (status.openai.com, status.anthropic.com, incident.io's
compatible pages): the page indicator, each component's status and the unresolved incidents;
`covers` names the sources whose vendor the page reports for."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exporter import units
from exporter.http import Client
from exporter.snapshot import COMPONENT_STATUSES, STATUS_INDICATORS, Incident, Snapshot, StatusPage
from exporter.sources.base import Source, SourceConfig, records

log = logging.getLogger(__name__)
MAX_COMPONENTS = 200
MAX_NAME = 200  # an incident's name is free text, exported as a label
MAX_INCIDENTS = 20  # unresolved ones; a page with more is reporting a catastrophe, not detail
IMPACTS = ("none", "minor", "major", "critical")
RESOLVED = ("resolved", "postmortem", "completed")


@dataclass(frozen=True, slots=True)
class StatuspageOptions:
    # The sources whose vendor this page reports for (config.py checks each is configured).
    covers: tuple[str, ...] = ()


class StatuspageSource(Source):
    type_name = "statuspage"
    default_url = None  # every page lives somewhere else: url is required
    needs_key = False
    endpoints = ("summary",)
    auth = "none"

    @classmethod
    def parse_options(cls, path: str, raw: Mapping[str, Any], problems: list[str]) -> StatuspageOptions:
        return StatuspageOptions(covers=tuple(raw.get("covers", ())))

    @classmethod
    def check_references(cls, path: str, config: SourceConfig, types: Mapping[str, str], problems: list[str]) -> None:
        options: StatuspageOptions = config.options or StatuspageOptions()
        for i, name in enumerate(options.covers):
            where = f"{path}.covers[{i}]"
            if name not in types:
                problems.append(f"{where}: {json.dumps(name)} is not a configured source")
            elif types[name] == cls.type_name:
                problems.append(f"{where}: {json.dumps(name)} is a status page itself; covers names the sources "
                                "whose calls the page reports on")

    def covered(self) -> tuple[str, ...]:
        options: StatuspageOptions = self.config.options or StatuspageOptions()
        return options.covers

    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def poll(self, client: Client) -> Snapshot:
        # A page that moved platforms redirects to HTML: that makes the source unknown, which
        # decode_json reports as invalid_response; it is never read as an outage.
        body = client.get_json("summary", self.url("/api/v2/summary.json"), headers=self.headers())
        status = body.get("status") if isinstance(body, dict) else None
        indicator = status.get("indicator") if isinstance(status, dict) else None
        if indicator not in STATUS_INDICATORS:
            raise client.invalid("summary", f"no known status.indicator in the answer (got {indicator!r})")
        components = []
        for item in records(body.get("components") or []):
            # Group rows only aggregate their members, which are listed on their own.
            if item.get("group") is True:
                continue
            name, state = item.get("name"), item.get("status")
            if isinstance(name, str) and state in COMPONENT_STATUSES:
                components.append((name, state))
        if len(components) > MAX_COMPONENTS:
            log.warning("%s: %d components, exporting the first %d", self.name, len(components), MAX_COMPONENTS)
            components = components[:MAX_COMPONENTS]
        incidents = []
        for item in records(body.get("incidents") or []):
            try:
                found = incident(item)
            except ValueError:  # an incident without an id or a date: the page itself still counts
                continue
            if found is not None:
                incidents.append(found)
        if len(incidents) > MAX_INCIDENTS:
            log.warning("%s: %d unresolved incidents, exporting the newest %d", self.name, len(incidents),
                        MAX_INCIDENTS)
            incidents = sorted(incidents, key=lambda i: -i.created_at)[:MAX_INCIDENTS]
        return Snapshot(
            status_page=StatusPage(
                indicator=indicator,
                components=tuple(components),
                incidents=tuple(incidents),
            )
        )


def incident(item: Mapping[str, Any]) -> Incident | None:
    """An unresolved incident; None for a resolved one. Raises for one without an id or a
    creation time (Source.each counts it as a bad item)."""
    if item.get("status") in RESOLVED or item.get("resolved_at"):
        return None
    created = units.iso_to_epoch_seconds(item.get("created_at"))
    ident = units.label(item.get("id"), "incident id")[:64]
    if created is None:
        raise ValueError("an incident without a created_at")
    impact = item.get("impact")
    return Incident(id=ident, name=str(item.get("name") or "")[:MAX_NAME],
                    impact=impact if impact in IMPACTS else "none", created_at=created)
