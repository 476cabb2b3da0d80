"""Engines built in-process from a config text, on a clock the test moves, and what tests read
back from them."""

from __future__ import annotations

from exporter.collector import Exposition
from exporter.config import load_text
from exporter.engine import Engine
from exporter.views import SourceView
from tests.support.clock import Clock
from tests.support.metrics import Parsed, samples

SUMMARY = "/api/v2/summary.json"  # a status page's path


def engine(sources: str, clock: Clock, *, head: str = "", persist: bool = False) -> Engine:
    """An engine for the config `head` + `sources:` + sources, with a 2 s timeout."""
    return Engine(load_text("timeout: 2s\n" + head + "sources:\n" + sources, env={}), clock=clock,
                  backoff=0.01, persist=persist)


def engine_for(text: str, clock: Clock | None = None) -> Engine:
    """An engine for a whole config text."""
    return Engine(load_text(text, env={}), clock=clock or Clock(), backoff=0.01)


def metrics(e: Engine) -> str:
    return Exposition(e.view).render().decode()


def statuspages(url: str, n: int, interval: str = "60s") -> str:
    """A config of n status pages on the fake server (page0 ... at /p0 ...)."""
    lines = [f"  - {{name: page{i}, type: statuspage, url: '{url}/p{i}', interval: {interval}}}" for i in range(n)]
    return "stale_after: 3\ntimeout: 5s\nsources:\n" + "\n".join(lines) + "\n"


def source(e: Engine, name: str) -> SourceView:
    return next(s for s in e.view().sources if s.name == name)


def rounds(e: Engine, clock: Clock, n: int, step: float = 60.0) -> Parsed:
    """n rounds of polls, feed reads and usage runs, `step` seconds apart; the metrics after."""
    for _ in range(n):
        e.run_once()
        clock.now += step
    return samples(metrics(e))
