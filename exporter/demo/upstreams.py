"""The demo OpenRouter's upstream endpoints (`GET /models/{author}/{slug}/endpoints`).

Each upstream has an outage spell in a fixed cycle, and its uptime windows are computed from
that spell (the share of the window it was serving), so the numbers agree with each other the
way OpenRouter's do. DeepSeek V3 loses every upstream for 12 minutes of every hour, from 15
minutes after the start: LLMUpstreamAllEndpointsDown and then LLMUpstreamUptimeLow fire, and
both resolve. Claude Sonnet 4
loses one of three, which shows on the dashboard and alerts nobody. Latency is in
milliseconds, as OpenRouter documents it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UPTIME_WINDOWS = (("uptime_last_5m", 300, 10), ("uptime_last_30m", 1800, 10), ("uptime_last_1d", 86400, 300))


@dataclass(frozen=True, slots=True)
class DemoUpstream:
    provider_name: str
    tag: str
    quantization: str | None
    p50_ms: float | None  # None: OpenRouter has too little data for this upstream yet
    tokens_per_second: float | None
    prompt: str
    completion: str
    outage: tuple[int, int, int] | None = None  # (period, from, to) seconds since the demo started

    def serving(self, elapsed: float) -> bool:
        if self.outage is None:
            return True
        period, start, end = self.outage
        return not start <= elapsed % period < end


DEEPSEEK_OUTAGE = (3600, 900, 1620)
UPSTREAMS: dict[str, tuple[DemoUpstream, ...]] = {
    "deepseek/deepseek-chat-v3": (
        DemoUpstream("DeepInfra", "deepinfra/fp8", "fp8", 610.0, 38.0, "0.00000027", "0.0000011", DEEPSEEK_OUTAGE),
        DemoUpstream("Together", "together/fp8", "fp8", 540.0, 52.0, "0.0000003", "0.0000012", DEEPSEEK_OUTAGE),
        DemoUpstream("Fireworks", "fireworks", None, None, None, "0.0000009", "0.0000009", DEEPSEEK_OUTAGE),
    ),
    "anthropic/claude-sonnet-4": (
        DemoUpstream("Anthropic", "anthropic", None, 1450.0, 61.0, "0.000003", "0.000015"),
        DemoUpstream("Google", "google-vertex", None, 1720.0, 55.0, "0.000003", "0.000015", (900, 300, 540)),
        DemoUpstream("Amazon Bedrock", "amazon-bedrock", None, 1610.0, 48.0, "0.000003", "0.000015"),
    ),
    "openai/gpt-4o-mini": (
        DemoUpstream("OpenAI", "openai", None, 420.0, 92.0, "0.00000015", "0.0000006"),
        DemoUpstream("Azure", "azure", None, 510.0, 80.0, "0.00000015", "0.0000006"),
    ),
    "google/gemini-2.5-flash": (
        DemoUpstream("Google AI Studio", "google-ai-studio", None, 380.0, 140.0, "0.0000003", "0.0000025"),
        DemoUpstream("Google", "google-vertex", None, 450.0, 120.0, "0.0000003", "0.0000025"),
    ),
}


def _uptime(upstream: DemoUpstream, elapsed: float, window: int, step: int) -> float | None:
    """Percent of the window the upstream served, sampled every `step` seconds (the cycle
    runs back before the demo started, as a real upstream has a past). None, OpenRouter's
    null for too little data, for an upstream without latency data, over its shortest window."""
    if upstream.p50_ms is None and window == UPTIME_WINDOWS[0][1]:
        return None
    samples = [elapsed - i * step for i in range(window // step)]
    return round(100.0 * sum(upstream.serving(t) for t in samples) / len(samples), 2)


def _endpoint(model: str, u: DemoUpstream, elapsed: float, jitter: float) -> dict[str, Any]:
    serving = u.serving(elapsed)
    latency = None if u.p50_ms is None else {
        "p50": round(u.p50_ms * jitter, 1), "p75": round(u.p50_ms * 1.4 * jitter, 1),
        "p90": round(u.p50_ms * 2.1 * jitter, 1), "p99": round(u.p50_ms * 5.2 * jitter, 1)}
    throughput = None if u.tokens_per_second is None else {
        "p50": round(u.tokens_per_second / jitter, 1), "p75": round(u.tokens_per_second * 0.8 / jitter, 1),
        "p90": round(u.tokens_per_second * 0.6 / jitter, 1), "p99": round(u.tokens_per_second * 0.3 / jitter, 1)}
    return {
        "name": f"{u.provider_name} | {model}", "model_id": model, "provider_name": u.provider_name,
        "tag": u.tag, "quantization": u.quantization, "context_length": 128000,
        "pricing": {"prompt": u.prompt, "completion": u.completion, "request": "0", "image": "0", "discount": 0},
        "max_completion_tokens": 16384, "max_prompt_tokens": None,
        "supported_parameters": ["max_tokens", "temperature", "tools"],
        "status": 0 if serving else -2,
        **{key: _uptime(u, elapsed, window, step) for key, window, step in UPTIME_WINDOWS},
        "supports_implicit_caching": False,
        "latency_last_30m": latency,
        "throughput_last_30m": throughput,
    }


def endpoints(model: str, elapsed: float, jitter: float) -> tuple[int, dict[str, Any]]:
    """OpenRouter's answer for one model: its upstream endpoints, or a 404 for a model it
    does not know."""
    upstreams = UPSTREAMS.get(model)
    if upstreams is None:
        return 404, {"error": {"code": 404, "message": f"No endpoints found for {model}"}}
    return 200, {"data": {
        "id": model, "name": model, "created": 1737381095, "description": "",
        "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
        "endpoints": [_endpoint(model, u, elapsed, jitter) for u in upstreams],
    }}
