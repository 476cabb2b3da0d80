"""What a failed call is and how it was counted: the reasons behind
llm_source_request_failures_total."""

from __future__ import annotations

from collections import Counter

from exporter.failures import REASONS
from exporter.http.refusals import Refusal
from exporter.redact import redact

__all__ = ["REASONS", "FetchError", "PollRecorder"]


class FetchError(Exception):
    """One failed call, already counted; `message` is redacted and safe to show."""

    def __init__(self, endpoint: str, reason: str, message: str, retry_after: float | None = None, *,
                 status: int | None = None, headers: dict[str, str] | None = None, error_type: str | None = None,
                 refusal: Refusal | None = None):
        """status, headers: of the answer, when there was one (a probe reads the rate-limit
        headers of a 429); error_type: the `type` the answer's JSON error names, if any
        (Anthropic's overloaded_error); refusal: what the error answer says, read (what a
        liveness check reads to tell a dead model from a bad request)."""
        self.endpoint = endpoint
        self.reason = reason
        self.message = redact(message)
        self.retry_after = retry_after
        self.status = status
        self.headers = headers or {}
        self.error_type = error_type
        self.refusal = refusal
        super().__init__(f"{endpoint}: {self.reason}: {self.message}")


class PollRecorder:
    """Request and failure counts of one poll. Confined to the polling thread; the
    engine folds it into the source's cumulative counters when the poll ends."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.failures: Counter[tuple[str, str]] = Counter()
        self.last_endpoint: str | None = None

    def request(self, endpoint: str) -> None:
        self.requests[endpoint] += 1
        self.last_endpoint = endpoint

    def failure(self, endpoint: str, reason: str) -> None:
        self.failures[(endpoint, reason)] += 1
