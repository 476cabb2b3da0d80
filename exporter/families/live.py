"""What real calls felt, from the usage feeds' rows and the ledger's lines (spend/live.py):
time to the first token, duration, outcome, cache hits, and substitutions."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import Family, Part, Sample
from exporter.spend.book import SLICES, slice_of
from exporter.spend.live import SUBSTITUTED
from exporter.views import FleetView

F = Family
WHERE = ("source", "provider", "model")
FAMILIES = (
    F("llm_live_ttft_seconds", "histogram", "seconds", WHERE,
      "Time to the first token of real streamed calls: a LiteLLM spend-log row's completionStartTime minus its "
      "startTime (non-streamed calls, whose completionStartTime is their endTime, are left out), or a ledger "
      "line's ttft_ms. source is the usage feed's source, or ledger."),
    F("llm_live_duration_seconds", "histogram", "seconds", WHERE,
      "Duration of real calls: endTime minus startTime (or request_duration_ms), or a ledger line's duration."),
    F("llm_live_requests_total", "counter", "calls", (*WHERE, "status"),
      "Real calls by outcome (success, failure), each counted once as usage is."),
    F("llm_live_cache_hits_total", "counter", "calls", WHERE,
      "Real calls a cache answered (a spend-log row's cache_hit, a ledger line's cache_hit)."),
    F("llm_live_substitutions_total", "counter", "calls", ("source", "requested", "served"),
      "Real calls another model answered than the one asked for: a LiteLLM row whose model is not among the "
      "deployments /model/info lists for its model_group (a fallback or a misroute; an alias is not one), or a "
      "ledger line whose requested_model differs from its model."),
)


def _active(view: FleetView) -> bool:
    settings = view.spend.settings
    return bool(settings.ledger or settings.feeds)


def _slice(index: int) -> Part:
    """The histograms and counters of the (provider, model) pairs in one slice of the live book."""

    def key(view: FleetView) -> Hashable:
        return (_active(view), view.spend.live.versions[index])

    def samples(view: FleetView) -> Iterator[Sample]:
        if not _active(view):
            return
        live = view.spend.live
        for where, hist in live.ttft.items():
            if slice_of(where[1], where[2]) == index:
                yield "llm_live_ttft_seconds", where, (hist.cumulative(), hist.total)
        for where, hist in live.durations.items():
            if slice_of(where[1], where[2]) == index:
                yield "llm_live_duration_seconds", where, (hist.cumulative(), hist.total)
        for key, count in live.requests.items():
            if slice_of(key[1], key[2]) == index:
                yield "llm_live_requests_total", key, count
        for where, count in live.cache_hits.items():
            if slice_of(where[1], where[2]) == index:
                yield "llm_live_cache_hits_total", where, count

    return Part(f"live-{index:02d}", "fleet", key, samples)


def _substitutions_key(view: FleetView) -> Hashable:
    return (_active(view), view.spend.live.versions[SUBSTITUTED])


def _substitutions(view: FleetView) -> Iterator[Sample]:
    if not _active(view):
        return
    for swap, count in view.spend.live.substitutions.items():
        yield "llm_live_substitutions_total", swap, count


PARTS = (*(_slice(index) for index in range(SLICES)), Part("live_substitutions", "fleet", _substitutions_key,
                                                            _substitutions))
