"""Turns the engine's views into the /metrics exposition, rendering only what changed.

The samples come from the parts declared in exporter.families: per source its status, its
providers and account, its models, its status page and so on, and fleet-wide the cheapest
models, the usage ledger and the budgets. Each part is rendered once when its key changes
(a new snapshot, a changed counter) into per-family sample lines, which are the same bytes in
the text and OpenMetrics formats; a gzip member of each is made on first use. A scrape joins
the cached pieces under each family's HELP and TYPE lines, so its cost does not depend on
how often sources poll, and a poll costs what it changed.

A concatenation of gzip members is itself a valid gzip stream (RFC 1952), which Prometheus's
and urllib3's readers decode, so gzip too is done once per piece rather than once per body.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal

from prometheus_client.core import Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from exporter.engine import FleetView
from exporter.families import ALL, BY_NAME, CACHED, FLEET_PARTS, SOURCE_PARTS, Family, Sample

__all__ = ["CACHED", "Exposition", "full_render"]

TEXT = "text"
OPENMETRICS = "openmetrics"
GZIP_LEVEL = 6
_EOF = b"# EOF\n"


class _Collector:
    def __init__(self, metrics: Iterable[Metric]):
        self._metrics = list(metrics)

    def collect(self) -> list[Metric]:
        return self._metrics


def _value(family: Family, value: object) -> object:
    if family.type == "histogram":
        return value
    return float(value) if isinstance(value, Decimal | bool | int) else value


def build_metrics(samples: Iterable[Sample]) -> dict[str, Metric]:
    """Metric families from samples, in first-sample order. A repeated label set is dropped:
    a duplicate series would make Prometheus reject the whole scrape."""
    metrics: dict[str, Metric] = {}
    seen: dict[str, set[tuple[str, ...]]] = {}
    for name, labels, value in samples:
        family = BY_NAME[name]
        metric = metrics.get(name)
        if metric is None:
            metric = metrics[name] = family.metric()
            seen[name] = set()
        key = tuple(labels)
        if key in seen[name]:
            continue
        seen[name].add(key)
        if family.type == "histogram":
            buckets, total = value
            metric.add_metric(list(key), buckets, total)  # type: ignore[call-arg]
        else:
            metric.add_metric(list(key), _value(family, value))  # type: ignore[call-arg]
    return metrics


def _lines(metric: Metric) -> bytes:
    """The sample lines of one family, without its HELP and TYPE lines."""
    text = generate_latest(_Collector([metric]))  # type: ignore[arg-type]
    cut = text.index(b"\n", text.index(b"\n") + 1) + 1
    return text[cut:]


def _headers(family: Family) -> dict[str, bytes]:
    empty = [family.metric()]
    text = generate_latest(_Collector(empty))  # type: ignore[arg-type]
    om = generate_openmetrics(_Collector(empty))  # type: ignore[arg-type]
    return {TEXT: text, OPENMETRICS: om.removesuffix(_EOF)}


class _Piece:
    """One part's rendered samples, per family; gzip members made on first use."""

    __slots__ = ("_gz", "key", "lines")

    def __init__(self, key: Hashable, lines: dict[str, bytes]):
        self.key = key
        self.lines = lines
        self._gz: dict[str, bytes] = {}

    def gz(self, name: str) -> bytes:
        member = self._gz.get(name)
        if member is None:
            member = self._gz[name] = gzip.compress(self.lines[name], GZIP_LEVEL, mtime=0)
        return member


def _render(samples: Iterable[Sample]) -> dict[str, bytes]:
    return {name: _lines(metric) for name, metric in build_metrics(samples).items() if metric.samples}


_HEADERS: dict[str, dict[str, bytes]] = {}
_HEADER_GZ: dict[tuple[str, str], bytes] = {}


def _header(name: str, fmt: str, compressed: bool) -> bytes:
    if name not in _HEADERS:
        _HEADERS[name] = _headers(BY_NAME[name])
    plain = _HEADERS[name][fmt]
    if not compressed:
        return plain
    member = _HEADER_GZ.get((name, fmt))
    if member is None:
        member = _HEADER_GZ[(name, fmt)] = gzip.compress(plain, GZIP_LEVEL, mtime=0)
    return member


_EOF_GZ = gzip.compress(_EOF, GZIP_LEVEL, mtime=0)


def all_samples(view: FleetView) -> Iterable[Sample]:
    for s in view.sources:
        for part in SOURCE_PARTS:
            yield from part.samples(view, s)
    for part in FLEET_PARTS:
        yield from part.samples(view)


def full_render(view: FleetView, fmt: str = TEXT) -> bytes:
    """The whole exposition rendered from scratch, the way every scrape rendered it before the
    fragment cache: the reference the cache is tested against, and the bench's baseline."""
    metrics = build_metrics(all_samples(view))
    ordered = [metrics[f.name] for f in ALL if f.name in metrics and metrics[f.name].samples]
    render = generate_openmetrics if fmt == OPENMETRICS else generate_latest
    return render(_Collector(ordered))  # type: ignore[arg-type]


class Exposition:
    """The /metrics bodies of the engine's current view.

    prepare() renders the parts whose keys changed; the engine calls it after each poll, so
    the rendering happens on the poll path. render() serves a body, preparing first if a
    newer view has not been prepared yet, and keeps each assembled body until the view
    changes. full=True renders everything per view, as before (the bench's baseline)."""

    TEXT = TEXT
    OPENMETRICS = OPENMETRICS

    def __init__(self, engine_view: Callable[[], FleetView], *, full: bool = False):
        self._engine_view = engine_view
        self._full = full
        self._lock = threading.Lock()
        self._generation = -1
        self._pieces: dict[tuple[str, str], _Piece] = {}
        self._order: list[_Piece] = []
        self._bodies: dict[tuple[str, bool], bytes] = {}
        self._view: FleetView | None = None
        self.parts_rendered = 0  # how many parts were rendered, for tests and the bench

    @property
    def view(self) -> FleetView | None:
        """The view the current bodies were made from."""
        return self._view

    def prepare(self) -> None:
        view = self._engine_view()
        with self._lock:
            self._prepare(view)

    def _prepare(self, view: FleetView) -> None:
        if view.generation == self._generation:
            return
        self._generation = view.generation
        self._view = view
        self._bodies = {}
        if self._full:
            return
        pieces: dict[tuple[str, str], _Piece] = {}
        order: list[_Piece] = []

        def piece(slot: tuple[str, str], key: Hashable, samples: Callable[[], Iterable[Sample]]) -> None:
            held = self._pieces.get(slot)
            if held is None or held.key != key:
                held = _Piece(key, _render(samples()) if key is not None else {})
                self.parts_rendered += 1
            pieces[slot] = held
            order.append(held)

        for s in view.sources:
            for part in SOURCE_PARTS:
                piece((s.name, part.name), part.key(view, s), lambda part=part, s=s: part.samples(view, s))
        for part in FLEET_PARTS:
            piece(("", part.name), part.key(view), lambda part=part: part.samples(view))
        self._pieces = pieces  # removed sources' pieces go
        self._order = order

    def render(self, fmt: str = TEXT, compressed: bool = False) -> bytes:
        view = self._engine_view()
        with self._lock:
            self._prepare(view)
            key = (fmt, compressed)
            body = self._bodies.get(key)
            if body is None:
                if self._full:
                    plain = self._bodies.get((fmt, False)) or full_render(view, fmt)
                    self._bodies[(fmt, False)] = plain
                    body = gzip.compress(plain, GZIP_LEVEL) if compressed else plain
                else:
                    body = self._assemble(fmt, compressed)
                self._bodies[key] = body
            return body

    def _assemble(self, fmt: str, compressed: bool) -> bytes:
        out: list[bytes] = []
        for family in ALL:
            name = family.name
            having = [p for p in self._order if name in p.lines]
            if not having:
                continue
            out.append(_header(name, fmt, compressed))
            out.extend(p.gz(name) if compressed else p.lines[name] for p in having)
        if fmt == OPENMETRICS:
            out.append(_EOF_GZ if compressed else _EOF)
        return b"".join(out)
