"""The HTTP surface: one small WSGI app on a threaded server.

Every route reads the engine's cached view; none of them reaches a provider.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from exporter import api, landing, summary
from exporter.collector import Exposition
from exporter.engine import Engine
from exporter.redact import encodable, redact, scrub

log = logging.getLogger(__name__)

TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"

Start = Callable[..., Any]


class App:
    def __init__(self, engine: Engine, exposition: Exposition | None = None):
        self.engine = engine
        self.exposition = exposition or Exposition(engine.view)
        self.exposition.follow(engine)
        self.routes: dict[str, Callable[[dict[str, Any]], tuple[str, str, bytes, list[tuple[str, str]]]]] = {
            "/": self.index,
            "/metrics": self.metrics,
            "/healthz": self.healthz,
            "/readyz": self.readyz,
            "/api/summary": self.api_summary,
            "/api/models": self.json_route(api.models),
            "/api/route": self.json_route(api.route),
            "/api/changes": self.json_route(api.changes),
            "/api/usage": self.json_route(api.usage),
            "/api/recommendations": self.json_route(api.recommendations),
            "/api/compare": self.json_route(api.compare),
        }

    def __call__(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        handler = self.routes.get(environ.get("PATH_INFO") or "/")
        if handler is None:
            status, ctype, body, extra = "404 Not Found", "text/plain; charset=utf-8", b"404 not found\n", []
        elif method not in ("GET", "HEAD"):
            status, ctype, body, extra = (
                "405 Method Not Allowed", "text/plain; charset=utf-8", b"405 method not allowed\n",
                [("Allow", "GET, HEAD")],
            )
        else:
            try:
                status, ctype, body, extra = handler(environ)
            except Exception:  # a bug in one page must not take the server down
                log.exception("error serving %s", environ.get("PATH_INFO"))
                status, ctype, body, extra = "500 Internal Server Error", "text/plain", b"internal error\n", []
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), *extra]
        start_response(status, headers)
        return [b""] if method == "HEAD" else [body]

    # -- routes ---------------------------------------------------------------------------
    def metrics(self, environ: dict[str, Any]) -> tuple[str, str, bytes, list[tuple[str, str]]]:
        accept = environ.get("HTTP_ACCEPT", "")
        fmt, ctype = Exposition.TEXT, TEXT_TYPE
        if "application/openmetrics-text" in accept:
            fmt, ctype = Exposition.OPENMETRICS, OPENMETRICS_TYPE
        gz = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        body = self.exposition.render(fmt, compressed=gz)
        extra = [("Vary", "Accept, Accept-Encoding")]
        if gz:
            extra.append(("Content-Encoding", "gzip"))
        return "200 OK", ctype, body, extra

    def healthz(self, environ: dict[str, Any]) -> tuple[str, str, bytes, list[tuple[str, str]]]:
        return "200 OK", "text/plain; charset=utf-8", b"ok\n", []

    def readyz(self, environ: dict[str, Any]) -> tuple[str, str, bytes, list[tuple[str, str]]]:
        if self.engine.ready:
            return "200 OK", "text/plain; charset=utf-8", b"ready\n", []
        return "503 Service Unavailable", "text/plain; charset=utf-8", b"first round of polls not finished\n", []

    def api_summary(self, environ: dict[str, Any]) -> tuple[str, str, bytes, list[tuple[str, str]]]:
        return _json("200 OK", summary.build(self.engine.view()))

    def json_route(self, build: Callable[[Any, str], dict[str, Any]]) -> Callable[
            [dict[str, Any]], tuple[str, str, bytes, list[tuple[str, str]]]]:
        def handler(environ: dict[str, Any]) -> tuple[str, str, bytes, list[tuple[str, str]]]:
            try:
                return _json("200 OK", build(self.engine.view(), environ.get("QUERY_STRING", "")))
            except api.BadRequest as exc:
                return _json("400 Bad Request", exc.document)

        return handler

    def index(self, environ: dict[str, Any]) -> tuple[str, str, bytes, list[tuple[str, str]]]:
        page = landing.render(self.engine.view())
        return "200 OK", "text/html; charset=utf-8", encodable(redact(page)).encode(), [("Cache-Control", "no-store")]


def _json(status: str, document: dict[str, Any]) -> tuple[str, str, bytes, list[tuple[str, str]]]:
    # Nothing in a document comes from a config's secrets, but redaction is the last guard;
    # scrub() also keeps NaN and infinities out (they are not JSON) and lone surrogates.
    body = json.dumps(scrub(document), indent=2, allow_nan=False) + "\n"
    return status, "application/json", body.encode(), [("Cache-Control", "no-store")]


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connections when several Prometheus
    # servers and browsers arrive together.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops the connection or fails the TLS handshake is not our error, and
        # socketserver's default would print a traceback to stderr for each one.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _DualStackServer(_ThreadingServer):
    """An IPv6 socket that also accepts IPv4 (as ::ffff:a.b.c.d), for addresses like [::]:8001."""

    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # a host without dual-stack: IPv6 only
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class _QuietHandler(WSGIRequestHandler):
    timeout = 60  # a client that connects and says nothing does not hold a thread forever

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), redact(format % args))


def parse_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


class Server:
    def __init__(self, app: Callable[..., Iterable[bytes]], address: str, tls: ssl.SSLContext | None = None):
        host, port = parse_address(address)
        server_class = _DualStackServer if ":" in host else _ThreadingServer
        self._httpd = make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
        if tls is not None:
            # The handshake happens on the connection's own thread at its first read, so a
            # slow or broken client cannot stall the accept loop.
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True,
                                                 do_handshake_on_connect=False)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> None:
        # Parts are rendered on poll threads; a scrape that wants the interpreter back should
        # not queue behind them for the default 5 ms switch interval at every step.
        sys.setswitchinterval(0.001)
        # A short poll interval so stopping (SIGTERM, tests) does not wait half a second.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.1,), name="http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
