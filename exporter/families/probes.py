"""Synthetic inference probes: the last probe of each model, their latency histograms, what
answered them, the rate-limit headroom their answers reported, and the counters and budget
behind them."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import Family, Part, Same, Sample
from exporter.views import FleetView

F = Family
SM = ("source", "model")
LAST = " Last successful probe."
FAMILIES = (
    F("llm_probe_success", "gauge", "0/1", SM, "1 when the last probe of the model succeeded."),
    F("llm_probe_headers_seconds", "gauge", "seconds", SM, "Time from sending the request to the response headers."
      + LAST),
    F("llm_probe_ttft_seconds", "gauge", "seconds", SM, "Time from sending the request to the first content token."
      + LAST),
    F("llm_probe_duration_seconds", "gauge", "seconds", SM, "Time from sending the request to the end of the stream."
      + LAST),
    F("llm_probe_output_tokens_per_second", "gauge", "tokens per second", SM,
      "Output tokens after the first, per second after the first token; absent under 2 tokens." + LAST),
    F("llm_probe_duration_seconds_histogram", "histogram", "seconds", SM,
      "Durations of successful probes, request to end of stream."),
    F("llm_probe_ttft_seconds_histogram", "histogram", "seconds", SM,
      "Times to the first content token of successful probes, with the duration histogram's buckets."),
    F("llm_probe_response_model_info", "gauge", "–", (*SM, "response_model", "fingerprint"),
      "What the vendor says answered the last successful probe: the model it names and its system fingerprint "
      "(empty where it sends none); always 1."),
    F("llm_probe_response_changes_total", "counter", "changes", SM,
      "Changes of the (response_model, fingerprint) pair between successive successful probes; the first probe "
      "is not a change, nor is a restart."),
    F("llm_ratelimit_limit", "gauge", "requests or tokens", (*SM, "kind"),
      "The rate limit the last probe's answer reported, by kind (requests, tokens, input_tokens, output_tokens)."),
    F("llm_ratelimit_remaining", "gauge", "requests or tokens", (*SM, "kind"),
      "What was left of the rate limit when the last probe was answered, by kind."),
    F("llm_ratelimit_reset_timestamp_seconds", "gauge", "unix seconds", (*SM, "kind"),
      "When the rate limit resets, as the last probe's answer said, by kind."),
    F("llm_probes_total", "counter", "probes", SM, "Probes made, successful or not."),
    F("llm_probe_failures_total", "counter", "probes", (*SM, "reason"),
      "Failed probes by reason: the poll reasons plus empty_response and overloaded (a 529, or an error the "
      "vendor says is overloaded)."),
    F("llm_probes_skipped_total", "counter", "probes", (*SM, "reason"),
      "Probes not made: source_down, budget (today's budget is spent) or overlap (the last one still runs)."),
    F("llm_probe_consecutive_failures", "gauge", "probes", SM,
      "Probes of the model that failed in a row since its last success."),
    F("llm_probe_last_success_timestamp_seconds", "gauge", "unix seconds", SM, "When the last successful probe ended."),
    F("llm_probe_ttft_threshold_seconds", "gauge", "seconds", SM,
      "The target's slow_first_token: LLMProbeSlowFirstToken fires above it."),
    F("llm_probe_spend_usd_total", "counter", "USD", (), "What probes have cost, all days together."),
    F("llm_probe_budget_remaining_usd", "gauge", "USD", (), "What is left of probes.daily_budget_usd this UTC day."),
)


def _key(view: FleetView) -> Hashable:
    return Same(view.probes)


def _samples(view: FleetView) -> Iterator[Sample]:
    probes = view.probes
    if not probes.entries:
        return
    for entry in probes.entries:
        key = entry.target.key
        last, good = entry.last, entry.last_success
        if last is not None:
            yield "llm_probe_success", key, last.ok
        if good is not None:
            yield "llm_probe_headers_seconds", key, good.headers_seconds
            yield "llm_probe_ttft_seconds", key, good.ttft_seconds
            yield "llm_probe_duration_seconds", key, good.duration_seconds
            if good.tokens_per_second is not None:
                yield "llm_probe_output_tokens_per_second", key, good.tokens_per_second
            yield "llm_probe_last_success_timestamp_seconds", key, good.at
        yield "llm_probe_duration_seconds_histogram", key, (entry.histogram.cumulative(), entry.histogram.total)
        yield "llm_probe_ttft_seconds_histogram", key, (entry.ttft_histogram.cumulative(),
                                                        entry.ttft_histogram.total)
        if entry.response is not None:
            yield "llm_probe_response_model_info", (*key, *entry.response), 1
        yield "llm_probe_response_changes_total", key, entry.response_changes
        for limit in entry.ratelimits:
            for family, value in (("llm_ratelimit_limit", limit.limit), ("llm_ratelimit_remaining", limit.remaining),
                                  ("llm_ratelimit_reset_timestamp_seconds", limit.reset_at)):
                if value is not None:
                    yield family, (*key, limit.kind), value
        yield "llm_probes_total", key, entry.probes
        for reason, count in entry.failures:
            yield "llm_probe_failures_total", (*key, reason), count
        for reason, count in entry.skipped:
            yield "llm_probes_skipped_total", (*key, reason), count
        yield "llm_probe_consecutive_failures", key, entry.consecutive_failures
        yield "llm_probe_ttft_threshold_seconds", key, entry.target.slow_first_token
    yield "llm_probe_spend_usd_total", (), probes.spend_usd
    yield "llm_probe_budget_remaining_usd", (), probes.budget_remaining_usd


PARTS = (Part("probes", "fleet", _key, _samples),)
