"""A scriptable HTTP server on a free loopback port, for replaying recorded vendor responses
and misbehaving on purpose (slow, dripping, failing, redirecting)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent.parent / "fixtures" / "providers"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0
    drip: float | None = None  # seconds between single bytes of the body


@dataclass
class StreamReply:
    """A streamed answer: each (delay, bytes) is sent after its delay, as one HTTP chunk
    (chunked=True) or on a connection that closes at the end (chunked=False)."""

    events: list[tuple[float, bytes]]
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/event-stream"})
    chunked: bool = True
    drip: float | None = None  # seconds between single bytes, instead of whole events


@dataclass
class PerModel:
    """A chat endpoint's answers by the `model` its JSON request names (`default` for any
    other), as a vendor answers a retired model with its own refusal and the rest normally."""

    replies: dict[str, Reply | StreamReply]
    default: Reply | StreamReply

    def pick(self, body: bytes) -> Reply | StreamReply:
        try:
            model = json.loads(body).get("model")
        except (ValueError, AttributeError):
            model = None
        return self.replies.get(model, self.default) if isinstance(model, str) else self.default


def json_reply(body: Any, status: int = 200, **kwargs: Any) -> Reply:
    return Reply(status=status, body=json.dumps(body).encode(), **kwargs)


def fixture_reply(name: str, status: int = 200, **kwargs: Any) -> Reply:
    return Reply(status=status, body=fixture(name), **kwargs)


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default of 5 drops bursts of connections


class FakeServer:
    """routes: path -> Reply, a list of Replies served in turn (the last one repeats), a
    function of the query that returns a Reply, or PerModel (by the request's model)."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        self.seen: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections = 0  # accepted TCP connections: one handler per connection
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                with server._lock:
                    server.connections += 1
                super().setup()

            def do_GET(self) -> None:
                self._serve("GET", b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._serve("POST", self.rfile.read(length))

            def _serve(self, method: str, body: bytes) -> None:
                parts = urlsplit(self.path)
                with server._lock:
                    server.seen.append(Seen(parts.path, parse_qs(parts.query), dict(self.headers.items()), method,
                                            body))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    route = server.routes.get(parts.path)
                    if isinstance(route, list):  # a script of replies; the last one repeats
                        route = route.pop(0) if len(route) > 1 else route[0]
                    if isinstance(route, PerModel):
                        route = route.pick(body)
                    elif callable(route):  # chooses by query, e.g. a page cursor
                        route = route(parse_qs(parts.query))
                    reply = route
                try:
                    if reply is None:
                        reply = json_reply({"error": "not found"}, status=404)
                    if isinstance(reply, StreamReply):
                        self._stream(reply)
                        return
                    if reply.delay:
                        time.sleep(reply.delay)
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.drip is None:
                        self.wfile.write(reply.body)
                    else:
                        for i in range(len(reply.body)):
                            self.wfile.write(reply.body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _stream(self, reply: StreamReply) -> None:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.flush()
                for delay, data in reply.events:
                    time.sleep(delay)
                    pieces = [data] if reply.drip is None else [data[i:i + 1] for i in range(len(data))]
                    for piece in pieces:
                        if reply.drip is not None:
                            time.sleep(reply.drip)
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if reply.chunked else piece)
                        self.wfile.flush()
                if reply.chunked:
                    self.wfile.write(b"0\r\n\r\n")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]
