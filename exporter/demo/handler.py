"""The demo's vendors over HTTP: each vendor under its own path prefix (its JSON routes, a model's
upstream endpoints, its streamed chat calls), each checking the per-run demo key the way the
real vendor checks its own."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from exporter.demo import keys, outages, reports, simulator, streaming, upstreams
from exporter.demo.simulator import VendorSimulator

log = logging.getLogger(__name__)

Reply = tuple[int, Any]
Route = tuple[str | None, Callable[[dict[str, list[str]]], Reply]]


def routes(sim: VendorSimulator) -> dict[str, Route]:
    """path -> (auth header, handler). "bearer" wants Authorization: Bearer <key>; any other
    name wants that header to carry the key, as each vendor documents."""

    def first(q: dict[str, list[str]], name: str) -> str | None:
        return q.get(name, [None])[0]

    spells = outages.Spells()

    return {
        "/gatewayz/providers": ("bearer", lambda q: (200, sim.gatewayz_providers())),
        "/gatewayz/providers/stats": ("bearer", lambda q: (200, sim.gatewayz_stats())),
        "/openrouter/api/v1/models": (None, lambda q: (200, sim.openrouter_models())),
        "/openrouter/api/v1/key": ("bearer", lambda q: (200, sim.openrouter_key())),
        # The demo's key is a management key: it may read credits and activity.
        "/openrouter/api/v1/credits": ("bearer", lambda q: (200, sim.openrouter_credits())),
        "/openrouter/api/v1/activity": ("bearer", lambda q: (200, reports.openrouter_activity(sim.now()))),
        "/openrouter/api/v1/keys": ("bearer", lambda q: (200, keys.openrouter_keys(
            sim.now(), sim.elapsed(), int(first(q, "offset") or 0)))),
        "/status/openai/api/v2/summary.json": (None, lambda q: (200, sim.status_summary("openai"))),
        "/status/anthropic/api/v2/summary.json": (None, lambda q: (200, sim.status_summary("anthropic"))),
        "/status/mistral/api/v2/summary.json": (None, lambda q: (
            200, outages.status_summary("mistral", sim.elapsed(), sim.now()))),
        "/status/moonshot/api/v2/summary.json": (None, lambda q: (
            200, outages.status_summary("moonshot", sim.elapsed(), sim.now()))),
        "/openai/v1/models": ("bearer", lambda q: (200, sim.openai_models())),
        "/mistral/v1/models": ("bearer", lambda q: spells.answer("mistral", sim.elapsed(), sim.mistral_models)),
        "/nim/v1/models": ("bearer", lambda q: (200, outages.nim_models())),
        "/together/v1/models": ("bearer", lambda q: (200, sim.together_models())),
        "/anthropic/v1/models": ("x-api-key", lambda q: (200, sim.anthropic_models(first(q, "after_id")))),
        "/gemini/v1beta/models": ("x-goog-api-key", lambda q: (200, sim.gemini_models(first(q, "pageToken")))),
        "/ollama/api/tags": (None, lambda q: (200, sim.ollama_tags())),
        "/ollama/api/ps": (None, lambda q: (200, sim.ollama_ps())),
        "/deepseek/user/balance": ("bearer", lambda q: (200, sim.deepseek_balance())),
        "/moonshot/v1/users/me/balance": ("bearer", lambda q: spells.answer("moonshot", sim.elapsed(),
                                                                          sim.moonshot_balance)),
        "/siliconflow/v1/user/info": ("bearer", lambda q: (200, sim.siliconflow_user_info())),
        "/ccflare/health": (None, lambda q: sim.ccflare_health()),
        "/ccflare/api/stats": (None, lambda q: (200, sim.ccflare_stats())),
        "/ccflare/api/accounts": (None, lambda q: (200, sim.ccflare_accounts())),
        "/litellm/health/readiness": (None, lambda q: (200, {"status": "healthy", "db": "connected"})),
        "/litellm/model/info": ("bearer", lambda q: (200, sim.litellm_model_info())),
        "/litellm/key/list": ("bearer", keys.litellm_key_list),
        "/litellm/team/list": ("bearer", lambda q: (200, keys.litellm_team_list())),
        "/litellm/spend/logs": ("bearer", lambda q: reports.litellm_spend_logs(sim.now(), sim.started, q)),
        "/litellm/spend/logs/v2": ("bearer", lambda q: reports.litellm_spend_logs_v2(sim.now(), sim.started, q)),
        "/acme/health": (None, lambda q: sim.acme_health()),
        "/acme/balance": ("x-acme-key", lambda q: (200, sim.acme_balance())),
        "/acme/models": ("x-acme-key", lambda q: (200, sim.acme_models())),
        "/openai/v1/organization/costs": ("bearer", lambda q: (200, reports.openai_costs(sim.now()))),
        "/openai/v1/organization/usage/completions": ("bearer", lambda q: (200, reports.openai_usage(sim.now()))),
        "/anthropic/v1/organizations/cost_report": ("x-api-key", lambda q: (
            200, reports.anthropic_costs(sim.now()))),
        "/anthropic/v1/organizations/usage_report/messages": ("x-api-key", lambda q: (
            200, reports.anthropic_usage(sim.now()))),
    }


# Streamed chat calls the probes make: path -> (auth header, stream shape, vendor).
STREAM_ROUTES = {
    "/openrouter/api/v1/chat/completions": ("bearer", "openai", "openrouter"),
    "/openai/v1/chat/completions": ("bearer", "openai", "openai"),
    "/ollama/v1/chat/completions": (None, "openai", "ollama"),
    "/anthropic/v1/messages": ("x-api-key", "anthropic", "anthropic"),
    "/nim/v1/chat/completions": ("bearer", "openai", "nim"),
    "/deepseek/chat/completions": ("bearer", "openai", "deepseek"),
    "/litellm/chat/completions": ("bearer", "openai", "litellm"),
}
GEMINI_STREAM = ("/gemini/v1beta/models/", ":streamGenerateContent")
GEMINI_WHOLE = ":generateContent"  # the same, not streamed (a liveness check)
ENDPOINTS = ("/openrouter/api/v1/models/", "/endpoints")  # a model's upstream endpoints
OPENROUTER_PRICES = {m["id"]: (float(m["in"]), float(m["out"])) for m in simulator.OPENROUTER_MODELS}


class DemoHTTPServer(ThreadingHTTPServer):
    """The demo's server: what its handlers need (the simulator, the key, the routes)."""

    request_queue_size = 128  # every demo source polls at once at startup
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sim: VendorSimulator, key: str):
        self.sim, self.key = sim, key
        self.routes = routes(sim)
        self.answers = streaming.StreamSim()
        super().__init__(address, VendorHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-stream (a probe cut at its deadline, a stopping exporter)
        # is the demo working; socketserver's default would print a traceback to stderr.
        log.debug("demo fleet: connection from %s ended with an error", client_address, exc_info=True)


class VendorHandler(BaseHTTPRequestHandler):
    """One request to the demo's vendors: a JSON route, a model's upstream endpoints, or a
    streamed chat call, each behind the key the way its vendor checks it."""

    server: DemoHTTPServer

    def do_GET(self) -> None:
        sim, key = self.server.sim, self.server.key
        parts = urlsplit(self.path)
        route = self.server.routes.get(parts.path)
        if route is None and parts.path.startswith(ENDPOINTS[0]) and parts.path.endswith(ENDPOINTS[1]):
            model = unquote(parts.path[len(ENDPOINTS[0]):-len(ENDPOINTS[1])])
            route = ("bearer", lambda q: upstreams.endpoints(model, sim.elapsed(), sim.jitter(1.0)))
        if route is None:
            return self._reply(404, {"error": {"code": 404, "message": "not found"}})
        auth, handler = route
        expected = f"Bearer {key}" if auth == "bearer" else key
        header = "Authorization" if auth == "bearer" else auth
        if header is not None and self.headers.get(header) != expected:
            return self._reply(401, {"error": {"code": 401, "message": "invalid api key"}})
        # A little real latency, so measured response times look like a network.
        time.sleep(sim.jitter(30) / 1000.0)
        status, body = handler(parse_qs(parts.query))
        self._reply(status, body)

    def do_POST(self) -> None:
        sim, key = self.server.sim, self.server.key
        path = urlsplit(self.path).path
        route = STREAM_ROUTES.get(path)
        model = None
        streamed = True
        if route is None and path.startswith(GEMINI_STREAM[0]):
            for suffix in (GEMINI_STREAM[1], GEMINI_WHOLE):
                if path.endswith(suffix):
                    route = ("x-goog-api-key", "gemini", "gemini")
                    model, streamed = path[len(GEMINI_STREAM[0]):-len(suffix)], suffix == GEMINI_STREAM[1]
        if route is None:
            return self._reply(404, {"error": {"code": 404, "message": "not found"}})
        auth, shape, vendor = route
        header = "Authorization" if auth == "bearer" else auth
        expected = f"Bearer {key}" if auth == "bearer" else key
        if header is not None and self.headers.get(header) != expected:
            return self._reply(401, {"error": {"code": 401, "message": "invalid api key"}})
        length = int(self.headers.get("Content-Length") or 0)
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            return self._reply(400, {"error": {"code": 400, "message": "invalid JSON"}})
        model = model or str(request.get("model", ""))
        if shape != "gemini":
            streamed = request.get("stream") is True
        refused = self._refusal(vendor, model)
        if refused is not None:
            return self._reply(*refused)
        if not streamed:
            price_in, price_out = OPENROUTER_PRICES.get(model, (0.0, 0.0))
            return self._reply(200, streaming.whole(shape, model, price_in, price_out, vendor == "openrouter",
                                                    sim.now()))
        max_tokens = request.get("max_tokens") or request.get("generationConfig", {}).get("maxOutputTokens")
        plan = self.server.answers.plan(f"{vendor}/{model}", int(max_tokens or 8),
                                        degraded=sim.health(vendor) == "degraded", elapsed=sim.elapsed())
        if plan.status == 429:
            return self._reply(429, {"error": {"code": 429, "message": "rate limited"}},
                               {"Retry-After": str(streaming.RETRY_AFTER)})
        if plan.status == 529:  # Anthropic's own shape for shedding load
            return self._reply(529, {"type": "error", "error": {"type": "overloaded_error",
                                                               "message": "Overloaded"}})
        if plan.status != 200:
            return self._reply(plan.status, {"error": {"code": plan.status, "message": "upstream unavailable"}})
        price_in, price_out = OPENROUTER_PRICES.get(model, (0.0, 0.0))
        elapsed, now = sim.elapsed(), sim.now()
        chunks = streaming.events(shape, model, plan, price_in, price_out, reports_cost=vendor == "openrouter",
                                  now=now, fingerprint=streaming.fingerprint(elapsed)
                                  if vendor in ("openrouter", "openai") else None)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        for name, value in streaming.ratelimit_headers(vendor, elapsed, now).items():
            self.send_header(name, value)
        self.end_headers()
        for delay, data in chunks:
            time.sleep(delay)
            self.wfile.write(data)
            self.wfile.flush()
        return None

    def _refusal(self, vendor: str, model: str) -> tuple[int, Any, dict[str, str]] | None:
        """The vendors' own refusals: NIM's retired model, DeepSeek's empty account."""
        sim = self.server.sim
        if vendor == "nim" and model == outages.RETIRED_MODEL:
            return 410, outages.end_of_life(model, sim.now()), {"Content-Type": "application/problem+json"}
        if vendor == "deepseek" and outages.out_of_credit(sim.elapsed()):
            return 402, outages.INSUFFICIENT_BALANCE, {}
        return None

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("demo fleet: %s", format % args)

