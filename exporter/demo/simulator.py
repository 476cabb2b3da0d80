"""What the demo fleet's vendors say at a given moment.

Everything is a function of the time since the fleet started, so the demo moves (latencies
jitter, balances drain, providers degrade and recover, a free model comes and goes) while
tests can ask for any moment by passing a clock.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

# A provider's health cycle: (period seconds, offset, [(until second, state), ...]).
CYCLES: dict[str, tuple[int, int, list[tuple[int, str]]]] = {
    "anthropic": (300, 0, [(200, "healthy"), (250, "degraded"), (300, "down")]),
    "deepseek": (240, 90, [(170, "healthy"), (240, "degraded")]),
}
FREE_MODEL_PERIOD = 180  # the free model is listed for the first 120 s of every 180 s
FREE_MODEL_SHOWN = 120
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

    def elapsed(self) -> float:
        return self._clock() - self._start

    def health(self, slug: str) -> str:
        cycle = CYCLES.get(slug)
        if cycle is None:
            return "healthy"
        period, offset, steps = cycle
        phase = (self.elapsed() + offset) % period
        return next(state for until, state in steps if phase < until)

    def free_model_listed(self) -> bool:
        return self.elapsed() % FREE_MODEL_PERIOD < FREE_MODEL_SHOWN

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
                "health_status": health, "last_health_check_at": None,
            })
        return out

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
            data.append({
                "id": m["id"], "canonical_slug": m["id"].removesuffix(":free"), "name": m["name"],
                "context_length": m["ctx"], "pricing": pricing, "supported_parameters": m["params"],
                "architecture": {"input_modalities": m["inputs"], "output_modalities": m["outputs"]},
                "top_provider": {"context_length": m["ctx"], "max_completion_tokens": None, "is_moderated": False},
            })
        return {"data": data, "total_count": len(data)}

    def openrouter_key(self) -> dict[str, Any]:
        usage = self.key_usage()
        return {"data": {
            "label": "demo-key", "limit": KEY_LIMIT, "limit_remaining": round(KEY_LIMIT - usage, 6),
            "limit_reset": "monthly", "usage": usage, "usage_daily": round(usage * 0.2, 6),
            "usage_weekly": round(usage * 0.6, 6), "usage_monthly": usage, "is_free_tier": False,
            "is_management_key": False,
        }}

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
