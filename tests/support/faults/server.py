"""The demo fleet behind a fault-injecting proxy on loopback.

Every request is forwarded to the real demo fleet unless a fault is set for a path prefix;
then the proxy misbehaves in that fault's way, often with the demo's real answer as its
material (cut in half, reshaped, with hostile strings in it). Faults are set and cleared from
the test, between polls, while the exporter keeps running.
"""

from __future__ import annotations

import email.utils
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from exporter.demo.server import DemoServer

HUGE_BYTES = 50 * 1024 * 1024
# Strings a vendor may put in a model id or name, all at once.
HOSTILE = ["naïve-模型-🚀", "ctl\x00\x01\x07\x1b[31mred", 'quote"and\\backslash', "new\nline\r\n",
           "x" * 10_000, "tab\tand\x7fdel", "\u2028line-separator", "\ud800lone-surrogate"]

FAULTS = ("hang", "reset", "status", "rate_limited", "html", "truncated", "list_for_object", "strings_for_numbers",
          "nulls", "huge", "drip", "drip_close", "redirect_loop", "hostile_strings", "flood", "values")


def _first_result(body: Any) -> dict[str, Any]:
    """The first result row of a cost or usage report's first bucket."""
    return body["data"][0]["results"][0]


# Values of the right shape and the wrong kind: each edits the demo's real answer in place.
HOSTILE_VALUES: dict[str, Any] = {
    # decimal.Overflow as soon as the price is multiplied
    "price_overflow": lambda body: body["data"][0]["pricing"].update(prompt="9e999999"),
    # a label that is not a string
    "model_number": lambda body: _first_result(body).update(model=4),
    # an integer too large for a float
    "huge_tokens": lambda body: _first_result(body).update(input_tokens=1.7e308, output_tokens=1.7e308),
    "nan_price": lambda body: body["data"][0]["pricing"].update(prompt="NaN", completion="-Infinity"),
}


def reshape(body: Any, how: str) -> Any:
    """The demo's real answer, made wrong in one of the ways vendors get it wrong."""
    if how == "list_for_object":
        return [body] if isinstance(body, dict) else {"items": body}
    if how == "nulls":
        if isinstance(body, dict):
            return {k: reshape(v, how) if isinstance(v, dict | list) else None for k, v in body.items()}
        if isinstance(body, list):
            return [reshape(v, how) for v in body]
        return None
    if how == "strings_for_numbers":
        if isinstance(body, dict):
            return {k: reshape(v, how) for k, v in body.items()}
        if isinstance(body, list):
            return [reshape(v, how) for v in body]
        return f"about {body}" if isinstance(body, int | float) and not isinstance(body, bool) else body
    if how == "hostile_strings":
        return _hostile(body, iter(range(10**9)))
    raise ValueError(how)


def _hostile(body: Any, counter: Any) -> Any:
    if isinstance(body, dict):
        out = {}
        for k, v in body.items():
            if k in ("id", "name", "slug", "model") and isinstance(v, str):
                out[k] = f"{HOSTILE[next(counter) % len(HOSTILE)]}-{v}"
            else:
                out[k] = _hostile(v, counter)
        return out
    if isinstance(body, list):
        return [_hostile(v, counter) for v in body]
    return body


def flood(body: Any, count: int) -> Any:
    """The catalog with `count` models (copies of the first with new ids), for limits.max_models."""
    items = body.get("data") if isinstance(body, dict) else None
    if not items:
        return body
    first = items[0]
    return {**body, "data": [{**first, "id": f"flood/model-{i:05d}", "name": f"Flood {i}"} for i in range(count)]}


class FaultFleet:
    def __init__(self) -> None:
        self.fleet = DemoServer().start()
        self.faults: dict[str, tuple[str, dict[str, Any]]] = {}
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        upstream = self.fleet.url
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._handle("GET", b"")

            def do_POST(self) -> None:
                self._handle("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _handle(self, method: str, body: bytes) -> None:
                fault = proxy.fault_for(self.path)
                try:
                    if fault is None:
                        return self._forward(method, body)
                    kind, params = fault
                    getattr(self, f"_{kind}")(method, body, **params)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            # -- plumbing ------------------------------------------------------------------------
            def _upstream(self, method: str, body: bytes) -> requests.Response:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                return requests.request(method, upstream + self.path, headers=headers, data=body or None,
                                        timeout=30, allow_redirects=False)

            def _send(self, status: int, body: bytes, content_type: str = "application/json",
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _forward(self, method: str, body: bytes) -> None:
                answer = self._upstream(method, body)
                self._send(answer.status_code, answer.content, answer.headers.get("Content-Type", "application/json"))

            def _real_json(self, method: str, body: bytes) -> Any:
                return self._upstream(method, body).json()

            # -- the faults ----------------------------------------------------------------------
            def _hang(self, method: str, body: bytes) -> None:
                proxy._stopping.wait(30)  # far past any timeout the tests configure

            def _reset(self, method: str, body: bytes) -> None:
                data = json.dumps(self._real_json(method, body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                # SO_LINGER 0: close with a TCP reset, mid-body
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True

            def _status(self, method: str, body: bytes, code: int = 500) -> None:
                self._send(code, json.dumps({"error": {"code": code, "message": "injected"}}).encode())

            def _rate_limited(self, method: str, body: bytes, retry_after: str | None = None) -> None:
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
                self._send(429, b'{"error": {"code": 429, "message": "slow down"}}', headers=headers)

            def _html(self, method: str, body: bytes) -> None:
                self._send(200, b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")

            def _truncated(self, method: str, body: bytes) -> None:
                data = json.dumps(self._real_json(method, body)).encode()
                self._send(200, data[: len(data) // 2])

            def _list_for_object(self, method: str, body: bytes) -> None:
                self._send(200, json.dumps(reshape(self._real_json(method, body), "list_for_object")).encode())

            def _strings_for_numbers(self, method: str, body: bytes) -> None:
                self._send(200, json.dumps(reshape(self._real_json(method, body), "strings_for_numbers")).encode())

            def _nulls(self, method: str, body: bytes) -> None:
                self._send(200, json.dumps(reshape(self._real_json(method, body), "nulls")).encode())

            def _hostile_strings(self, method: str, body: bytes) -> None:
                # ensure_ascii keeps the lone surrogate as the escape "\ud800", as a JSON encoder may
                self._send(200, json.dumps(reshape(self._real_json(method, body), "hostile_strings")).encode())

            def _values(self, method: str, body: bytes, edit: str = "") -> None:
                answer = self._real_json(method, body)
                HOSTILE_VALUES[edit](answer)
                self._send(200, json.dumps(answer).encode())

            def _flood(self, method: str, body: bytes, count: int = 100) -> None:
                self._send(200, json.dumps(flood(self._real_json(method, body), count)).encode())

            def _huge(self, method: str, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(HUGE_BYTES))
                self.end_headers()
                chunk = b'{"data": [' + b" " * (1024 * 1024 - 10)
                sent = 0
                while sent < HUGE_BYTES and not proxy._stopping.is_set():
                    piece = chunk[: HUGE_BYTES - sent]
                    self.wfile.write(piece)
                    sent += len(piece)
                    chunk = b" " * len(chunk)

            def _drip(self, method: str, body: bytes, every: float = 1.0) -> None:
                data = json.dumps(self._real_json(method, body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                for i in range(len(data)):
                    if proxy._stopping.wait(every):
                        return
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()

            def _drip_close(self, method: str, body: bytes, every: float = 0.5) -> None:
                """The real answer (JSON, or a probe's event stream) without Content-Length or
                chunking, ended by closing the connection, one byte at a time."""
                answer = self._upstream(method, body)
                self.send_response(200)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for i in range(len(answer.content)):
                    if proxy._stopping.wait(every):
                        return
                    self.wfile.write(answer.content[i:i + 1])
                    self.wfile.flush()

            def _redirect_loop(self, method: str, body: bytes) -> None:
                self.send_response(302)
                self.send_header("Location", self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self._httpd = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def env(self, state_dir: str) -> dict[str, str]:
        """What the demo config needs, with every vendor behind the proxy."""
        return {"DEMO_URL": self.url, "DEMO_API_KEY": self.fleet.key, "DEMO_DIR": state_dir,
                "DEMO_LEDGER": self.fleet.ledger}

    def fault_for(self, path: str) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            for prefix, fault in self.faults.items():
                if path.startswith(prefix):
                    self.hits[prefix] = self.hits.get(prefix, 0) + 1
                    return fault
        return None

    def inject(self, prefix: str, kind: str, **params: Any) -> None:
        assert kind in FAULTS, kind
        with self._lock:
            self.faults[prefix] = (kind, params)
            self.hits[prefix] = 0

    def clear(self, prefix: str | None = None) -> None:
        with self._lock:
            if prefix is None:
                self.faults.clear()
            else:
                self.faults.pop(prefix, None)

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self.fleet.stop()


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


