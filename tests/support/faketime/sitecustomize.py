"""Loaded (as sitecustomize) only by the Python processes tests/e2e/test_calendar.py runs under
Debian's faketime, never by the suite itself.

libfaketime 0.9.10 has two bugs that stop Python 3.11 cold, neither about the calendar:
- with CLOCK_MONOTONIC faked, every lock or Event wait with a timeout hangs, because Python
  waits with sem_clockwait(CLOCK_MONOTONIC), which libfaketime does not translate;
- with FAKETIME_DONT_FAKE_MONOTONIC=1 (so waits work), time.sleep fails with EINVAL, because
  libfaketime rewrites the absolute CLOCK_MONOTONIC deadline of clock_nanosleep as if it
  were wall-clock time.
So the runs keep the monotonic clock real and sleep through select(), which libfaketime
leaves alone. Only the wall clock, which is what the tests are about, is faked.
"""

import select
import time
from typing import SupportsIndex


def _sleep(secs: float | SupportsIndex) -> None:
    seconds = float(secs)
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


time.sleep = _sleep
