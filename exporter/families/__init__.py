"""Every metric family the exporter can emit, declared once, grouped by domain.

ALL is the exposition's family order; PARTS are the pieces of state that produce samples,
in the order their samples appear within a family (per source, then fleet-wide).
"""

from __future__ import annotations

from exporter.families import (
    budgets,
    catalog,
    exporter,
    fleetfile,
    gatewayz,
    keys,
    live,
    liveness,
    models,
    ollama,
    probes,
    process,
    providers,
    proxies,
    status,
    upstreams,
    usage,
)
from exporter.families.base import CACHED, Family, FamilyMetric, Part, Same, Sample

DOMAINS = (exporter, providers, models, upstreams, catalog, usage, live, keys, fleetfile, budgets, probes,
           liveness, status, gatewayz, proxies, ollama, process)
# The exporter's own process and interpreter, which --web.disable-exporter-metrics leaves out.
SELF_PARTS = frozenset(p.name for p in process.PARTS)
ALL: tuple[Family, ...] = tuple(f for domain in DOMAINS for f in domain.FAMILIES)
BY_NAME: dict[str, Family] = {f.name: f for f in ALL}
PARTS: tuple[Part, ...] = tuple(p for domain in DOMAINS for p in domain.PARTS)
SOURCE_PARTS = tuple(p for p in PARTS if p.scope == "source")
FLEET_PARTS = tuple(p for p in PARTS if p.scope == "fleet")

assert len(BY_NAME) == len(ALL), "a family is declared twice"

__all__ = ["ALL", "BY_NAME", "CACHED", "FLEET_PARTS", "PARTS", "SELF_PARTS", "SOURCE_PARTS", "Family", "FamilyMetric",
           "Part", "Same", "Sample"]
