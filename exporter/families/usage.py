"""Usage: the vendors' own usage reports and the usage ledger."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.spend.book import META, SLICES, TOKEN_TYPES, slice_of
from exporter.views import FleetView, SourceView

F = Family
PMT = ("provider", "model", "task")
FAMILIES = (
    F("llm_vendor_usage_tokens", "gauge", "tokens", ("source", "model", "token_type"),
      "Tokens this UTC month by model and token_type (input: uncached input, output, cache_read, cache_write, "
      "reasoning), from the vendor's usage report or OpenRouter's activity (completed days)." + CACHED),
    F("llm_vendor_usage_requests", "gauge", "calls", ("source", "model"),
      "Requests this UTC month by model over its completed days, from OpenRouter's activity." + CACHED),
    F("llm_vendor_model_spend_usd", "gauge", "USD", ("source", "model", "kind"),
      "USD spent this UTC month by model over its completed days, from OpenRouter's activity: kind credits "
      "(OpenRouter credits) or byok (inference on your own provider keys)." + CACHED),
    F("llm_usage_requests_total", "counter", "calls", PMT,
      "Calls recorded in the usage ledger or a usage feed (LiteLLM's spend logs)."),
    F("llm_usage_failures_total", "counter", "calls", PMT,
      "Calls recorded in the usage ledger or a usage feed that failed."),
    F("llm_usage_tokens_total", "counter", "tokens", (*PMT, "token_type"),
      "Tokens recorded in the usage ledger by token_type (input, output, cache_read)."),
    F("llm_usage_cost_usd_total", "counter", "USD", PMT,
      "Cost of the ledger's calls in USD: the event's cost_usd, else priced from the catalog when the event was "
      "read."),
    F("llm_usage_duration_seconds", "histogram", "seconds", ("provider", "model"),
      "Duration of the ledger's calls that carry duration_seconds."),
    F("llm_usage_invalid_lines_total", "counter", "lines", ("file",), "Ledger lines skipped as malformed, by file."),
    F("llm_usage_unpriced_events_total", "counter", "events", ("model",),
      "Ledger events without cost_usd whose model no source prices; counted at 0 USD."),
    F("llm_usage_last_event_timestamp_seconds", "gauge", "unix seconds", (),
      "Unix time (the event's ts) of the newest ledger event."),
)


def _vendor_key(view: FleetView, s: SourceView) -> Hashable:
    snap = s.snapshot
    return (Same(snap.vendor_usage), Same(snap.vendor_requests), Same(snap.vendor_model_spend)) if snap else None


def _vendor(view: FleetView, s: SourceView) -> Iterator[Sample]:
    if s.snapshot is None:
        return
    for (model, token_type), tokens in s.snapshot.vendor_usage:
        yield "llm_vendor_usage_tokens", (s.name, model, token_type), tokens
    for model, requests in s.snapshot.vendor_requests:
        yield "llm_vendor_usage_requests", (s.name, model), requests
    for (model, kind), usd in s.snapshot.vendor_model_spend:
        yield "llm_vendor_model_spend_usd", (s.name, model, kind), usd


def _active(view: FleetView) -> bool:
    settings = view.spend.settings
    return bool(settings.ledger or settings.feeds)


def _slice(index: int) -> Part:
    """The llm_usage_* counters and histograms of the (provider, model) pairs in one slice of the
    book: a run that counts a few calls renders a few slices, not the whole book."""

    def key(view: FleetView) -> Hashable:
        return (_active(view), view.spend.book.versions[index])

    def samples(view: FleetView) -> Iterator[Sample]:
        if not _active(view):
            return
        book = view.spend.book
        for (provider, model, task), t in book.counters.items():
            if slice_of(provider, model) != index:
                continue
            labels = (provider, model, task)
            yield "llm_usage_requests_total", labels, t.requests
            yield "llm_usage_failures_total", labels, t.failures
            tokens = t.tokens()
            for token_type in TOKEN_TYPES:
                yield "llm_usage_tokens_total", (*labels, token_type), tokens[token_type]
            yield "llm_usage_cost_usd_total", labels, t.cost_usd
        for (provider, model), h in book.durations.items():
            if slice_of(provider, model) == index:
                yield "llm_usage_duration_seconds", (provider, model), (h.cumulative(), h.total)

    return Part(f"ledger-{index:02d}", "fleet", key, samples)


def _meta_key(view: FleetView) -> Hashable:
    return (_active(view), view.spend.book.versions[META], view.spend.files)


def _meta(view: FleetView) -> Iterator[Sample]:
    if not _active(view):
        return
    spend = view.spend
    book = spend.book
    for path in sorted({*spend.files, *book.invalid_lines}):
        yield "llm_usage_invalid_lines_total", (path,), book.invalid_lines[path]
    for model, count in sorted(book.unpriced.items()):
        yield "llm_usage_unpriced_events_total", (model,), count
    if book.last_event is not None:
        yield "llm_usage_last_event_timestamp_seconds", (), book.last_event


PARTS = (
    Part("vendor_usage", "source", _vendor_key, _vendor),
    *(_slice(index) for index in range(SLICES)),
    Part("ledger_meta", "fleet", _meta_key, _meta),
)
