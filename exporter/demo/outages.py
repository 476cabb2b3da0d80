"""What the demo's vendors do not admit, on the demo's clock (seconds since the fleet started):

- Mistral's error rate rises for 4 minutes of every hour (from 10 s in): six calls in seven fail
  (two polls in three, after the exporter's retries) while its status page stays green, and the
  page declares an incident 6 minutes after the failures began: a detection lead of 360 s.
- Moonshot's page already admits an incident when the demo starts (declared 2 minutes before
  it), and Moonshot fails for its first 2.5 minutes of every hour: a lead of -120 s, the vendor
  told first, so even a first look (--demo --once) shows a lead.
- NVIDIA NIM still lists a model that answers 410 "reached its end of life on <date>".
- DeepSeek's account runs out of credit for 3 minutes of every 20 (from 1 minute in): its calls
  are refused with 402 "Insufficient Balance" while its balance endpoint still answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

HOUR = 3600
# (failing from, failing until, incident declared at, incident resolved at), seconds into each hour
MISTRAL = (10, 250, 10 + 360, 1200)
MOONSHOT = (0, 150, -120, 300)
# Mistral's spell is elevated error rates (its incident's own name), not a dead API: one call in
# seven answers. A client that retries twice, as the exporter does, makes three calls before a
# poll fails, so every third poll's first call answers: two polls in three fail, an outage to the
# at-least-half rule, and never more than two in a row, inside the exporter's stale window (3.5
# of the demo's 15 s intervals), so the catalog that names the demo's only model replacements
# stays on show through the spell. Moonshot's API is dead through its spell.
ANSWERED_EVERY = {"mistral": 7}
UNAVAILABLE = {"error": {"code": 503, "message": "upstream connect error or disconnect/reset before headers"}}
CREDIT_PERIOD, CREDIT_FROM, CREDIT_UNTIL = 1200, 60, 240
RETIRED_MODEL = "deepseek-ai/deepseek-v4-pro"
RETIRED_DAYS_AGO = 30
NIM_MODELS = ("meta/llama-3.3-70b-instruct", RETIRED_MODEL, "nvidia/llama-3.1-nemotron-70b-instruct")


def _phase(elapsed: float, period: int = HOUR) -> float:
    return elapsed % period


def failing(vendor: str, elapsed: float) -> bool:
    """Whether the vendor is within a failing spell now (Spells says which calls it refuses)."""
    timeline = {"mistral": MISTRAL, "moonshot": MOONSHOT}.get(vendor)
    if timeline is None:
        return False
    start, until, _, _ = timeline
    return start <= _phase(elapsed) < until


class Spells:
    """Which calls a failing spell refuses: each vendor's calls within its spells are counted
    (one demo server, one count), and every ANSWERED_EVERY-th of them answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}

    def refuses(self, vendor: str, elapsed: float) -> bool:
        """Whether this call to the vendor's API fails; ask once per request."""
        if not failing(vendor, elapsed):
            return False
        every = ANSWERED_EVERY.get(vendor)
        if every is None:
            return True
        with self._lock:
            calls = self._calls[vendor] = self._calls.get(vendor, 0) + 1
        return calls % every != 0

    def answer(self, vendor: str, elapsed: float, body: Callable[[], Any]) -> tuple[int, Any]:
        """The vendor's answer to this call: its body, or the 503 its gateway sends in a spell."""
        return (503, UNAVAILABLE) if self.refuses(vendor, elapsed) else (200, body())


def out_of_credit(elapsed: float) -> bool:
    return CREDIT_FROM <= _phase(elapsed, CREDIT_PERIOD) < CREDIT_UNTIL


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def status_summary(vendor: str, elapsed: float, now: float) -> dict[str, Any]:
    """The vendor's page: green, or the incident it has declared (and not yet resolved)."""
    start, _, declared, resolved = MISTRAL if vendor == "mistral" else MOONSHOT
    phase = _phase(elapsed)
    hour_began = now - phase
    open_incident = declared <= phase < resolved or (declared < 0 and phase < resolved)
    incidents: list[dict[str, Any]] = []
    if open_incident:
        created = hour_began + declared
        incidents.append({"id": f"demo-{vendor}-{int(hour_began)}", "name": "Elevated error rates on the API",
                          "status": "investigating", "impact": "minor", "created_at": _iso(created),
                          "started_at": _iso(hour_began + start), "updated_at": _iso(created), "resolved_at": None,
                          "shortlink": "https://stspg.example.invalid/demo", "components": []})
    api = "partial_outage" if open_incident else "operational"
    return {
        "page": {"id": vendor, "name": vendor.title(), "url": f"https://status.{vendor}.example.invalid"},
        "status": {"indicator": "minor" if open_incident else "none",
                   "description": "Minor Service Outage" if open_incident else "All Systems Operational"},
        "components": [{"id": f"{vendor}-api", "name": "API", "status": api, "group": False}],
        "incidents": incidents,
    }


def nim_models() -> dict[str, Any]:
    """NIM's list, the retired model still in it."""
    return {"object": "list", "data": [{"id": m, "object": "model", "created": 1735689600, "owned_by": m.split("/")[0]}
                                       for m in NIM_MODELS]}


def end_of_life(model: str, now: float) -> dict[str, Any]:
    """NIM's RFC 7807 answer for a retired model, the end-of-life instant in its detail."""
    day = datetime.fromtimestamp(now - RETIRED_DAYS_AGO * 86400, UTC).strftime("%Y-%m-%d")
    return {"type": "about:blank", "title": "Gone", "status": 410,
            "detail": f"The model '{model}' has reached its end of life on {day}T09:00:00Z and is no longer available."}


# DeepSeek's refusal of an empty account (type and code look swapped: that is how it sends them).
INSUFFICIENT_BALANCE = {"error": {"message": "Insufficient Balance", "type": "unknown_error", "param": None,
                                  "code": "invalid_request_error"}}
