"""Shards: 2,000 LiteLLM sources of 50 models each over 1, 2 and 4 shards of one config, every
shard a real exporter process on this machine. For each count: the slowest shard's first round
(start to ready) and scrape p50, the largest shard's RSS and series, and the polls the fake
vendors counted against one per source per interval (1.0: every source polled once per
interval, by exactly one shard)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import requests

SOURCES = int(os.environ.get("BENCH_SHARD_SOURCES", 2000))
MODELS = 50
INTERVAL = float(os.environ.get("BENCH_SHARD_INTERVAL", 60))
WINDOW = float(os.environ.get("BENCH_SHARD_WINDOW", 120))
COUNTS = (1, 2, 4)


def run(row: Callable[..., None], catalogs: Any, exporter: Any, rss_mb: Callable[[int], float],
        percentile: Callable[[list[float], float], float]) -> None:
    fleet = catalogs(SOURCES, MODELS, change_every=0)
    config = fleet.config(interval=f"{INTERVAL:g}s", timeout="10s")
    results: dict[int, tuple[float, float, float, float, float]] = {}
    try:
        for count in COUNTS:
            shards: list[Any] = []
            try:
                ready = 0.0
                for i in range(count):
                    begun = time.monotonic()
                    shards.append(exporter(config, "--shard.index", str(i), "--shard.count", str(count)))
                    ready = max(ready, time.monotonic() - begun)
                # Start half an interval after the first round, so a window of whole intervals
                # holds exactly that many rounds of every source, whatever its phase.
                time.sleep(INTERVAL / 2)
                before = sum(fleet.polls.values())
                started = time.monotonic()
                scrapes: dict[int, list[float]] = {i: [] for i in range(count)}
                sessions = [requests.Session() for _ in shards]
                while time.monotonic() - started < WINDOW:
                    for i, shard in enumerate(shards):
                        scrapes[i].append(shard.scrape(sessions[i])[0])
                    time.sleep(1.0)
                elapsed = time.monotonic() - started
                polls = sum(fleet.polls.values()) - before
                work = polls / (SOURCES * elapsed / INTERVAL)
                p50 = max(percentile(times, 0.5) for times in scrapes.values())
                rss = max(rss_mb(shard.proc.pid) for shard in shards)
                counted = [series(shard.url) for shard in shards]
                results[count] = (p50, rss, work, max(counted) / (sum(counted) / count), ready)
            finally:
                for shard in shards:
                    shard.stop()
    finally:
        fleet.stop()
    one_p50, one_rss, _, _, one_ready = results[1]
    for count, (p50, rss, work, balance, ready) in results.items():
        label = f"{SOURCES:,} sources on {count} shard{'s' if count > 1 else ''}"
        row(f"{label}: start to ready (first round), slowest shard", f"{ready:.0f} s", f"{one_ready:.0f} s",
            f"{ready / one_ready:.2f}x", "<= 1 shard's", ready <= one_ready * 1.1)
        row(f"{label}: scrape p50 of the slowest shard", f"{p50 * 1000:.1f} ms", f"{one_p50 * 1000:.1f} ms",
            f"{p50 / one_p50:.2f}x", "<= 1 shard's", p50 <= one_p50 * 1.1)
        row(f"{label}: RSS of the largest shard", f"{rss:.0f} MB", f"{one_rss:.0f} MB", f"{rss / one_rss:.2f}x",
            "<= 1 shard's", rss <= one_rss * 1.05)
        # the hash's balance: the largest shard's series against an even split of the fleet's
        row(f"{label}: series of the largest shard (vs an even split)", f"{balance:.2f}x", "1.00x",
            f"{balance:.2f}x", "<= 1.3x", balance <= 1.3)
        # Above 1, a source polled twice: what sharding must never do. Below 1, polls that did
        # not keep up with the interval: what one exporter cannot carry (docs/scaling.md).
        row(f"{label}: polls per interval / expected", f"{work:.3f}", "1.000", f"{work:.2f}x",
            "<= 1.05 (none twice)", work <= 1.05)

def series(url: str) -> int:
    """The samples one scrape of a shard carries."""
    text = requests.get(url + "/metrics", timeout=60).text
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))
