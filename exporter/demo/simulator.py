"""What the demo fleet's vendors say at a given moment.

Everything is a function of the time since the fleet started, so the demo moves (latencies
jitter, balances drain, providers degrade and recover, a free model comes and goes) while
tests can ask for any moment by passing a clock.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from exporter.demo import outages

# A provider's health cycle: (period seconds, offset, [(until second, state), ...]).
CYCLES: dict[str, tuple[int, int, list[tuple[int, str]]]] = {
    "anthropic": (300, 0, [(200, "healthy"), (250, "degraded"), (300, "down")]),
    "deepseek": (240, 90, [(170, "healthy"), (240, "degraded")]),
    # The declarative vendor holds the cheapest chat model; while it is down the cheapest
    # chat model moves elsewhere, and back when it recovers.
    "acme": (240, 0, [(150, "healthy"), (240, "down")]),
}
# The free model is listed for 120 s of every 180 s, from 10 s after the start: the second
# poll already discovers it, so a fresh demo shows a catalog change within 15 s.
FREE_MODEL_PERIOD = 180
FREE_MODEL_SHOWN = 120
FREE_MODEL_FROM = 10
KEY_LIMIT = 100.0
DRAIN_PER_SECOND = 0.004  # USD per second: the demo key burns about $14 an hour

GATEWAY_PROVIDERS = [
    # slug, name, base latency ms, active, streaming, function calling, vision, image generation
    ("openai", "OpenAI", 240, True, True, True, True, True),
    ("anthropic", "Anthropic", 410, True, True, True, True, False),
    ("google", "Google AI Studio", 320, True, True, True, True, True),
    ("deepseek", "DeepSeek", 650, True, True, True, False, False),
    ("groq", "Groq", 90, True, True, True, False, False),
    ("together", "Together", 280, True, True, True, True, True),
    ("mistral", "Mistral", None, False, True, True, False, False),
]

OPENROUTER_MODELS: list[dict[str, Any]] = [
    {"id": "openai/gpt-4o", "name": "OpenAI: GPT-4o", "ctx": 128000, "in": "0.0000025", "out": "0.00001",
     "cache": "0.00000125", "inputs": ["text", "image", "file"], "outputs": ["text"],
     "params": ["tools", "tool_choice", "response_format", "structured_outputs", "temperature"]},
    {"id": "openai/gpt-4o-mini", "name": "OpenAI: GPT-4o-mini", "ctx": 128000, "in": "0.00000015",
     "out": "0.0000006", "cache": "0.000000075", "inputs": ["text", "image"], "outputs": ["text"],
     "params": ["tools", "response_format", "structured_outputs"]},
    {"id": "anthropic/claude-sonnet-4", "name": "Anthropic: Claude Sonnet 4", "ctx": 200000, "in": "0.000003",
     "out": "0.000015", "cache": "0.0000003", "inputs": ["text", "image"], "outputs": ["text"],
     "params": ["tools", "reasoning", "include_reasoning"]},
    {"id": "google/gemini-2.5-flash", "name": "Google: Gemini 2.5 Flash", "ctx": 1048576, "in": "0.0000003",
     "out": "0.0000025", "inputs": ["text", "image", "audio"], "outputs": ["text"],
     "params": ["tools", "reasoning", "structured_outputs"]},
    {"id": "google/gemini-2.5-flash-image", "name": "Google: Gemini 2.5 Flash Image", "ctx": 32768,
     "in": "0.0000003", "out": "0.0000025", "inputs": ["text", "image"], "outputs": ["text", "image"],
     "params": ["temperature"]},
    {"id": "deepseek/deepseek-chat-v3", "name": "DeepSeek: V3", "ctx": 163840, "in": "0.00000027",
     "out": "0.0000011", "inputs": ["text"], "outputs": ["text"], "params": ["tools", "response_format"]},
    {"id": "deepseek/deepseek-r1:free", "name": "DeepSeek: R1 (free)", "ctx": 163840, "in": "0", "out": "0",
     "inputs": ["text"], "outputs": ["text"], "params": ["reasoning", "include_reasoning"]},
    {"id": "openrouter/auto", "name": "Auto Router", "ctx": 2000000, "in": "-1", "out": "-1",
     "inputs": ["text", "image"], "outputs": ["text"], "params": ["tools"]},
]
# The fleet file's coder model is retired three weeks from now, whenever the demo runs:
# LLMModelRetiringInUse warns about it.
RETIRING_MODEL, RETIRING_IN_DAYS = "anthropic/claude-sonnet-4", 21
# The one that comes and goes, so free-model discovery has something to discover.
BLINKING_FREE_MODEL = {
    "id": "meta-llama/llama-3.3-70b-instruct:free", "name": "Meta: Llama 3.3 70B Instruct (free)",
    "ctx": 131072, "in": "0", "out": "0", "inputs": ["text"], "outputs": ["text"], "params": ["tools"],
}


class Simulator:
    def __init__(self, clock: Callable[[], float] = time.time, seed: int | None = None):
        self._clock = clock
        self._start = clock()
        self._rng = random.Random(seed)
        # Health states pinned by a test (slug -> state), overriding the cycles.
        self.forced: dict[str, str] = {}

    def elapsed(self) -> float:
        return self._clock() - self._start

    def now(self) -> float:
        return self._clock()

    @property
    def started(self) -> float:
        return self._start

    def health(self, slug: str) -> str:
        if slug in self.forced:
            return self.forced[slug]
        cycle = CYCLES.get(slug)
        if cycle is None:
            return "healthy"
        period, offset, steps = cycle
        phase = (self.elapsed() + offset) % period
        return next(state for until, state in steps if phase < until)

    def free_model_listed(self) -> bool:
        return (self.elapsed() - FREE_MODEL_FROM) % FREE_MODEL_PERIOD < FREE_MODEL_SHOWN

    def key_usage(self) -> float:
        # Drains towards the limit and is "topped up" back to 25% used when nearly empty.
        span = KEY_LIMIT * 0.7
        return round(KEY_LIMIT * 0.25 + (self.elapsed() * DRAIN_PER_SECOND) % span, 6)

    def jitter(self, base: float) -> float:
        return round(base * self._rng.uniform(0.8, 1.3), 1)

    # -- vendor bodies ------------------------------------------------------------------------
    def gatewayz_providers(self) -> list[dict[str, Any]]:
        out = []
        for pid, (slug, name, latency, active, stream, tools, vision, image) in enumerate(GATEWAY_PROVIDERS, 1):
            health = self.health(slug) if active else "down"
            if health == "degraded" and latency:
                latency *= 4
            out.append({
                "id": pid, "name": name, "slug": slug, "description": f"{name} API",
                "base_url": f"https://{slug}.example.invalid/v1", "api_key_env_var": f"{slug.upper()}_API_KEY",
                "is_active": active, "supports_streaming": stream, "supports_function_calling": tools,
                "supports_vision": vision, "supports_image_generation": image, "metadata": {},
                "average_response_time_ms": None if latency is None or health == "down" else self.jitter(latency),
                "health_status": health, "last_health_check_at": self._checked_at(pid),
            })
        return out

    def _checked_at(self, pid: int) -> str:
        # GatewayZ checks its providers every few minutes, not all at once.
        at = self._clock() - 30 * pid - self.elapsed() % 60
        return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def gatewayz_stats(self) -> dict[str, int]:
        providers = self.gatewayz_providers()
        stats = {"total": len(providers), "active": sum(p["is_active"] for p in providers)}
        stats["inactive"] = stats["total"] - stats["active"]
        for state in ("healthy", "degraded", "down", "unknown"):
            stats[state] = sum(p["health_status"] == state for p in providers)
        return stats

    def openrouter_models(self) -> dict[str, Any]:
        models = list(OPENROUTER_MODELS)
        if self.free_model_listed():
            models.append(BLINKING_FREE_MODEL)
        data = []
        for m in models:
            pricing = {"prompt": m["in"], "completion": m["out"], "request": "0", "image": "0"}
            if "cache" in m:
                pricing["input_cache_read"] = m["cache"]
            entry = {
                "id": m["id"], "canonical_slug": m["id"].removesuffix(":free"), "name": m["name"],
                "context_length": m["ctx"], "pricing": pricing, "supported_parameters": m["params"],
                "architecture": {"input_modalities": m["inputs"], "output_modalities": m["outputs"]},
                "top_provider": {"context_length": m["ctx"], "max_completion_tokens": None, "is_moderated": False},
            }
            if m["id"] == RETIRING_MODEL:
                entry["expiration_date"] = self.day_in(RETIRING_IN_DAYS)
            data.append(entry)
        return {"data": data, "total_count": len(data)}

    def day_in(self, days: int) -> str:
        """The UTC date `days` from now on the demo's clock, as OpenRouter writes dates."""
        return datetime.fromtimestamp(self._clock() + days * 86400, UTC).strftime("%Y-%m-%d")

    def openrouter_key(self) -> dict[str, Any]:
        usage = self.key_usage()
        return {"data": {
            "label": "demo-key", "limit": KEY_LIMIT, "limit_remaining": round(KEY_LIMIT - usage, 6),
            "limit_reset": "monthly", "usage": usage, "usage_daily": round(usage * 0.2, 6),
            "usage_weekly": round(usage * 0.6, 6), "usage_monthly": usage, "is_free_tier": False,
            "is_management_key": False,
        }}

    def openrouter_credits(self) -> dict[str, Any]:
        return {"data": {"total_credits": KEY_LIMIT, "total_usage": self.key_usage()}}

    def status_summary(self, page: str) -> dict[str, Any]:
        health = self.health(page)
        indicator, component = {"healthy": ("none", "operational"), "degraded": ("minor", "degraded_performance"),
                                "down": ("major", "major_outage")}[health]
        components = [("API", component), ("ChatGPT" if page == "openai" else "Console", "operational"),
                      ("Batch", "operational")]
        return {
            "page": {"id": page, "name": page.title(), "url": f"https://status.{page}.example.invalid"},
            "status": {"indicator": indicator, "description": "Demo status"},
            "components": [{"id": f"{page}-{i}", "name": n, "status": s, "group": False}
                           for i, (n, s) in enumerate(components)],
            "incidents": [],
        }


ANTHROPIC_MODELS = [
    ("claude-opus-4-1", "Claude Opus 4.1", True), ("claude-sonnet-4-5", "Claude Sonnet 4.5", True),
    ("claude-haiku-4-5", "Claude Haiku 4.5", True), ("claude-3-5-haiku-20241022", "Claude Haiku 3.5", False),
]
GEMINI_MODELS = [
    ("gemini-2.5-pro", "Gemini 2.5 Pro", 1048576, True), ("gemini-2.5-flash", "Gemini 2.5 Flash", 1048576, True),
    ("gemini-2.0-flash", "Gemini 2.0 Flash", 1048576, False), ("gemini-embedding-001", "Gemini Embedding 001", 2048,
                                                                False),
]
TOGETHER_MODELS = [
    # id, name, context, USD per 1M input, per 1M output, hourly (dedicated-only when set)
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "Llama 3.3 70B Instruct Turbo", 131072, 0.88, 0.88, 0),
    ("Qwen/Qwen2.5-7B-Instruct-Turbo", "Qwen 2.5 7B Instruct Turbo", 32768, 0.3, 0.3, 0),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo-Free", "Llama 3.3 70B Instruct Turbo Free", 131072, 0, 0, 0),
    ("acme/dedicated-13b", "Dedicated 13B", 4096, 0, 0, 2.5),
]
MISTRAL_MODELS = [
    # id, context, fill-in-the-middle, retired in this many days (0: not announced), replacement
    ("mistral-large-latest", 131072, False, 0, None),
    ("codestral-latest", 256000, True, 0, None),
    ("codestral-2405", 32768, True, 42, "codestral-latest"),
]
PROXY_ACCOUNTS = ["claude-max-1", "claude-max-2", "claude-pro-3"]
LITELLM_MODELS = [
    ("gpt-4o", 2.5e-06, 1e-05, 128000, {"supports_function_calling": True, "supports_vision": True,
                                        "supports_response_schema": True}),
    ("claude-sonnet", 3e-06, 1.5e-05, 200000, {"supports_function_calling": True, "supports_vision": True,
                                               "supports_reasoning": True}),
    ("local-llama", 0.0, 0.0, 8192, {"supports_function_calling": False}),
]


class VendorSimulator(Simulator):
    """The vendors added after the core three; same clock, same kinds of movement."""

    def openai_models(self) -> dict[str, Any]:
        ids = ["gpt-4o", "gpt-4o-mini", "o3-mini", "text-embedding-3-small"]
        return {"object": "list", "data": [{"id": i, "object": "model", "created": 1715367049, "owned_by": "system"}
                                           for i in ids]}

    def mistral_models(self) -> dict[str, Any]:
        # Mistral's catalog names a retirement date and the model to move to (here six weeks
        # ahead), with the rest of its card; no prices.
        data = []
        for model_id, ctx, fim, deprecated, replacement in MISTRAL_MODELS:
            data.append({
                "id": model_id, "object": "model", "created": 1738886400, "owned_by": "mistralai",
                "capabilities": {"completion_chat": True, "function_calling": True, "completion_fim": fim,
                                 "fine_tuning": False, "vision": False, "classification": False},
                "name": model_id, "description": f"Official {model_id} Mistral AI model",
                "max_context_length": ctx, "aliases": [],
                "deprecation": f"{self.day_in(deprecated)}T00:00:00Z" if deprecated else None,
                "deprecation_replacement_model": replacement, "default_model_temperature": 0.3, "type": "base",
            })
        return {"object": "list", "data": data}

    def together_models(self) -> list[dict[str, Any]]:
        return [{"id": i, "object": "model", "type": "chat", "display_name": n, "context_length": ctx,
                 "pricing": {"hourly": hourly, "input": inp, "output": out, "base": 0, "finetune": 0}}
                for i, n, ctx, inp, out, hourly in TOGETHER_MODELS]

    def anthropic_models(self, after_id: str | None) -> dict[str, Any]:
        # Two pages of two, so the demo exercises after_id paging.
        start = 0 if after_id is None else next(
            (i + 1 for i, (mid, _, _) in enumerate(ANTHROPIC_MODELS) if mid == after_id), len(ANTHROPIC_MODELS))
        page = ANTHROPIC_MODELS[start:start + 2]
        data = []
        for mid, name, modern in page:
            item: dict[str, Any] = {"type": "model", "id": mid, "display_name": name,
                                    "created_at": "2025-01-01T00:00:00Z"}
            if modern:
                item.update(max_input_tokens=200000, max_tokens=64000, capabilities={
                    "image_input": {"supported": True}, "thinking": {"supported": True},
                    "structured_outputs": {"supported": True}})
            data.append(item)
        has_more = start + 2 < len(ANTHROPIC_MODELS)
        return {"data": data, "has_more": has_more, "first_id": page[0][0] if page else None,
                "last_id": page[-1][0] if page else None}

    def gemini_models(self, token: str | None) -> dict[str, Any]:
        start = int(token) if token and token.isdigit() else 0
        page = GEMINI_MODELS[start:start + 2]
        body: dict[str, Any] = {"models": [
            {"name": f"models/{mid}", "displayName": name, "inputTokenLimit": ctx, "outputTokenLimit": 65536,
             **({"thinking": True} if thinking else {})} for mid, name, ctx, thinking in page]}
        if start + 2 < len(GEMINI_MODELS):
            body["nextPageToken"] = str(start + 2)
        return body

    def ollama_tags(self) -> dict[str, Any]:
        return {"models": [{"name": n, "model": n, "size": s, "details": {"family": "llama"}}
                           for n, s in (("llama3.2:3b", 2019393189), ("qwen2.5-coder:7b", 4683087332))]}

    def ollama_ps(self) -> dict[str, Any]:
        # A model is loaded for two minutes out of three, as if a job used it now and then.
        if self.elapsed() % 180 >= 120:
            return {"models": []}
        return {"models": [{"name": "llama3.2:3b", "model": "llama3.2:3b", "size": 3155890176,
                            "size_vram": 3155890176, "context_length": 4096}]}

    def _drain(self, start: float, per_hour: float, floor: float) -> float:
        span = start - floor
        return round(start - (self.elapsed() * per_hour / 3600) % span, 2)

    def deepseek_balance(self) -> dict[str, Any]:
        # Its account runs dry now and then (demo/outages.py): the balance says so, and calls are refused.
        total = 0.0 if outages.out_of_credit(self.elapsed()) else self._drain(50.0, 6.0, 2.0)
        granted = min(total, 5.0)
        return {"is_available": total > 0, "balance_infos": [{
            "currency": "USD", "total_balance": f"{total:.2f}", "granted_balance": f"{granted:.2f}",
            "topped_up_balance": f"{total - granted:.2f}"}]}

    def moonshot_balance(self) -> dict[str, Any]:
        available = self._drain(120.0, 9.0, 10.0)
        return {"code": 0, "status": True, "scode": "0x0", "data": {
            "available_balance": available, "voucher_balance": 20.0, "cash_balance": round(available - 20.0, 2)}}

    def siliconflow_user_info(self) -> dict[str, Any]:
        total = self._drain(88.88, 3.0, 8.0)
        return {"code": 20000, "message": "OK", "status": True, "data": {
            "id": "demo", "name": "demo", "balance": "0.88", "chargeBalance": f"{total - 0.88:.2f}",
            "totalBalance": f"{total:.2f}", "status": "normal"}}

    def _limited_account(self) -> tuple[str | None, float | None]:
        # One account hits its rate limit for 90 s of every 4 minutes.
        phase = self.elapsed() % 240
        if phase < 150:
            return None, None
        return PROXY_ACCOUNTS[1], self._clock() + (240 - phase)

    def ccflare_health(self) -> tuple[int, dict[str, Any]]:
        limited, _ = self._limited_account()
        status = "degraded" if limited else "ok"
        return (503 if limited else 200), {
            "status": status, "accounts": len(PROXY_ACCOUNTS), "strategy": "session", "version": "demo",
            "pool": {"configured": 3, "paused": 1, "rate_limited": 1 if limited else 0,
                     "routable": 1 if limited else 2}}

    def ccflare_accounts(self) -> list[dict[str, Any]]:
        limited, until = self._limited_account()
        out = []
        for i, name in enumerate(PROXY_ACCOUNTS):
            is_limited = name == limited
            out.append({
                "id": f"demo-{i}", "name": name, "provider": "anthropic", "requestCount": 10 * i,
                "totalRequests": 1000 * (i + 1) + int(self.elapsed() // 10), "paused": name == "claude-pro-3",
                "tokenStatus": "valid", "tokenExpiresAt": "2027-01-01T00:00:00.000Z",
                "rateLimitStatus": "Rate limited (2m)" if is_limited else "OK",
                "rateLimitedUntil": int(until * 1000) if is_limited and until else None,
                "sessionInfo": "Active: 3 reqs"})
        return out

    def ccflare_stats(self) -> dict[str, Any]:
        requests = 5000 + int(self.elapsed() // 5)
        return {"totalRequests": requests, "successRate": 97, "activeAccounts": 2,
                "avgResponseTime": self.jitter(1250), "totalTokens": requests * 300,
                "totalCostUsd": round(requests * 0.025, 2), "topModels": [], "accounts": [], "recentErrors": []}

    def litellm_model_info(self) -> dict[str, Any]:
        return {"data": [{"model_name": name,
                          "litellm_params": {"model": name, "api_base": "http://127.0.0.1:1/never-exported"},
                          "model_info": {"input_cost_per_token": inp, "output_cost_per_token": out,
                                         "max_input_tokens": ctx, "mode": "chat", **flags}}
                         for name, inp, out, ctx, flags in LITELLM_MODELS]}

    def acme_health(self) -> tuple[int, dict[str, Any]]:
        up = self.health("acme") == "healthy"
        return (200, {"ok": True}) if up else (503, {"ok": False, "error": "maintenance"})

    def acme_balance(self) -> dict[str, Any]:
        return {"data": {"balance": str(int(self._drain(40.0, 2.0, 5.0) * 10000)), "currency": "usd"}}

    def acme_models(self) -> dict[str, Any]:
        return {"data": [
            {"id": "acme-large", "name": "Acme Large", "pricing": {"prompt": "1.2", "completion": "3.6"},
             "context_length": 65536},
            {"id": "acme-small", "name": "Acme Small", "pricing": {"prompt": "0.1", "completion": "0.3"},
             "context_length": 32768}]}
