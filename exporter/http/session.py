"""The sessions requests are made on, and the deadline watchdog that cuts them.

A socket read timeout bounds each recv(), not the request: a server that drips a byte a
second never trips it. So every attempt arms a timer that shuts down the sockets the attempt
used, which makes the blocked read return at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.connection
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from exporter import __version__

USER_AGENT = f"llm-fleet-exporter/{__version__}"


# A socket read timeout bounds each recv(), not the request: a server that drips a byte a
# second never trips it. So every attempt arms a timer that shuts down the sockets the attempt
# used, which makes the blocked read return at once. The watchdog holds the sockets
# themselves, not the connections: when a response has no Content-Length (it ends when the
# server closes, as HTTP/1.0 servers, some proxies and SSE servers do) http.client hands the
# socket over to the response and sets the connection's `sock` to None.
watch = threading.local()


class Attempt:
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
    attempt = getattr(watch, "attempt", None)
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

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        _track(conn.sock)  # a kept-alive connection: connect() is not called again
        return super()._make_request(conn, *args, **kwargs)


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        _track(conn.sock)
        return super()._make_request(conn, *args, **kwargs)


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


# Headers a request keeps when a redirect leads to another origin. Every other header a
# source sets may carry a credential (Authorization, x-api-key, x-goog-api-key, or whatever
# an `http` source's config names), and must not reach a host the config never named.
_KEPT_ACROSS_ORIGINS = frozenset({"user-agent", "accept", "accept-encoding", "connection", "content-type",
                                  "content-length"})


def origin(url: str | bytes | None) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port made explicit."""
    parts = urlsplit(url.decode() if isinstance(url, bytes) else url or "")
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


class _Session(requests.Session):
    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        """Replaces requests' own, which drops only Authorization when the origin changes (and
        would add credentials from ~/.netrc, which this exporter never reads)."""
        if origin(response.request.url) != origin(prepared_request.url):
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
