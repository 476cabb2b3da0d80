"""The models liveness checks look at: named first, then the fleet file's, then those in use,
each through a source with a chat API that lists it."""

from __future__ import annotations

from exporter.engine.targets import liveness_targets
from exporter.probes.liveness import LivenessSettings
from exporter.snapshot import Event, Model, Snapshot
from exporter.spend.book import UsageBook
from exporter.spend.fleetfile import FleetFile, FleetModel
from exporter.spend.job import SpendView
from exporter.views import FleetView, SourceView
from tests.support.clock import NOW


def listed(name: str, *models: str, provider: str = "p", requests: tuple[tuple[str, int], ...] = ()) -> SourceView:
    snapshot = Snapshot(models=tuple(Model(provider, m, m) for m in models), vendor_requests=requests)
    return SourceView(name=name, type="openai", endpoints=(), interval=60, up=True, snapshot=snapshot)


def view(*sources: SourceView, calls: tuple[tuple[str, str, float], ...] = ()) -> FleetView:
    book = UsageBook()
    for provider, model, ts in calls:
        book.add(Event(ts, provider, model, "task", 10, 1), lambda e: None)
    return FleetView(generation=1, ready=True, sources=sources, spend=SpendView(book=book))


FLEET = FleetFile(models=(FleetModel("a", "b-src", "shared"), FleetModel("c", "x", "nowhere"),
                          FleetModel("d", "a-src", "off", status="disabled")))


def test_named_then_fleet_then_in_use_each_through_a_source_that_lists_it() -> None:
    v = view(listed("a-src", "shared", "used", "off"), listed("b-src", "shared", "reported",
                                                               requests=(("reported", 4), ("idle", 0))),
             calls=(("a-src", "used", NOW - 3600), ("elsewhere", "shared", NOW - 86400),
                    ("a-src", "stale", NOW - 9 * 86400)))
    settings = LivenessSettings(in_use=True, fleet=True, models=(("b-src", "named"),))
    assert liveness_targets(settings, FLEET, v, {"a-src", "b-src"}, NOW) == [
        ("b-src", "named"),  # named, even if its source does not list it (the check finds out)
        ("b-src", "shared"),  # the fleet file says provider b-src
        ("a-src", "used"),  # called through a-src this week
        ("a-src", "shared"),  # called through a provider no source is named after: the first that lists it
        ("b-src", "reported"),  # the vendor's own report this month
    ]


def test_nothing_is_chosen_unless_asked_and_sources_without_a_chat_api_are_passed_over() -> None:
    v = view(listed("a-src", "used"), listed("pages", "used"), calls=(("pages", "used", NOW - 60),))
    assert liveness_targets(LivenessSettings(), FLEET, v, {"a-src"}, NOW) == []
    assert liveness_targets(LivenessSettings(in_use=True), FLEET, v, {"a-src"}, NOW) == [("a-src", "used")]
