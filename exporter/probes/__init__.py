"""Synthetic inference probes: the `probes:` settings (settings), one probe (probe), the stream
formats each vendor speaks (streams), the rate-limit headers of its answers (ratelimits), the
counters, budget and answering models (book), and the runner that decides when each is due and
whether it may run (runner)."""
