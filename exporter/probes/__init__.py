"""Synthetic inference probes: the `probes:` settings, one probe (probe), the stream formats
each vendor speaks (streams), the counters and budget (book), when each is due (schedule),
and the runner the engine hands them to (runner)."""
