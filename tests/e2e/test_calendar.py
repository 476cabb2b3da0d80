"""Nothing in the suite depends on the calendar: the date-sensitive tests (demo, budgets, cost
reports, the usage ledger and spending, recommendations, pricing, the JSON endpoints) pass
under Debian's faketime at a day, month and year rollover during the run, on a leap day and
years ahead. Each run is a real process whose wall clock libfaketime moves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clock import utc
from tests.support.processes import ROOT, tool

DATE_SENSITIVE = ["e2e/test_demo.py", "unit/demo/test_server.py", "unit/demo/test_simulator.py",
                  "unit/demo/test_streaming.py", "unit/demo/test_upstreams.py", "unit/spend/test_budgets.py",
                  "unit/sources/test_costs.py", "unit/spend/test_ledger.py", "unit/spend/test_events.py",
                  "unit/spend/test_job.py", "unit/spend/test_recommend.py", "unit/spend/test_pricing.py",
                  "unit/web/test_catalog_api.py", "unit/web/test_spend_api.py", "unit/web/test_app.py",
                  "unit/spend/test_exhaustion.py", "unit/demo/test_keys.py", "unit/demo/test_reports.py"]
TESTS = Path(__file__).parent.parent


ts = utc


RUNS = {
    # starts two minutes before a new day, month and year, and keeps running until it is past
    "new-year": ("2026-12-31 23:58:00", ts(2027, 1, 1, 0, 0, 30)),
    "leap-day": ("2028-02-29 12:00:00", 0.0),
    "2031": ("2031-07-01 00:00:00", 0.0),  # years ahead
}


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The three runs at once: the new-year run lasts past midnight whatever the others do."""
    env = {**os.environ, "TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
           "PYTHONPATH": os.pathsep.join([str(TESTS / "support" / "faketime"), str(ROOT)])}
    files = [str(TESTS / name) for name in DATE_SENSITIVE]
    procs = {name: subprocess.Popen(
        [tool("faketime"), "-m", start, sys.executable, "-m", "tests.support.faketime.run", "--until", str(until),
         "--", *files], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, (start, until) in RUNS.items()}
    yield procs
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", list(RUNS))
def test_date_sensitive_tests_pass_on_any_date(runs: dict[str, subprocess.Popen[str]], name: str) -> None:
    start, until = RUNS[name]
    output, _ = runs[name].communicate(timeout=800)
    tail = output[-4000:]
    assert runs[name].returncode == 0, tail
    found = re.search(r"faked clock: start (\d+) end (\d+) runs (\d+)", output)
    assert found, tail
    began, ended = int(found.group(1)), int(found.group(2))
    assert abs(began - ts(*map(int, re.split(r"[- :]", start)))) < 60  # faketime really moved the clock
    assert ended >= until
    assert " passed" in output and "failed" not in output, tail
