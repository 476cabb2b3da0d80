"""`make bench`: the exporter's speed claims, as ratios against a baseline measured in the
same run (so the numbers mean the same on a slow laptop and a fast CI box).

1. A cached scrape of ~50,000 series costs about what a scrape of ~50 does.
2. A poll round of 20 sources that each take 1 s takes about as long as one such source.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from decimal import Decimal

import requests

from exporter.collector import Exposition
from exporter.config import load_text
from exporter.engine import Engine, FleetView, SourceView
from exporter.server import App, Server
from exporter.snapshot import Model, Provider, Snapshot
from tests.fakeserver import FakeServer, fixture_reply

SERIES_PER_MODEL = 11  # info, 2 prices, context, free, 5 capabilities, plus one in 10 with cache_read


def synthetic_view(models: int) -> FleetView:
    caps = tuple((c, i % 2 == 0) for i, c in enumerate(("tools", "vision", "image_generation", "reasoning",
                                                         "structured_output")))
    snapshot = Snapshot(
        providers=(Provider(id="bench", name="Bench", health="healthy", follows_source=True),),
        models=tuple(Model(provider="bench", id=f"vendor/model-{i}", name=f"Model {i}",
                           prices=(("input", Decimal("0.000001") * (i + 1)), ("output", Decimal("0.000002"))),
                           context_length=8192 + i, capabilities=caps) for i in range(models)),
        catalog=True,
    )
    source = SourceView(name="bench", type="openai", endpoints=("models",), interval=60, up=True, polled=True,
                        last_success=time.time(), snapshot=snapshot, requests=(("models", 1),))
    return FleetView(generation=1, ready=True, sources=(source,))


class StaticEngine:
    """Just enough of Engine for App: a fixed view."""

    def __init__(self, view: FleetView):
        self._view = view
        self.ready = True

    def view(self) -> FleetView:
        return self._view

    def subscribe(self, listener) -> None:  # type: ignore[no-untyped-def]
        pass


def scrape_seconds(models: int, scrapes: int = 40) -> tuple[int, float, float, float]:
    engine = StaticEngine(synthetic_view(models))
    server = Server(App(engine), "127.0.0.1:0")  # type: ignore[arg-type]
    server.start()
    url = f"http://127.0.0.1:{server.port}/metrics"
    session = requests.Session()
    try:
        started = time.perf_counter()
        first = session.get(url, headers={"Accept-Encoding": "gzip"})
        render = time.perf_counter() - started
        series = sum(1 for line in first.text.splitlines() if line and not line.startswith("#"))
        times = []
        for _ in range(scrapes):
            started = time.perf_counter()
            # Raw gzip bytes, as Prometheus receives them; decompressing is the client's cost.
            with session.get(url, headers={"Accept-Encoding": "gzip"}, stream=True) as response:
                response.raw.read(decode_content=False)
            times.append(time.perf_counter() - started)
    finally:
        server.stop()
    tracemalloc.start()
    Exposition(engine.view).render()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return series, render, statistics.median(times), peak / 1e6


def round_seconds(sources: int) -> float:
    fake = FakeServer().start()
    try:
        for i in range(sources):
            fake.routes[f"/p{i}/api/v2/summary.json"] = fixture_reply("statuspage__summary.json", delay=1.0)
        text = "timeout: 5s\nsources:\n" + "".join(
            f"  - {{name: p{i}, type: statuspage, url: '{fake.url}/p{i}'}}\n" for i in range(sources))
        engine = Engine(load_text(text, env={}))
        started = time.perf_counter()
        engine.run_once()
        elapsed = time.perf_counter() - started
        engine.stop()
        return elapsed
    finally:
        fake.stop()


def main() -> int:
    small = scrape_seconds(5)
    large = scrape_seconds(50_000 // SERIES_PER_MODEL)
    print(f"{'':28}{'series':>8}{'first render':>14}{'cached scrape':>15}{'render peak MiB':>17}")
    for label, (series, render, cached, peak) in (("baseline (~50 series)", small), ("large (~50k series)", large)):
        print(f"{label:28}{series:>8}{render * 1000:>12.1f}ms{cached * 1000:>13.2f}ms{peak:>17.1f}")
    cached_ratio = large[2] / small[2]
    render_ratio = large[1] / large[2]
    print(f"cached scrape, large / baseline: {cached_ratio:.1f}x (rendering once costs {render_ratio:.0f}x a cached "
          "scrape of the same size)")
    one, twenty = round_seconds(1), round_seconds(20)
    print(f"poll round, 1 source x 1 s: {one:.2f}s; 20 sources x 1 s: {twenty:.2f}s; ratio {twenty / one:.2f}x "
          "(serial would be ~20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
