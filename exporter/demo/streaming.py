"""The demo vendors' streamed chat answers, in each vendor's own format, for the probes.

Each model's answers follow a fixed cycle of PROBE_CYCLE calls, so the probe metrics move in
a way a test can predict: mostly a quick answer (first token in 0.15 to 0.6 s, three times
slower while the vendor is degraded), and now and then a slow first token, a 429 or a stream
cut short before its end marker. Two spells make the alerts fire: GPT-4o-mini on OpenRouter
answers 503 for 2 minutes of every 10 (LLMProbeFailing), and Gemini 2.5 Flash is slow to its
first token for the first 12 minutes of every 20 (LLMProbeSlowFirstToken).
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
SLOW_CALL, LIMITED_CALL, CUT_CALL = 3, 6, 11  # positions in the cycle
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
        if step == SLOW_CALL:
            ttft = 3.0 + ttft
        if key in SLOW_SPELLS and _within(SLOW_SPELLS[key], elapsed):
            ttft += SLOW_SPELLS[key][3]
        return Plan(ttft=ttft, gap=gap, tokens=max(1, min(max_tokens, len(ANSWER))), cut=step == CUT_CALL)


def _sse(data: object, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {body}\n\n".encode()


def events(shape: str, model: str, plan: Plan, price_in: float = 0.0, price_out: float = 0.0,
           reports_cost: bool = False) -> list[tuple[float, bytes]]:
    """(seconds to wait, bytes to send) for the whole answer."""
    tokens = ANSWER[: plan.tokens]
    out: list[tuple[float, bytes]] = []
    if shape == "openai":
        created = int(time.time())

        def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, object]:
            return {"id": "gen-demo", "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

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
            "id": "msg_demo", "type": "message", "role": "assistant", "model": model, "content": [],
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
