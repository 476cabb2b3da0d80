"""A streamed answer (a probe's server-sent events) read line by line as it arrives."""

from __future__ import annotations

import time
from collections.abc import Iterator

import requests

from exporter.http.errors import FetchError

MAX_STREAM_LINE = 1 << 20  # one server-sent event line
CHUNK = 64 * 1024


class Stream:
    """A streamed answer being read: its status line and headers, and its lines as they
    arrive, each with the monotonic time it came in. Only alive inside Client.stream()."""

    def __init__(self, endpoint: str, raw: requests.Response, started: float, headers_at: float, max_body: int):
        self.endpoint = endpoint
        self.status = raw.status_code
        self.headers = {k.lower(): v for k, v in raw.headers.items()}
        self.started = started
        self.headers_at = headers_at
        self._raw = raw
        self._max_body = max_body

    def lines(self) -> Iterator[tuple[bytes, float]]:
        """Lines without their end-of-line bytes. read1 hands over whatever has arrived, so a
        line's time is when its bytes came, not when a buffer filled."""
        pending = b""
        size = 0
        while True:
            chunk = self._raw.raw.read1(CHUNK)
            if not chunk:
                break
            at = time.monotonic()
            size += len(chunk)
            if size > self._max_body:
                raise FetchError(self.endpoint, "invalid_response", f"stream larger than {self._max_body} bytes")
            *complete, pending = (pending + chunk).split(b"\n")
            if len(pending) > MAX_STREAM_LINE:
                # No event is this long: without a newline the copies would grow to max_body.
                raise FetchError(self.endpoint, "invalid_response", f"a stream line over {MAX_STREAM_LINE} bytes")
            for line in complete:
                yield line.rstrip(b"\r"), at
        if pending:
            yield pending.rstrip(b"\r"), time.monotonic()
