"""The demo vendors' streamed chat answers, in each vendor's own format, for the probes.

Each model's answers follow a fixed cycle of PROBE_CYCLE calls, so the probe metrics move in
a way a test can predict: mostly a quick answer (first token in 0.15 to 0.6 s, three times
slower while the vendor is degraded), and now and then a slow first token, a 429 or a stream
cut short before its end marker, and Anthropic's models once per cycle answer 529
`overloaded_error`. Two spells make the alerts fire: GPT-4o-mini on OpenRouter answers 503 for
2 minutes of every 10 (LLMProbeFailing), and Gemini 2.5 Flash is slow to its first token for
the first 12 minutes of every 20 (LLMProbeSlowFirstToken).

The answers carry what real ones carry besides the text: rate-limit headers (OpenAI's
`x-ratelimit-*` on OpenAI-compatible vendors that send them, Anthropic's
`anthropic-ratelimit-*`), whose token headroom falls under 10% for 12 minutes of every 30
(LLMRateLimitHeadroomLow); OpenRouter's `system_fingerprint`, which changes every 45 minutes
(LLMModelResponseChanged); and Anthropic's dated snapshot behind an alias in `message.model`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass

ANSWER = ("OK", ",", " the", " model", " is", " answering", ".")
PROMPT_TOKENS = 12
PROBE_CYCLE = 12
SLOW_CALL, LIMITED_CALL, OVERLOADED_CALL, CUT_CALL = 3, 6, 9, 11  # positions in the cycle
RETRY_AFTER = 30
# key -> (period, from, to) in seconds since the demo started: the model answers 503
OUTAGES = {"openrouter/openai/gpt-4o-mini": (600, 300, 420)}
# key -> (period, from, to, extra seconds before the first token)
SLOW_SPELLS = {"gemini/gemini-2.5-flash": (1200, 0, 720, 2.5)}


def _within(spell: tuple[float, ...], elapsed: float) -> bool:
    period, start, end = spell[:3]
    return start <= elapsed % period < end


@dataclass(frozen=True, slots=True)
class Plan:
    status: int = 200
    ttft: float = 0.0
    gap: float = 0.0  # between tokens
    tokens: int = 0
    cut: bool = False  # end the stream before the end marker


class StreamSim:
    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def plan(self, key: str, max_tokens: int, degraded: bool = False, elapsed: float = 0.0) -> Plan:
        """The answer to the next call for `key` (vendor/model), `elapsed` seconds into the demo."""
        if key in OUTAGES and _within(OUTAGES[key], elapsed):
            return Plan(status=503)
        with self._lock:
            step = self._calls[key] % PROBE_CYCLE
            self._calls[key] += 1
            ttft = self._rng.uniform(0.15, 0.6) * (3 if degraded else 1)
            gap = self._rng.uniform(0.02, 0.05)
        if step == LIMITED_CALL:
            return Plan(status=429)
        if step == OVERLOADED_CALL and key.startswith("anthropic/"):
            return Plan(status=529)
        if step == SLOW_CALL:
            ttft = 3.0 + ttft
        if key in SLOW_SPELLS and _within(SLOW_SPELLS[key], elapsed):
            ttft += SLOW_SPELLS[key][3]
        return Plan(ttft=ttft, gap=gap, tokens=max(1, min(max_tokens, len(ANSWER))), cut=step == CUT_CALL)


# Rate limits per vendor: (requests per minute, tokens per minute). Vendors not listed send
# no rate-limit headers on a successful answer (OpenRouter sends them only with a 429).
LIMITS = {"openai": (5000, 2_000_000), "anthropic": (4000, 400_000)}
LOW_HEADROOM = (1800, 900, 1620)  # (period, from, to): the token limit nearly spent
FINGERPRINT_PERIOD = 2700
SNAPSHOTS = {"claude-haiku-4-5": "claude-haiku-4-5-20251001"}


def headroom(elapsed: float) -> float:
    """The share of the token limit left: most of it, except in the low spell."""
    return 0.04 if _within(LOW_HEADROOM, elapsed) else 0.6 + 0.3 * abs((elapsed % 600) / 300 - 1)


def ratelimit_headers(vendor: str, elapsed: float, now: float) -> dict[str, str]:
    limits = LIMITS.get(vendor)
    if limits is None:
        return {}
    requests, tokens = limits
    left_requests, left_tokens = requests - 1 - int(elapsed) % 40, int(tokens * headroom(elapsed))
    if vendor == "anthropic":
        reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60 - now % 60))
        out: dict[str, str] = {}
        for kind, limit, left in (("requests", requests, left_requests), ("tokens", tokens, left_tokens),
                                  ("input-tokens", tokens * 4 // 5, left_tokens * 4 // 5),
                                  ("output-tokens", tokens // 5, left_tokens // 5)):
            out |= {f"anthropic-ratelimit-{kind}-limit": str(limit),
                    f"anthropic-ratelimit-{kind}-remaining": str(left),
                    f"anthropic-ratelimit-{kind}-reset": reset}
        return out
    spent = 1 - left_tokens / tokens
    return {"x-ratelimit-limit-requests": str(requests), "x-ratelimit-limit-tokens": str(tokens),
            "x-ratelimit-remaining-requests": str(left_requests), "x-ratelimit-remaining-tokens": str(left_tokens),
            "x-ratelimit-reset-requests": "12ms", "x-ratelimit-reset-tokens": f"{int(spent * 60)}s"}


def fingerprint(elapsed: float) -> str:
    return f"fp_{0x5d3c2a1b + int(elapsed // FINGERPRINT_PERIOD) * 7919:08x}"


def _sse(data: object, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {body}\n\n".encode()


def events(shape: str, model: str, plan: Plan, price_in: float = 0.0, price_out: float = 0.0,
           reports_cost: bool = False, now: float = 0.0, fingerprint: str | None = None) -> list[tuple[float, bytes]]:
    """(seconds to wait, bytes to send) for the whole answer, `now` on the demo's clock."""
    tokens = ANSWER[: plan.tokens]
    out: list[tuple[float, bytes]] = []
    if shape == "openai":
        created = int(now)

        def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, object]:
            body: dict[str, object] = {"id": "gen-demo", "object": "chat.completion.chunk", "created": created,
                                       "model": model, "choices": [{"index": 0, "delta": delta,
                                                                    "finish_reason": finish}]}
            if fingerprint is not None:
                body["system_fingerprint"] = fingerprint
            return body

        out.append((0.0, b": PROCESSING\n\n"))  # OpenRouter's keep-alive comment
        out.append((0.0, _sse(chunk({"role": "assistant", "content": ""}))))
        out += [(plan.ttft if i == 0 else plan.gap, _sse(chunk({"content": t}))) for i, t in enumerate(tokens)]
        if plan.cut:
            return out[:-1]
        usage: dict[str, object] = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": len(tokens),
                                    "total_tokens": PROMPT_TOKENS + len(tokens)}
        if reports_cost:
            usage["cost"] = round(PROMPT_TOKENS * price_in + len(tokens) * price_out, 12)
        out.append((0.0, _sse(chunk({}, "stop"))))
        out.append((0.0, _sse({"id": "gen-demo", "object": "chat.completion.chunk", "created": created,
                                "model": model, "choices": [], "usage": usage})))
        out.append((0.0, _sse("[DONE]")))
        return out
    if shape == "anthropic":
        out.append((0.0, _sse({"type": "message_start", "message": {
            "id": "msg_demo", "type": "message", "role": "assistant", "model": SNAPSHOTS.get(model, model),
            "content": [],
            "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": 1}}}, "message_start")))
        out.append((0.0, _sse({"type": "content_block_start", "index": 0,
                                "content_block": {"type": "text", "text": ""}}, "content_block_start")))
        out.append((0.0, _sse({"type": "ping"}, "ping")))
        out += [(plan.ttft if i == 0 else plan.gap,
                 _sse({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}},
                      "content_block_delta")) for i, t in enumerate(tokens)]
        if plan.cut:
            return out[:-1]
        out.append((0.0, _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")))
        out.append((0.0, _sse({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                                "usage": {"output_tokens": len(tokens)}}, "message_delta")))
        out.append((0.0, _sse({"type": "message_stop"}, "message_stop")))
        return out
    # gemini: one GenerateContentResponse per event, the last with finishReason and usage
    for i, t in enumerate(tokens):
        last = i == len(tokens) - 1 and not plan.cut
        candidate: dict[str, object] = {"content": {"parts": [{"text": t}], "role": "model"}, "index": 0}
        body: dict[str, object] = {"candidates": [candidate], "modelVersion": model}
        if last:
            candidate["finishReason"] = "STOP"
            body["usageMetadata"] = {"promptTokenCount": PROMPT_TOKENS, "candidatesTokenCount": len(tokens),
                                     "totalTokenCount": PROMPT_TOKENS + len(tokens)}
        out.append((plan.ttft if i == 0 else plan.gap, _sse(body)))
    return out[:-1] if plan.cut else out


def whole(shape: str, model: str, price_in: float = 0.0, price_out: float = 0.0, reports_cost: bool = False,
          now: float = 0.0) -> dict[str, object]:
    """A non-streamed answer cut at one token (what a liveness check asks for), in the shape's form."""
    text = ANSWER[0]
    if shape == "anthropic":
        return {"id": "msg_demo", "type": "message", "role": "assistant", "model": SNAPSHOTS.get(model, model),
                "content": [{"type": "text", "text": text}], "stop_reason": "max_tokens",
                "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": 1}}
    if shape == "gemini":
        return {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "MAX_TOKENS",
                                "index": 0}], "modelVersion": model,
                "usageMetadata": {"promptTokenCount": PROMPT_TOKENS, "candidatesTokenCount": 1,
                                  "totalTokenCount": PROMPT_TOKENS + 1}}
    usage: dict[str, object] = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": 1,
                                "total_tokens": PROMPT_TOKENS + 1}
    if reports_cost:
        usage["cost"] = round(PROMPT_TOKENS * price_in + price_out, 12)
    return {"id": "gen-demo", "object": "chat.completion", "created": int(now), "model": model, "usage": usage,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}]}
