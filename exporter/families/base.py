"""What a metric family is, declared once as data, and what a part of the exposition is.

A Family is the public contract: name, type, unit, labels and help. The renderer, the
fragment cache and the README's metric table all read these declarations.

A Part produces the samples of some families from one piece of state (a source's providers,
its models, the fleet's budgets, ...). Its key says when that state changed: the renderer
renders a part again only when its key differs from the one it rendered last, so a poll that
changes nothing upstream renders nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

# Appended to the help of families read from a source's last poll.
CACHED = " Cached from the source's last poll: a scrape never calls the provider."


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    type: str  # gauge | counter | histogram
    unit: str  # as the README's metric table says it
    labels: tuple[str, ...]
    help: str

    def metric(self) -> FamilyMetric:
        labels = list(self.labels)
        if self.type == "histogram":
            return HistogramMetricFamily(self.name, self.help, labels=labels)
        if self.type == "counter":
            return CounterMetricFamily(self.name, self.help, labels=labels)
        return GaugeMetricFamily(self.name, self.help, labels=labels)


# What Family.metric() makes: the prometheus_client family of the declared type.
FamilyMetric = GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily

# A sample: (family name, label values, value). A histogram's value is (cumulative buckets, sum).
Sample = tuple[str, Sequence[str], Any]


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    scope: str  # "source": once per source; "fleet": once
    key: Callable[..., Hashable]
    samples: Callable[..., Iterable[Sample]]


class Same:
    """Wraps an object so that keys compare it by identity (and hold it, so its id is not
    reused while the key lives). Snapshot fields that did not change keep their identity
    from poll to poll (snapshot.carry_over), so identity means "unchanged"."""

    __slots__ = ("obj",)

    def __init__(self, obj: object):
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)
