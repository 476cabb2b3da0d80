"""The one wait the tests use: poll a check until it holds or the time is up."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.25,
             detail: Callable[[], str] | None = None) -> Any:
    """check()'s first truthy result; a failed request counts as not yet. On timeout, an
    AssertionError naming `what`, with detail() (a log's tail, the state seen) when given."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except requests.RequestException:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            more = f"\n{detail()}" if detail is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{more}")
        time.sleep(every)
