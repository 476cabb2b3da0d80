"""The HTTP server the app runs on: a thread per connection, with limits a flood of
connections cannot break, TLS when the web config asks for it, and dual-stack listening."""

from __future__ import annotations

import contextlib
import errno
import logging
import resource
import socket
import socketserver
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, Any, cast
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from exporter.redact import redact

log = logging.getLogger(__name__)

SERVER = "llm-fleet-exporter"


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per connection, with limits a flood of connections cannot break: at most
    max_connections open at once (the oldest one still waiting for its request line gives way
    to a new one), idle clients timed out, and an accept loop that backs off instead of
    spinning when the process runs out of file descriptors."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connections when several Prometheus
    # servers and browsers arrive together.
    request_queue_size = 128
    max_connections = 512

    # The TLS context for each new connection (None: plain HTTP). Asked per connection, so a
    # renewed certificate serves the next client without a restart.
    tls: Callable[[], ssl.SSLContext | None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # connection -> [accepted at (monotonic), still waiting for its request line]
        self._open: dict[Any, list[Any]] = {}
        self._open_lock = threading.Lock()
        self._starved = 0  # accepts in a row that failed for want of file descriptors
        self._warned_at = -3600.0  # when that was last logged (monotonic)
        super().__init__(*args, **kwargs)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        context = self.tls() if self.tls is not None else None
        if context is None:
            return sock, address
        # The handshake happens on the connection's own thread at its first read, so a slow
        # or broken client cannot stall the accept loop.
        try:
            return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address
        except (OSError, ValueError):
            sock.close()
            raise

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open[request] = [time.monotonic(), True]
            over = len(self._open) > self.max_connections
        if over and not self._evict_idle():
            log.debug("%d connections open, none idle", len(self._open))
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.pop(request, None)
        super().shutdown_request(request)

    def busy(self, request: Any) -> None:
        """The connection sent its request line: it is not idle, and is never evicted."""
        with self._open_lock:
            entry = self._open.get(request)
            if entry is not None:
                entry[1] = False

    def _evict_idle(self) -> bool:
        """Closes the connection that has waited longest without sending a request."""
        with self._open_lock:
            idle = [(entry[0], sock) for sock, entry in self._open.items() if entry[1]]
            if not idle:
                return False
            _, oldest = min(idle, key=lambda pair: pair[0])
            self._open[oldest][1] = False  # on its way out: not chosen twice
        with contextlib.suppress(OSError):  # the plain socket's shutdown, under TLS too
            socket.socket.shutdown(oldest, socket.SHUT_RDWR)
        return True

    def _handle_request_noblock(self) -> None:
        try:
            request, client_address = self.get_request()
        except ValueError:  # a TLS context that would not wrap: that connection is lost, not the loop
            log.debug("could not set up TLS for a connection", exc_info=True)
            return
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                self._out_of_descriptors(exc)
            return
        self._starved = 0
        try:
            self.process_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
            self.shutdown_request(request)

    def _out_of_descriptors(self, exc: OSError) -> None:
        """accept() failed with no descriptor left: the listening socket stays readable, so
        retrying at once would spin at 100% CPU. Free an idle connection and back off."""
        now = time.monotonic()
        if now - self._warned_at >= 60:  # a flood would otherwise log a line per accept
            self._warned_at = now
            log.warning("cannot accept connections: %s (%d open); closing idle ones and backing off "
                        "(logged at most once a minute)", exc.strerror, len(self._open))
        self._starved += 1
        self._evict_idle()
        time.sleep(min(1.0, 0.005 * 2 ** min(self._starved, 8)))

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


class _ServerHandler(ServerHandler):
    server_software = SERVER  # wsgiref's default names the Python version
    request_handler: WSGIRequestHandler  # set by the handler, as wsgiref's own does (for logging)


class _QuietHandler(WSGIRequestHandler):
    # A client that connects and says nothing (or reads nothing) gives its thread back after
    # this; Prometheus sends its request at once.
    timeout = 15
    server_version = SERVER
    sys_version = ""

    def handle(self) -> None:
        """wsgiref's handle(), with the connection marked busy once its request line is in
        and the Server header naming only this exporter."""
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            return
        server = cast(_ThreadingServer, self.server)
        server.busy(self.request)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():  # an error has been sent
            return
        handler = _ServerHandler(cast(IO[bytes], self.rfile), cast(IO[bytes], self.wfile), self.get_stderr(),
                                 self.get_environ(), multithread=False)
        handler.request_handler = self
        app = server.get_app()
        assert app is not None
        handler.run(app)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), redact(format % args))


def raise_fd_limit() -> int:
    """Raises the soft limit on open files to the hard one, as Go programs do at start, and
    returns it: each connection and each source's session holds a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
    return soft


def connection_limit(fd_limit: int) -> int:
    """Concurrent connections to serve: half the descriptors (the rest stay for the sources,
    the state files and the accept loop), between 16 and 1,024."""
    return max(16, min(1024, fd_limit // 2))


def parse_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


TLS = ssl.SSLContext | Callable[[], ssl.SSLContext | None] | None


class Server:
    def __init__(self, app: Callable[..., Iterable[bytes]], address: str, tls: TLS = None,
                 max_connections: int | None = None):
        """tls: a context, or what gives the context for each new connection (LiveWebConfig.tls)."""
        host, port = parse_address(address)
        server_class = _DualStackServer if ":" in host else _ThreadingServer
        self._httpd = make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
        if max_connections is not None:
            self._httpd.max_connections = max_connections
        if isinstance(tls, ssl.SSLContext):
            context = tls
            self._httpd.tls = lambda: context
        else:
            self._httpd.tls = tls
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def start(self) -> None:
        # Parts are rendered on poll threads; a scrape that wants the interpreter back should
        # not queue behind them for the default 5 ms switch interval at every step.
        sys.setswitchinterval(0.001)
        # A short poll interval so stopping (SIGTERM, tests) does not wait half a second.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
