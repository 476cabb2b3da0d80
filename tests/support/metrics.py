"""The one parser the tests read an exposition with."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Parsed = dict[str, list[tuple[dict[str, str], float]]]


def samples(text: str) -> Parsed:
    """Family name (without _total) -> [(labels, value)] for every sample of the text format."""
    out: Parsed = {}
    for family in text_string_to_metric_families(text):
        out.setdefault(family.name, []).extend((s.labels, s.value) for s in family.samples)
    return out


def value(parsed: Parsed, family: str, /, **labels: str) -> float:
    """The one sample of `family` that carries these labels (and asserts it is one)."""
    matches = [v for lab, v in parsed[family] if all(lab.get(k) == w for k, w in labels.items())]
    assert len(matches) == 1, (family, labels, matches)
    return matches[0]


# What `promtool check metrics` may object to: the exceptions docs/metrics.md documents (the
# GatewayZ compatibility names, the probe histograms named as specified, OpenRouter's own
# percentiles as gauges with a quantile label), and nothing else.
DOCUMENTED_LINT = ("gatewayz_", "llm_probe_duration_seconds_histogram ", "llm_probe_ttft_seconds_histogram ",
                   "llm_upstream_endpoint_latency_seconds ", "llm_upstream_endpoint_throughput_tokens_per_second ")


def undocumented_lint(problems: list[str]) -> list[str]:
    return [line for line in problems if not line.startswith(DOCUMENTED_LINT)]


def empty_by_design(now: float) -> set[str]:
    """Families the exporter leaves out at `now` by design, so a test that wants every family
    holds on any date: no budget forecast in a period's first hour (the demo's monthly budgets
    have none in the first hour of a month), and no OpenRouter activity on the 1st (no day of
    the month is complete yet)."""
    from exporter.units import window_start

    month = window_start("month", now)
    gaps = set()
    if now - month < 3600:
        gaps.add("llm_budget_forecast_usd")
    if now - month < 86400:
        gaps |= {"llm_vendor_usage_requests", "llm_vendor_model_spend_usd"}
    return gaps
