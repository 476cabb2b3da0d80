"""The engine's immutable views: what is known about each source (SourceView) and about the
whole fleet (FleetView), swapped whole after every change. Collectors, JSON endpoints and the
landing page read them without locks and never see half a poll."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from exporter.catalog.watch import CatalogView
from exporter.probes.book import ProbeView
from exporter.probes.servability import LivenessView
from exporter.snapshot import Snapshot
from exporter.spend.job import SpendView


@dataclass(frozen=True, slots=True)
class SourceView:
    """Everything known about one source, as of its last poll."""

    name: str
    type: str
    endpoints: tuple[str, ...]
    interval: float
    up: bool = False
    polled: bool = False
    last_success: float | None = None
    last_poll: float | None = None
    last_error: str | None = None
    poll_duration: float | None = None
    # The last good snapshot while it is within the stale window, else None.
    snapshot: Snapshot | None = None
    requests: tuple[tuple[str, int], ...] = ()
    failures: tuple[tuple[tuple[str, str], int], ...] = ()
    skipped: tuple[tuple[str, int], ...] = ()
    failed_polls: int = 0
    blocked_until: float | None = None
    models_dropped: int = 0  # over limits.max_models, summed over polls
    providers_dropped: int = 0  # over limits.max_providers, summed over polls
    folded: tuple[tuple[str, int], ...] = ()  # Snapshot.folded, summed over polls
    # What the exporter itself saw of the vendor (engine/outcomes.py): its polls and probes over
    # the last five minutes as (calls, failed), and (first, last) failure of the latest streaks.
    observed: tuple[int, int] = (0, 0)
    failure_streaks: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Shard:
    """What this exporter is in a sharded fleet (cli/shards.py): its index of `count`, whether it
    runs the fleet-wide work, and the config's sources against the ones it owns."""

    index: int = 0
    count: int = 1
    fleet_wide: bool = True  # the usage ledger, budgets, recommendations, the fleet file
    configured: int = 0  # sources in the config
    owned: tuple[str, ...] = ()  # the sources this shard polls


@dataclass(frozen=True, slots=True)
class FleetView:
    generation: int
    ready: bool
    sources: tuple[SourceView, ...]
    catalog: CatalogView = field(default_factory=CatalogView)
    spend: SpendView = field(default_factory=SpendView)
    probes: ProbeView = field(default_factory=ProbeView)
    liveness: LivenessView = field(default_factory=LivenessView)
    # (source, balance_alert_threshold) for the sources that set one
    thresholds: tuple[tuple[str, Decimal], ...] = ()
    # (status page source, a source it covers), as the pages' covers say
    covers: tuple[tuple[str, str], ...] = ()
    shard: Shard = field(default_factory=Shard)

    def fresh(self) -> Iterator[tuple[SourceView, Snapshot]]:
        """Each source that has a snapshot within its stale window, with that snapshot."""
        for source in self.sources:
            if source.snapshot is not None:
                yield source, source.snapshot


class Views(Protocol):
    """Where the views come from: the engine, as the web and the exposition see it. They read
    views; they never reach into the engine."""

    def view(self) -> FleetView: ...

    @property
    def ready(self) -> bool: ...

    def subscribe(self, listener: Callable[[], None]) -> None: ...
