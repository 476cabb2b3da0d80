"""Jobs never run twice at once and survive their own bugs; a stopping engine cuts the requests
in flight, even one that starts after the stop; a poll's budget ends before the next is due."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from exporter.jobs import InFlight, Job, poll_budget
from tests.support.present import present


def test_a_job_is_skipped_while_its_last_run_goes_and_runs_again_after() -> None:
    release, started, runs = threading.Event(), threading.Event(), []

    def work() -> None:
        runs.append(1)
        started.set()
        release.wait(5)

    job = Job("poll of slow", work)
    with ThreadPoolExecutor(2) as pool:
        first = present(job.submit(pool))
        assert started.wait(5) and job.running
        assert job.submit(pool) is None  # never two at once: the caller counts a skipped run
        release.set()
        first.result(5)
        assert not job.running
        present(job.submit(pool)).result(5)
    assert len(runs) == 2


def test_a_bug_in_one_run_is_logged_and_the_next_run_goes(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ZeroDivisionError("a bug")

    job = Job("usage run", work)
    with ThreadPoolExecutor(1) as pool, caplog.at_level(logging.ERROR):
        present(job.submit(pool)).result(5)
        present(job.submit(pool)).result(5)
    assert calls == [1, 1]
    assert [r.getMessage() for r in caplog.records] == ["usage run: unexpected error"]


def test_a_shut_down_pool_starts_nothing_and_leaves_the_job_free() -> None:
    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    job = Job("poll", lambda: None)
    assert job.submit(pool) is None and not job.running


class Client:
    def __init__(self) -> None:
        self.aborted = 0

    def abort(self) -> None:
        self.aborted += 1


def test_stopping_aborts_the_clients_in_flight_and_any_that_start_after() -> None:
    flight, early, done, late = InFlight(), Client(), Client(), Client()
    with flight.track(done):
        pass
    with flight.track(early):
        flight.abort_all()
        assert early.aborted == 1
    with flight.track(late):  # a poll that began as the engine stopped is cut at once
        assert late.aborted == 1
    assert done.aborted == 0


@pytest.mark.parametrize(("interval", "timeout", "retries", "budget"), [
    (60, 10, 2, 32.0),  # three tries of 10 s and 2 s to spare
    (15, 10, 2, 12.0),  # never past 80% of the interval
    (1, 10, 0, 0.8),
])
def test_a_poll_budget_ends_before_the_next_poll_is_due(interval: float, timeout: float, retries: int,
                                                        budget: float) -> None:
    assert poll_budget(interval, timeout, retries) == pytest.approx(budget)
