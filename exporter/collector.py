"""Turns the engine's views into the /metrics exposition, rendering only what changed.

The samples come from the parts declared in exporter.families: per source its status, its
providers and account, its models, its status page and so on, and fleet-wide the cheapest
models, the usage ledger and the budgets. Each part is rendered once when its key changes
(a new snapshot, a changed counter) into per-family sample lines, which are the same bytes in
the text and OpenMetrics formats. A scrape joins the cached pieces under each family's HELP
and TYPE lines, so its cost does not depend on how often sources poll, and a poll costs what
it changed.

gzip is done once per piece too, yet a body is one gzip member, which every client reads
whole (curl and urllib3 stop after the first member of a multi-member stream). Each piece is
compressed alone as raw deflate ending on a full flush: byte-aligned, its last block not
final, and referring to no byte before it, so pieces can be laid end to end in any order.
A body is a gzip header, the pieces' deflate, one empty final block, and the CRC-32 and
length of the plain body (RFC 1951, RFC 1952).
"""

from __future__ import annotations

import functools
import gzip
import logging
import re
import struct
import threading
import zlib
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from typing import Any, cast

from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.exposition import generate_latest as _generate_text
from prometheus_client.openmetrics.exposition import generate_latest as _generate_openmetrics
from prometheus_client.registry import CollectorRegistry

from exporter.families import ALL, BY_NAME, CACHED, FLEET_PARTS, SELF_PARTS, SOURCE_PARTS, Family, FamilyMetric, Sample
from exporter.views import FleetView

__all__ = ["CACHED", "Exposition", "full_render"]

log = logging.getLogger(__name__)

TEXT = "text"
OPENMETRICS = "openmetrics"
GZIP_LEVEL = 6
MAX_LABEL_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_EOF = b"# EOF\n"


class _Collector:
    """Metrics already built, handed to prometheus_client's renderers in place of a registry
    (they only call collect())."""

    def __init__(self, metrics: Iterable[Metric]):
        self._metrics = list(metrics)

    def collect(self) -> list[Metric]:
        return self._metrics


def generate_text(collector: _Collector) -> bytes:
    return _generate_text(cast(CollectorRegistry, collector))


def generate_openmetrics(collector: _Collector) -> bytes:
    render: Callable[[CollectorRegistry], bytes] = _generate_openmetrics  # its module has no type hints
    return render(cast(CollectorRegistry, collector))


def _value(value: object) -> float:
    """A sample's value as the exposition writes it (Decimal money, bools and ints as floats)."""
    if isinstance(value, Decimal | bool | int | float):
        return float(value)
    raise TypeError(f"not a sample value: {type(value).__name__}")


def label_value(value: str) -> str:
    """A label value whatever a vendor sent: without control characters, with lone surrogates
    (JSON's "\\ud800") replaced so it encodes as UTF-8, and at most MAX_LABEL_CHARS long."""
    if not isinstance(value, str):
        value = str(value)
    if len(value) <= MAX_LABEL_CHARS and value.isprintable():  # nearly every value
        return value
    value = _CONTROL.sub("", value)
    value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value[:MAX_LABEL_CHARS]


def build_metrics(samples: Iterable[Sample]) -> dict[str, FamilyMetric]:
    """Metric families from samples, in first-sample order, label values cleaned. A repeated
    label set (also one that cleaning made equal) is dropped: a duplicate series would make
    Prometheus reject the whole scrape."""
    metrics: dict[str, FamilyMetric] = {}
    seen: dict[str, set[tuple[str, ...]]] = {}
    for name, labels, value in samples:
        family = BY_NAME[name]
        metric = metrics.get(name)
        if metric is None:
            metric = metrics[name] = family.metric()
            seen[name] = set()
        key = tuple(map(label_value, labels))
        if key in seen[name]:
            continue
        seen[name].add(key)
        if isinstance(metric, HistogramMetricFamily):
            buckets, total = value
            metric.add_metric(list(key), buckets, total)
        else:
            metric.add_metric(list(key), _value(value))
    return metrics


def _lines(metric: Metric) -> bytes:
    """The sample lines of one family, without its HELP and TYPE lines."""
    text = generate_text(_Collector([metric]))
    cut = text.index(b"\n", text.index(b"\n") + 1) + 1
    return text[cut:]


def _headers(family: Family) -> dict[str, bytes]:
    empty = [family.metric()]
    text = generate_text(_Collector(empty))
    om = generate_openmetrics(_Collector(empty))
    return {TEXT: text, OPENMETRICS: om.removesuffix(_EOF)}


# A gzip header (RFC 1952): deflate, no flags, mtime 0, no extra flags, OS unknown.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_FINAL_BLOCK = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # an empty final block


def deflate_piece(data: bytes) -> bytes:
    """`data` as raw deflate that ends on a full flush: it can sit anywhere in a deflate stream."""
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)


def gzip_member(plain: list[bytes], deflated: list[bytes]) -> bytes:
    """One gzip member of the plain pieces' concatenation, from their deflate_piece()s."""
    crc, size = 0, 0
    for data in plain:
        crc = zlib.crc32(data, crc)
        size += len(data)
    return b"".join((_GZIP_HEADER, *deflated, _FINAL_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)))


class _Piece:
    """One part's rendered samples, per family, and their deflate. Both are made when the
    part is rendered, on the poll path: Prometheus always asks for gzip, and compressing a
    large fragment on the first scrape after a change would put it on the scrape path."""

    __slots__ = ("gz", "key", "lines")

    def __init__(self, key: Hashable, lines: dict[str, bytes]):
        self.key = key
        self.lines = lines
        self.gz = {name: deflate_piece(data) for name, data in lines.items()}


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
    packed = _HEADER_GZ.get((name, fmt))
    if packed is None:
        packed = _HEADER_GZ[(name, fmt)] = deflate_piece(plain)
    return packed


_EOF_GZ = deflate_piece(_EOF)


def all_samples(view: FleetView, self_metrics: bool = True) -> Iterable[Sample]:
    for s in view.sources:
        for part in SOURCE_PARTS:
            yield from part.samples(view, s)
    for part in FLEET_PARTS:
        if self_metrics or part.name not in SELF_PARTS:
            yield from part.samples(view)


def full_render(view: FleetView, fmt: str = TEXT, self_metrics: bool = True) -> bytes:
    """The whole exposition rendered from scratch, the way every scrape rendered it before the
    fragment cache: the reference the cache is tested against, and the bench's baseline."""
    metrics = build_metrics(all_samples(view, self_metrics))
    ordered = [metrics[f.name] for f in ALL if f.name in metrics and metrics[f.name].samples]
    render = generate_openmetrics if fmt == OPENMETRICS else generate_text
    return render(_Collector(ordered))


class Exposition:
    """The /metrics bodies of the engine's current view.

    prepare() renders the parts whose keys changed; the engine calls it after each change of
    view, so rendering happens on the poll path, and a scrape never waits for it: a scrape
    serves the last prepared view (at most the change being rendered behind), and assembles
    a body from cached pieces at most once per view and format. An exposition that does not
    follow an engine (--once, tests) prepares on render. full=True renders
    the whole body per view instead, as before the fragment cache (the bench's baseline)."""

    TEXT = TEXT
    OPENMETRICS = OPENMETRICS

    def __init__(self, engine_view: Callable[[], FleetView], *, full: bool = False, self_metrics: bool = True):
        """self_metrics=False leaves out the exporter's own process_* and python_* families
        (--web.disable-exporter-metrics)."""
        self._engine_view = engine_view
        self._full = full
        self._fleet_parts = tuple(p for p in FLEET_PARTS if self_metrics or p.name not in SELF_PARTS)
        self._lock = threading.Lock()  # the prepared state and the bodies made from it
        self._rendering = threading.Lock()  # one prepare at a time
        self._generation = -1
        self._pieces: dict[tuple[str, str], _Piece] = {}
        self._order: list[_Piece] = []
        self._bodies: dict[tuple[str, bool], bytes] = {}
        # The (format, gzip) bodies scrapers have asked for: prepare() assembles these ahead,
        # so the scrape after a change does not pay for the join and the CRC-32 of the body.
        self._wanted: set[tuple[str, bool]] = set()
        self._view: FleetView | None = None
        self._followed = False
        self.parts_rendered = 0  # how many parts were rendered, for tests and the bench

    def follow(self, engine: Any) -> None:
        """Prepare on the engine's threads after each change of view; scrapes then never
        render (except the very first, if it comes before any change)."""
        engine.subscribe(self.prepare)
        self._followed = True

    @property
    def view(self) -> FleetView | None:
        """The view the current bodies are made from."""
        return self._view

    def prepare(self) -> None:
        with self._rendering:
            self._prepare()

    def _prepare(self) -> None:
        view = self._engine_view()
        if view.generation == self._generation:
            return
        pieces: dict[tuple[str, str], _Piece] = {}
        order: list[_Piece] = []
        if not self._full:
            for s in view.sources:
                for part in SOURCE_PARTS:
                    self._piece(pieces, order, (s.name, part.name), part.key(view, s),
                                functools.partial(part.samples, view, s))
            for part in self._fleet_parts:
                self._piece(pieces, order, ("", part.name), part.key(view), functools.partial(part.samples, view))
        with self._lock:
            wanted = set(self._wanted)
        bodies = {} if self._full else {key: _assemble(order, *key) for key in wanted}
        with self._lock:
            self._pieces, self._order = pieces, order  # removed sources' pieces go
            self._generation, self._view, self._bodies = view.generation, view, bodies

    def _piece(self, pieces: dict[tuple[str, str], _Piece], order: list[_Piece], slot: tuple[str, str],
               key: Hashable, samples: Callable[[], Iterable[Sample]]) -> None:
        held = self._pieces.get(slot)
        if held is None or held.key != key:
            held = _Piece(key, self._render_part(slot, samples) if key is not None else {})
            self.parts_rendered += 1
        pieces[slot] = held
        order.append(held)

    def _render_part(self, slot: tuple[str, str], samples: Callable[[], Iterable[Sample]]) -> dict[str, bytes]:
        """One part's lines; a part that cannot be rendered is left out of the exposition
        (logged, and tried again when its state changes), never the whole update with it."""
        try:
            return _render(samples())
        except Exception:
            log.exception("cannot render %s of %s; it is left out until its state changes", slot[1],
                          slot[0] or "the fleet")
            return {}

    def render(self, fmt: str = TEXT, compressed: bool = False) -> bytes:
        if self._view is None or not self._followed:
            self.prepare()
        with self._lock:
            key = (fmt, compressed)
            self._wanted.add(key)
            body = self._bodies.get(key)
            if body is None:
                if self._full:
                    assert self._view is not None
                    plain = self._bodies.get((fmt, False)) or full_render(self._view, fmt)
                    self._bodies[(fmt, False)] = plain
                    body = gzip.compress(plain, GZIP_LEVEL) if compressed else plain
                else:
                    body = _assemble(self._order, fmt, compressed)
                self._bodies[key] = body
            return body


def _assemble(order: list[_Piece], fmt: str, compressed: bool) -> bytes:
    """A body from the pieces in `order`, under each family's HELP and TYPE lines."""
    plain: list[bytes] = []
    packed: list[bytes] = []
    for family in ALL:
        name = family.name
        having = [p for p in order if name in p.lines]
        if not having:
            continue
        plain.append(_header(name, fmt, False))
        plain.extend(p.lines[name] for p in having)
        if compressed:
            packed.append(_header(name, fmt, True))
            packed.extend(p.gz[name] for p in having)
    if fmt == OPENMETRICS:
        plain.append(_EOF)
        if compressed:
            packed.append(_EOF_GZ)
    return gzip_member(plain, packed) if compressed else b"".join(plain)
