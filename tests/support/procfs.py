"""What Linux's /proc says about a child process: the one place tests and benchmarks read it."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time so far."""
    # the command name in parentheses may hold spaces: the fields start after its last ')'
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status(pid: int) -> dict[str, int]:
    """The numeric lines of /proc/PID/status (VmRSS and VmHWM in KiB, Threads…)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        first = rest.split()[:1]
        if first and first[0].isdigit():
            out[key] = int(first[0])
    return out


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
