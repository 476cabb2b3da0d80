"""Client: the requests of one poll or one probe, under one deadline, counted and redacted."""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

from exporter.defaults import default
from exporter.http import refusals
from exporter.http.errors import REASONS, FetchError, PollRecorder
from exporter.http.session import USER_AGENT, Attempt, new_session, watch
from exporter.http.stream import CHUNK, Stream
from exporter.jobs import CPU_LANE
from exporter.redact import redact

log = logging.getLogger(__name__)

MAX_BODY_BYTES: int = default("limits.max_response_bytes")
__all__ = ["MAX_BODY_BYTES", "REASONS", "USER_AGENT", "Client", "FetchError", "PollRecorder", "Response"]


@dataclass(frozen=True, slots=True)
class Response:
    endpoint: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float


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
        self._live: Attempt | None = None
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

    def _arm(self, budget: float) -> tuple[Attempt, threading.Timer]:
        """A new attempt, cut by its timer after `budget` seconds (or at once if aborted)."""
        attempt = Attempt()
        timer = threading.Timer(budget, attempt.fire)
        timer.daemon = True
        with self._lock:
            self._live = attempt
            if self._aborted:
                attempt.cut.set()
        return attempt, timer

    def _disarm(self, attempt: Attempt) -> None:
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
            refused = self._status_error(response)
            self.recorder.failure(endpoint, refused.reason)
            if status >= 500 and self._may_retry(attempt):
                attempt += 1
                continue
            raise refused

    def post_json(self, endpoint: str, url: str, *, payload: Any, headers: dict[str, str] | None = None) -> Any:
        """POSTs `payload` once (a call that spends money is never retried) and returns the
        decoded answer; a status other than 200 raises, classified as get() does."""
        if (stopping := self._stopping(endpoint, "POST", url)) is not None:
            raise stopping
        remaining = self.deadline - time.monotonic()
        if remaining <= 0.05:
            self.recorder.failure(endpoint, "timeout")
            raise FetchError(endpoint, "timeout", f"POST {url}: no time left")
        try:
            response = self._attempt(endpoint, url, headers, None, min(self.timeout, remaining), "POST", payload)
        except FetchError as err:
            self.recorder.failure(endpoint, err.reason)
            raise
        if response.status != 200:
            refused = self._status_error(response, "POST")
            self.recorder.failure(endpoint, refused.reason)
            raise refused
        return self.decode_json(response)

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
            watch.attempt = attempt
            try:
                raw = self._session.post(url, json=payload, headers=headers, timeout=(budget, budget), stream=True)
            finally:
                watch.attempt = None
            with raw:
                stream = Stream(endpoint, raw, started, time.monotonic(), self.max_body)
                if stream.status != 200:
                    # A short error body is enough to classify; never read a large one.
                    body = raw.raw.read(CHUNK) or b""
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
        refusal = refusals.read(status, response.body)
        answer: dict[str, Any] = {"status": status, "headers": response.headers,
                                  "error_type": refusal.codes[0] if refusal.codes else None, "refusal": refusal}
        if refusals.credit_exhausted(refusal):  # before 429: OpenAI's empty account is a 429 too
            return FetchError(endpoint, "credit_exhausted", f"{where}: out of credit: {refusal.text[:200]}", **answer)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.now())
            return FetchError(endpoint, "rate_limited", where, retry_after=retry_after, **answer)
        if status in (401, 403):
            return FetchError(endpoint, "auth", where, **answer)
        return FetchError(endpoint, "http_error", where, **answer)

    def _attempt(
        self,
        endpoint: str,
        url: str,
        headers: dict[str, str] | None,
        params: dict[str, Any] | None,
        budget: float,
        method: str = "GET",
        payload: Any = None,
    ) -> Response:
        self.recorder.request(endpoint)
        attempt, timer = self._arm(budget)
        fired = attempt.cut
        watch.attempt = attempt
        started = time.monotonic()
        timer.start()
        try:
            with self._session.request(
                method, url, headers=headers, params=params, json=payload, timeout=(budget, budget), stream=True
            ) as raw:
                body = self._read_body(endpoint, raw, started, budget)
                status, resp_headers = raw.status_code, {k.lower(): v for k, v in raw.headers.items()}
                final_url = raw.url
        except FetchError:
            raise
        except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
            raise FetchError(endpoint, "timeout", f"{method} {url}: timed out after {budget:.1f}s") from exc
        except requests.TooManyRedirects:
            # The server answered, with redirects that never end: an HTTP-level failure.
            raise FetchError(endpoint, "http_error", f"{method} {url}: more than 30 redirects") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if fired.is_set():
                raise FetchError(endpoint, "timeout", f"{method} {url}: no full answer in {budget:.1f}s") from None
            raise FetchError(endpoint, "connection", f"{method} {url}: {_describe(exc)}") from None
        finally:
            timer.cancel()
            self._disarm(attempt)
            watch.attempt = None
        if fired.is_set():
            raise FetchError(endpoint, "timeout", f"{method} {url}: no full answer in {budget:.1f}s")
        elapsed = time.monotonic() - started
        log.debug("%s %s -> %d in %.3fs", method, redact(final_url), status, elapsed)
        return Response(endpoint, redact(final_url), status, resp_headers, body, elapsed)

    def _read_body(self, endpoint: str, raw: requests.Response, started: float, budget: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in raw.iter_content(CHUNK):
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
