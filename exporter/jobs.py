"""Work the engine runs on its thread pool.

Polls and probes wait on the network, so they run on many threads at once. Their CPU-bound
parts (decoding an answer, parsing its items, folding a snapshot into the engine's state,
rendering what changed) take turns in one lane: the interpreter runs one thread at a time
anyway, and ten poll threads contending for it at once push a scrape's thread to the back of
every handoff (a scrape under churn took 50 ms instead of 3).
"""

from __future__ import annotations

import threading

# Held around CPU-bound work on poll and probe threads, never around network waits, and
# always taken before any other lock (never while holding one), so it cannot deadlock.
CPU_LANE = threading.RLock()
