"""The one HTTP client every source and probe uses.

It owns what every vendor call needs and no adapter should re-invent: a total deadline per
request (connect plus the whole body, whatever the body's framing), retries with exponential
backoff and jitter for connection errors and 5xx, Retry-After on 429, a cap on body size, the
failure reason taxonomy behind llm_source_request_failures_total, credentials that stay on
their origin, and redaction of everything it says.

- client.py: Client, the requests of one poll or one probe, and the Response it returns
- errors.py: FetchError and the PollRecorder that counts requests and failures by reason
- session.py: the sessions and the deadline watchdog that cuts a request's sockets
- stream.py: a streamed answer read line by line as it arrives
"""

from exporter.http.client import (
    MAX_BODY_BYTES,
    REASONS,
    USER_AGENT,
    Client,
    FetchError,
    PollRecorder,
    Response,
    parse_retry_after,
)
from exporter.http.session import new_session
from exporter.http.stream import Stream

__all__ = ["MAX_BODY_BYTES", "REASONS", "USER_AGENT", "Client", "FetchError", "PollRecorder", "Response", "Stream",
           "new_session", "parse_retry_after"]
