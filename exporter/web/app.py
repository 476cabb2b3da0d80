"""The WSGI app: every route reads the engine's cached views; none of them reaches a provider.
Headers wraps it outermost with the security headers every response carries."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from exporter.collector import Exposition
from exporter.redact import encodable, redact, scrub
from exporter.views import Views
from exporter.web import catalog_api, landing, negotiate, spend_api, summary
from exporter.web.query import BadRequest

log = logging.getLogger(__name__)

TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"

Start = Callable[..., Any]
Answer = tuple[str, str, bytes, list[tuple[str, str]]]


class App:
    def __init__(self, views: Views, exposition: Exposition | None = None):
        """views: where the fleet's views come from (the engine)."""
        self.views = views
        self.exposition = exposition or Exposition(views.view)
        self.exposition.follow(views)
        self.routes: dict[str, Callable[[dict[str, Any]], Answer]] = {
            "/": self.index,
            "/metrics": self.metrics,
            "/healthz": self.healthz,
            "/readyz": self.readyz,
            "/api/summary": self.api_summary,
            "/api/models": self.json_route(catalog_api.models),
            "/api/route": self.json_route(catalog_api.route),
            "/api/changes": self.json_route(catalog_api.changes),
            "/api/usage": self.json_route(spend_api.usage),
            "/api/recommendations": self.json_route(spend_api.recommendations),
            "/api/compare": self.json_route(spend_api.compare),
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
    def metrics(self, environ: dict[str, Any]) -> Answer:
        fmt, ctype = Exposition.TEXT, TEXT_TYPE
        if negotiate.media_type(environ.get("HTTP_ACCEPT", "")) == negotiate.OPENMETRICS:
            fmt, ctype = Exposition.OPENMETRICS, OPENMETRICS_TYPE
        gz = negotiate.wants_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        body = self.exposition.render(fmt, compressed=gz)
        extra = [("Vary", "Accept, Accept-Encoding")]
        if gz:
            extra.append(("Content-Encoding", "gzip"))
        return "200 OK", ctype, body, extra

    def healthz(self, environ: dict[str, Any]) -> Answer:
        return "200 OK", "text/plain; charset=utf-8", b"ok\n", []

    def readyz(self, environ: dict[str, Any]) -> Answer:
        if self.views.ready:
            return "200 OK", "text/plain; charset=utf-8", b"ready\n", []
        return "503 Service Unavailable", "text/plain; charset=utf-8", b"first round of polls not finished\n", []

    def api_summary(self, environ: dict[str, Any]) -> Answer:
        return _json("200 OK", summary.build(self.views.view()))

    def json_route(self, build: Callable[[Any, str], dict[str, Any]]) -> Callable[
            [dict[str, Any]], Answer]:
        def handler(environ: dict[str, Any]) -> Answer:
            try:
                return _json("200 OK", build(self.views.view(), environ.get("QUERY_STRING", "")))
            except BadRequest as exc:
                return _json("400 Bad Request", exc.document)

        return handler

    def index(self, environ: dict[str, Any]) -> Answer:
        page = landing.render(self.views.view())
        return "200 OK", "text/html; charset=utf-8", encodable(redact(page)).encode(), [("Cache-Control", "no-store")]


# On every response: no content-type sniffing, no framing, and a policy that lets the landing
# page (inline CSS, no scripts, no external assets) render and nothing else.
DEFAULT_HEADERS = (
    ("Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
)


class Headers:
    """WSGI middleware, outermost: the security headers on every response (401s too), the web
    config's http_server_config.headers over the defaults, and never a body on HEAD."""

    def __init__(self, app: Callable[..., Iterable[bytes]],
                 extra: tuple[tuple[str, str], ...] | Callable[[], tuple[tuple[str, str], ...]] = ()):
        """extra: the configured headers, or what gives the ones in force (a reloadable web config)."""
        self.app = app
        self._extra = extra if callable(extra) else (lambda: extra)
        self._merged: tuple[tuple[tuple[str, str], ...] | None, list[tuple[str, str]]] = (None, [])

    @property
    def headers(self) -> list[tuple[str, str]]:
        extra = self._extra()
        seen, merged = self._merged
        if extra is not seen:
            merged = list({name.lower(): (name, value) for name, value in (*DEFAULT_HEADERS, *extra)}.values())
            self._merged = (extra, merged)
        return merged

    def __call__(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        ours = self.headers

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            own = {name.lower() for name, _ in headers}
            return start_response(status, [*headers, *(h for h in ours if h[0].lower() not in own)], exc_info)

        body = self.app(environ, start)
        if environ.get("REQUEST_METHOD") == "HEAD":
            close = getattr(body, "close", None)
            if close is not None:
                close()
            return [b""]
        return body


def _json(status: str, document: dict[str, Any]) -> Answer:
    # Nothing in a document comes from a config's secrets, but redaction is the last guard;
    # scrub() also keeps NaN and infinities out (they are not JSON) and lone surrogates.
    body = json.dumps(scrub(document), indent=2, allow_nan=False) + "\n"
    return status, "application/json", body.encode(), [("Cache-Control", "no-store")]


