"""Atlassian-compatible status pages (status.openai.com, status.anthropic.com, incident.io's
compatible pages): the page indicator and each component's status."""

from __future__ import annotations

import logging

from exporter.http import Client
from exporter.snapshot import COMPONENT_STATUSES, STATUS_INDICATORS, Snapshot, StatusPage
from exporter.sources.base import Source, records

log = logging.getLogger(__name__)
MAX_COMPONENTS = 200


class StatuspageSource(Source):
    type_name = "statuspage"
    default_url = None  # every page lives somewhere else: url is required
    needs_key = False
    endpoints = ("summary",)
    auth = "none"

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
        return Snapshot(
            status_page=StatusPage(
                indicator=indicator,
                components=tuple(components),
            )
        )
