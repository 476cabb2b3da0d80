"""The polling engine: runs every source on its own interval, concurrently, keeps the latest
immutable view of each one, and drives the runners that work beside the polls (probes, and the
spend runner's usage runs and feed reads). Scrapes read views; nothing here runs on the
scrape path.

- lifecycle.py: Engine: start, stop, reloads, the scheduler loop and the views it hands out
- slots.py: each source's state between polls, and the stale policy
- poll.py: one poll of one source, and the caps on what it keeps
"""

from exporter.engine.lifecycle import Engine

__all__ = ["Engine"]
