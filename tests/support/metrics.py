"""The one parser the tests read an exposition with."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable

from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families as text_families

Parsed = dict[str, list[tuple[dict[str, str], float]]]
Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str, openmetrics: bool = False) -> Iterable[Metric]:
    """The families of an exposition; OpenMetrics with the strict parser (a body without its
    `# EOF` fails), the text format with the lenient one Prometheus itself matches."""
    read: Callable[[str], Iterable[Metric]] = openmetrics_families if openmetrics else text_families
    return read(text)


def samples(text: str, openmetrics: bool = False) -> Parsed:
    """Family name (without _total) -> [(labels, value)] for every sample."""
    out: Parsed = {}
    for family in parse(text, openmetrics):
        out.setdefault(family.name, []).extend((s.labels, s.value) for s in family.samples)
    return out


def types(text: str, openmetrics: bool = False) -> dict[str, str]:
    """Family name -> its TYPE (counter, gauge, histogram, summary, unknown…)."""
    return {family.name: family.type for family in parse(text, openmetrics)}


def series(text: str) -> Series:
    """(sample name as exposed, sorted labels) -> value: one entry per line of the text format."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in parse(text) for s in family.samples}


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


def usage(parsed: Parsed) -> dict[tuple[str, str, str, str], float]:
    """The llm_usage_* counters as (provider, model, task, requests|failures|cost|input|output)."""
    out = {}
    for family, what in (("llm_usage_requests", "requests"), ("llm_usage_failures", "failures"),
                         ("llm_usage_cost_usd", "cost")):
        for labels, v in parsed.get(family, []):
            out[(labels["provider"], labels["model"], labels["task"], what)] = v
    for labels, v in parsed.get("llm_usage_tokens", []):
        if labels["token_type"] != "cache_read":
            out[(labels["provider"], labels["model"], labels["task"], labels["token_type"])] = v
    return out


def requests(parsed: Parsed) -> float:
    """Every call the usage book counted."""
    return sum(v for _, v in parsed.get("llm_usage_requests", []))


def one_member(body: bytes) -> bytes:
    """The plain bytes of a gzip body that must be exactly one member, nothing after it."""
    reader = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    plain = reader.decompress(body)
    assert reader.eof, "the gzip member does not end"
    assert reader.unused_data == b"", f"{len(reader.unused_data)} bytes after the first gzip member"
    return plain
