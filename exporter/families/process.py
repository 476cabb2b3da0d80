"""The exporter's own process and interpreter, through prometheus_client's own collectors, as
every Python exporter reports them: memory, CPU, file descriptors, start time, the Python
version and the garbage collector. Rendered into the cached exposition like every other part
(refreshed with every change of view, and at least every 15 s); --web.disable-exporter-metrics
leaves them out."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from exporter.families.base import Family, Part, Sample
from exporter.views import FleetView

F = Family
GEN = ("generation",)
FAMILIES = (
    F("process_cpu_seconds_total", "counter", "seconds", (), "Total user and system CPU time spent in seconds."),
    F("process_virtual_memory_bytes", "gauge", "bytes", (), "Virtual memory size in bytes."),
    F("process_resident_memory_bytes", "gauge", "bytes", (), "Resident memory size in bytes."),
    F("process_start_time_seconds", "gauge", "unix seconds", (),
      "Start time of the process since unix epoch in seconds."),
    F("process_open_fds", "gauge", "file descriptors", (), "Number of open file descriptors."),
    F("process_max_fds", "gauge", "file descriptors", (), "Maximum number of open file descriptors."),
    F("python_info", "gauge", "–", ("implementation", "major", "minor", "patchlevel", "version"),
      "Python platform information; always 1."),
    F("python_gc_objects_collected_total", "counter", "objects", GEN, "Objects collected during gc."),
    F("python_gc_objects_uncollectable_total", "counter", "objects", GEN, "Uncollectable objects found during GC."),
    F("python_gc_collections_total", "counter", "collections", GEN, "Number of times this generation was collected."),
)
_LABELS = {f.name: f.labels for f in FAMILIES}

# The collectors only read /proc and the interpreter; a private registry keeps them off the
# global one (nothing here is served by prometheus_client's own server).
_REGISTRY = CollectorRegistry(auto_describe=False)
_COLLECTORS = (ProcessCollector(registry=_REGISTRY), PlatformCollector(registry=_REGISTRY),
               GCCollector(registry=_REGISTRY))


def _key(view: FleetView) -> Hashable:
    return view.generation  # read anew whenever anything changed


def _samples(view: FleetView) -> Iterator[Sample]:
    for collector in _COLLECTORS:
        for metric in collector.collect():
            for sample in metric.samples:
                labels = _LABELS.get(sample.name)
                if labels is not None:
                    yield sample.name, tuple(sample.labels.get(name, "") for name in labels), sample.value


PARTS = (Part("process", "fleet", _key, _samples),)
