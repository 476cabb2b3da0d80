"""The one HTTP client every source uses.

It owns what every vendor call needs and no adapter should re-invent: a total deadline per
request (connect plus the whole body), retries with exponential backoff and jitter for
connection errors and 5xx, Retry-After on 429, a cap on body size, the failure reason
taxonomy behind llm_source_request_failures_total, and redaction of everything it says.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
import urllib3.connection
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from exporter import __version__
from exporter.defaults import default
from exporter.jobs import CPU_LANE
from exporter.redact import redact

log = logging.getLogger(__name__)

REASONS = ("timeout", "connection", "auth", "rate_limited", "http_error", "invalid_response")
USER_AGENT = f"llm-fleet-exporter/{__version__}"
MAX_BODY_BYTES: int = default("limits.max_response_bytes")
MAX_STREAM_LINE = 1 << 20  # one server-sent event line
_CHUNK = 64 * 1024


class FetchError(Exception):
    """One failed call, already counted; `message` is redacted and safe to show."""

    def __init__(self, endpoint: str, reason: str, message: str, retry_after: float | None = None):
        self.endpoint = endpoint
        self.reason = reason
        self.message = redact(message)
        self.retry_after = retry_after
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


@dataclass(frozen=True, slots=True)
class Response:
    endpoint: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float


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
            chunk = self._raw.raw.read1(_CHUNK)
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


# --- the deadline watchdog -------------------------------------------------------------
# A socket read timeout bounds each recv(), not the request: a server that drips a byte a
# second never trips it. So every attempt arms a timer that shuts down the sockets the attempt
# used, which makes the blocked read return at once. The watchdog holds the sockets
# themselves, not the connections: when a response has no Content-Length (it ends when the
# server closes, as HTTP/1.0 servers, some proxies and SSE servers do) http.client hands the
# socket over to the response and sets the connection's `sock` to None.
_watch = threading.local()


class _Attempt:
    """The sockets of one request attempt, and the switch that cuts them: at the deadline (its
    timer) or when the engine stops (Client.abort)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self.cut = threading.Event()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._socks.append(sock)
            late = self.cut.is_set()
        if late:  # cut while it was still connecting
            _shutdown(sock)

    def fire(self) -> None:
        with self._lock:
            self.cut.set()
            socks = list(self._socks)
        for sock in socks:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


def _track(sock: socket.socket | None) -> None:
    attempt = getattr(_watch, "attempt", None)
    if attempt is not None and sock is not None:
        attempt.add(sock)


class _TrackedHTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _track(self.sock)


class _TrackedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _track(self.sock)


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection

    def _make_request(self, conn, *args, **kwargs):  # type: ignore[no-untyped-def]
        _track(conn.sock)  # a kept-alive connection: connect() is not called again
        return super()._make_request(conn, *args, **kwargs)


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection

    def _make_request(self, conn, *args, **kwargs):  # type: ignore[no-untyped-def]
        _track(conn.sock)
        return super()._make_request(conn, *args, **kwargs)


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait, from either form RFC 9110 allows (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


# Headers a request keeps when a redirect leads to another origin. Every other header a
# source sets may carry a credential (Authorization, x-api-key, x-goog-api-key, or whatever
# an `http` source's config names), and must not reach a host the config never named.
_KEPT_ACROSS_ORIGINS = frozenset({"user-agent", "accept", "accept-encoding", "connection", "content-type",
                                  "content-length"})


class _Session(requests.Session):
    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)  # drops Authorization, as requests always does
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in [n for n in prepared_request.headers if n.lower() not in _KEPT_ACROSS_ORIGINS]:
                del prepared_request.headers[name]


def new_session() -> requests.Session:
    """A session with the deadline watchdog's adapter and no retries of its own (the client
    retries, inside the poll's budget), that keeps credentials on their origin."""
    session = _Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = _Adapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Client:
    """HTTP for one poll of one source.

    `deadline` is the monotonic time by which the whole poll must end; no attempt or retry
    is started that could run past it, which keeps a poll well inside its interval.
    """

    def __init__(
        self,
        *,
        timeout: float,
        deadline: float,
        recorder: PollRecorder,
        retries: int = 2,
        backoff: float = 0.5,
        max_body: int = MAX_BODY_BYTES,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """session: a source's own session (new_session()), kept across polls so a poll does
        not pay a connection and TLS handshake each time; the caller owns and closes it.
        Without one the client makes its own and closes it with itself.

        clock: the engine's clock. A source asks `now()` for the time of its poll (which UTC
        day a cost report is for, whether a rate limit has ended), so the engine, its tests
        and the demo decide what time it is, never the wall clock behind their back."""
        self.timeout = timeout
        self.deadline = deadline
        self.recorder = recorder
        self.retries = retries
        self.backoff = backoff
        self.max_body = max_body
        self._rng = rng or random.Random()
        self._owns_session = session is None
        self._session = session if session is not None else new_session()
        self._clock = clock
        self._lock = threading.Lock()
        self._live: _Attempt | None = None
        self._aborted = False

    def now(self) -> float:
        """Unix seconds on the engine's clock."""
        return self._clock()

    def abort(self) -> None:
        """Ends the request in flight now and refuses further ones: the engine is stopping.
        Safe from any thread."""
        with self._lock:
            self._aborted = True
            live = self._live
        if live is not None:
            live.fire()

    def _arm(self, budget: float) -> tuple[_Attempt, threading.Timer]:
        """A new attempt, cut by its timer after `budget` seconds (or at once if aborted)."""
        attempt = _Attempt()
        timer = threading.Timer(budget, attempt.fire)
        timer.daemon = True
        with self._lock:
            self._live = attempt
            if self._aborted:
                attempt.cut.set()
        return attempt, timer

    def _disarm(self, attempt: _Attempt) -> None:
        with self._lock:
            if self._live is attempt:
                self._live = None

    def _stopping(self, endpoint: str, method: str, url: str) -> FetchError | None:
        if not self._aborted:
            return None
        self.recorder.failure(endpoint, "timeout")
        return FetchError(endpoint, "timeout", f"{method} {url}: the exporter is stopping")

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ---------------------------------------------------------------------------
    def get(
        self,
        endpoint: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        accept: tuple[int, ...] = (200,),
        quiet: tuple[int, ...] = (),
    ) -> Response | None:
        """GET with retries. Returns the response for a status in `accept`, None for a
        status in `quiet` (an expected refusal that is not a failure), else raises."""
        attempt = 0
        while True:
            if (stopping := self._stopping(endpoint, "GET", url)) is not None:
                raise stopping
            remaining = self.deadline - time.monotonic()
            if remaining <= 0.05:
                self.recorder.failure(endpoint, "timeout")
                raise FetchError(endpoint, "timeout", f"GET {url}: no time left in this poll")
            try:
                response = self._attempt(endpoint, url, headers, params, min(self.timeout, remaining))
            except FetchError as err:
                self.recorder.failure(endpoint, err.reason)
                if err.reason == "connection" and self._may_retry(attempt):
                    attempt += 1
                    continue
                raise
            status = response.status
            if status in accept:
                return response
            if status in quiet:
                log.debug("%s: %s answered %d, treated as absent", endpoint, redact(url), status)
                return None
            err = self._status_error(response)
            self.recorder.failure(endpoint, err.reason)
            if status >= 500 and self._may_retry(attempt):
                attempt += 1
                continue
            raise err

    def get_json(self, endpoint: str, url: str, **kwargs: Any) -> Any:
        response = self.get(endpoint, url, **kwargs)
        if response is None:
            return None
        return self.decode_json(response)

    def fetch_json(self, endpoint: str, url: str, **kwargs: Any) -> tuple[Response, Any]:
        """The response (for its latency) and its decoded body; for calls that must answer."""
        response = self.get(endpoint, url, **kwargs)
        if response is None:  # only a `quiet` status gets here, and callers of this pass none
            raise self.invalid(endpoint, f"{url} gave no answer")
        return response, self.decode_json(response)

    @contextlib.contextmanager
    def stream(self, endpoint: str, url: str, *, payload: Any, headers: dict[str, str] | None = None
               ) -> Iterator[Stream]:
        """POSTs `payload` as JSON and yields the answer as a Stream while it is read, all of
        it (headers and every line) under the client's deadline. Not retried: a retried
        request would measure something else. A status other than 200 raises at once."""
        if (stopping := self._stopping(endpoint, "POST", url)) is not None:
            raise stopping
        budget = self.deadline - time.monotonic()
        if budget <= 0.05:
            self.recorder.failure(endpoint, "timeout")
            raise FetchError(endpoint, "timeout", f"POST {url}: no time left")
        self.recorder.request(endpoint)
        attempt, timer = self._arm(budget)
        fired = attempt.cut
        started = time.monotonic()
        timer.start()
        try:
            _watch.attempt = attempt
            try:
                raw = self._session.post(url, json=payload, headers=headers, timeout=(budget, budget), stream=True)
            finally:
                _watch.attempt = None
            with raw:
                stream = Stream(endpoint, raw, started, time.monotonic(), self.max_body)
                if stream.status != 200:
                    # A short error body is enough to classify; never read a large one.
                    body = raw.raw.read(_CHUNK) or b""
                    raise self._status_error(Response(endpoint, redact(url), stream.status, stream.headers, body,
                                                      stream.headers_at - started), "POST")
                yield stream
        except FetchError as err:
            self.recorder.failure(endpoint, err.reason)
            raise
        except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
            self.recorder.failure(endpoint, "timeout")
            raise FetchError(endpoint, "timeout", f"POST {url}: timed out after {budget:.1f}s") from exc
        except requests.TooManyRedirects:
            self.recorder.failure(endpoint, "http_error")
            raise FetchError(endpoint, "http_error", f"POST {url}: more than 30 redirects") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            reason = "timeout" if fired.is_set() else "connection"
            self.recorder.failure(endpoint, reason)
            what = f"no full answer in {budget:.1f}s" if fired.is_set() else _describe(exc)
            raise FetchError(endpoint, reason, f"POST {url}: {what}") from None
        finally:
            timer.cancel()
            self._disarm(attempt)
        if fired.is_set():
            # The watchdog cut the stream and the read ended quietly instead of failing.
            self.recorder.failure(endpoint, "timeout")
            raise FetchError(endpoint, "timeout", f"POST {url}: no full answer in {budget:.1f}s")

    def decode_json(self, response: Response) -> Any:
        with CPU_LANE:
            return self._decode_json(response)

    def _decode_json(self, response: Response) -> Any:
        content_type = response.headers.get("content-type", "").lower()
        head = response.body.lstrip()[:1]
        if "html" in content_type or head == b"<":
            raise self.invalid(response.endpoint, f"{response.url} answered HTML, not JSON")
        try:
            try:
                return json.loads(response.body)
            except UnicodeDecodeError:
                # Invalid UTF-8 inside strings: keep the answer, with U+FFFD for the bad bytes.
                return json.loads(response.body.decode("utf-8", "replace"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self.invalid(response.endpoint, f"{response.url} answered invalid JSON: {exc}") from None

    def invalid(self, endpoint: str, message: str) -> FetchError:
        """Counts an unusable answer and returns the error for the caller to raise."""
        self.recorder.failure(endpoint, "invalid_response")
        return FetchError(endpoint, "invalid_response", message)

    # -- internals ------------------------------------------------------------------------
    def _may_retry(self, attempt: int) -> bool:
        if attempt >= self.retries:
            return False
        # Full jitter on an exponential base: spreads retries of many exporters apart.
        delay = self._rng.uniform(0.5, 1.0) * self.backoff * (2**attempt)
        # Only retry if the sleep still leaves a useful slice of the poll for the attempt.
        if self._aborted or time.monotonic() + delay + min(self.timeout, 1.0) > self.deadline:
            return False
        time.sleep(delay)
        return True

    def _status_error(self, response: Response, method: str = "GET") -> FetchError:
        status, endpoint = response.status, response.endpoint
        where = f"{method} {response.url} answered HTTP {status}"
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.now())
            return FetchError(endpoint, "rate_limited", where, retry_after=retry_after)
        if status in (401, 403):
            return FetchError(endpoint, "auth", where)
        return FetchError(endpoint, "http_error", where)

    def _attempt(
        self,
        endpoint: str,
        url: str,
        headers: dict[str, str] | None,
        params: dict[str, Any] | None,
        budget: float,
    ) -> Response:
        self.recorder.request(endpoint)
        attempt, timer = self._arm(budget)
        fired = attempt.cut
        _watch.attempt = attempt
        started = time.monotonic()
        timer.start()
        try:
            with self._session.get(
                url, headers=headers, params=params, timeout=(budget, budget), stream=True
            ) as raw:
                body = self._read_body(endpoint, raw, started, budget)
                status, resp_headers = raw.status_code, {k.lower(): v for k, v in raw.headers.items()}
                final_url = raw.url
        except FetchError:
            raise
        except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
            raise FetchError(endpoint, "timeout", f"GET {url}: timed out after {budget:.1f}s") from exc
        except requests.TooManyRedirects:
            # The server answered, with redirects that never end: an HTTP-level failure.
            raise FetchError(endpoint, "http_error", f"GET {url}: more than 30 redirects") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if fired.is_set():
                raise FetchError(endpoint, "timeout", f"GET {url}: no full answer in {budget:.1f}s") from None
            raise FetchError(endpoint, "connection", f"GET {url}: {_describe(exc)}") from None
        finally:
            timer.cancel()
            self._disarm(attempt)
            _watch.attempt = None
        if fired.is_set():
            raise FetchError(endpoint, "timeout", f"GET {url}: no full answer in {budget:.1f}s")
        elapsed = time.monotonic() - started
        log.debug("GET %s -> %d in %.3fs", redact(final_url), status, elapsed)
        return Response(endpoint, redact(final_url), status, resp_headers, body, elapsed)

    def _read_body(self, endpoint: str, raw: requests.Response, started: float, budget: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in raw.iter_content(_CHUNK):
            size += len(chunk)
            if size > self.max_body:
                raise FetchError(endpoint, "invalid_response", f"body larger than {self.max_body} bytes")
            chunks.append(chunk)
            if time.monotonic() - started > budget:
                raise FetchError(endpoint, "timeout", f"GET {raw.url}: no full answer in {budget:.1f}s")
        return b"".join(chunks)


def _describe(exc: BaseException) -> str:
    """A short, key-free description of a requests exception (its str() can embed URLs)."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "Temporary failure in name resolution",
                   "Connection reset", "Remote end closed connection", "certificate verify failed"):
        if marker in text:
            return marker.lower()
    return redact(f"{type(exc).__name__}: {text}")[:300]
