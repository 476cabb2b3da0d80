"""Runs pytest on the given test files inside this (faketime'd) process, again and again until
the faked wall clock has passed --until, so a run that starts just before a rollover (a new
day, month and year) is still running when the rollover comes. Prints the faked start and end
times for the caller to check. Exits with pytest's first non-zero status."""

from __future__ import annotations

import argparse
import sys
import time

import pytest


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--until", type=float, default=0.0, help="unix seconds the faked clock must pass")
    p.add_argument("args", nargs="+")
    ns = p.parse_args()
    started = time.time()
    runs = 0
    while True:
        runs += 1
        status = pytest.main(["-q", "-p", "no:cacheprovider", *ns.args])
        if status != 0:
            break
        if time.time() >= ns.until:
            break
    ended = time.time()
    print(f"faked clock: start {started:.0f} end {ended:.0f} runs {runs}", flush=True)
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
