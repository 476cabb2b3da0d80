"""What a vendor's refusal says beyond its status: that the account ran out of credit (money,
not an outage), or that the model asked for no longer serves, why, and since when.

Every vendor words these its own way (tests/fixtures/providers/README.md has the recordings):
- credit: 402 from OpenRouter ("Insufficient credits", "requires more credits, or fewer
  max_tokens"), DeepSeek ("Insufficient Balance") and GatewayZ (`insufficient_credits`);
  OpenAI's 429 with `insufficient_quota` (not a rate limit); Anthropic's 400 "Your credit
  balance is too low"; LiteLLM's `budget_exceeded` (422 since 1.9x, 429 or 400 before).
- dead models: OpenAI 404 `model_not_found` ("does not exist" or "has been deprecated"),
  Anthropic 404 `not_found_error` "model: <id>", Gemini 404 `NOT_FOUND`, OpenRouter 404 "No
  endpoints found for <id>", NVIDIA NIM 410 problem+json whose detail says "reached its end of
  life on <instant>".
Not dead: OpenRouter's 404 "No endpoints found that support tool use" (or "matching your
guardrail restrictions") is a routing mismatch, NIM's 404 "Not found for account" an
entitlement, and a 400 about anything but the model (max_tokens) says nothing about it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from exporter import units
from exporter.redact import redact

MAX_TEXT = 500
MAX_BODY = 65536  # an error envelope is small; a large body is not read for one

CREDIT_CODES = frozenset({"insufficient_quota", "budget_exceeded", "insufficient_credits", "insufficient_balance",
                          "insufficient_funds", "payment_required"})
CREDIT_TEXT = re.compile(r"credit balance is too low|insufficient (credits?|balance|quota|funds)|"
                         r"budget has been exceeded|exceeded your current quota|requires more credits", re.I)
RETIRED_TEXT = re.compile(r"end[ -]of[ -]life|deprecated|retired|shut ?down|decommissioned|sunset", re.I)
MISSING_TEXT = re.compile(r"does not exist|do(es)? not have access|not found|no endpoints found for|"
                          r"unknown model|invalid model|model not supported|is not supported for", re.I)
# 404s that are about routing or entitlement, not about whether the model serves.
NOT_ABOUT_THE_MODEL = re.compile(r"no endpoints found (that|matching)|not found for account|guardrail", re.I)
MODEL_CODES = frozenset({"model_not_found", "not_found_error", "not_found", "model_not_available"})
# "end of life on 2026-08-07T09:00:00Z", "was deprecated on 2026-01-05", "shut down on ..."
RETIRED_ON = re.compile(
    r"(?:end[ -]of[ -]life|deprecated|retired|shut ?down|decommissioned|sunset)\D{0,40}?"
    r"(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)", re.I)

UNSERVABLE_REASONS = ("end_of_life", "not_found", "gone")


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    codes: tuple[str, ...]  # the envelope's type and code fields, lower-case
    text: str  # the vendor's message, redacted and cut to MAX_TEXT


@dataclass(frozen=True, slots=True)
class Unservable:
    reason: str  # an UNSERVABLE_REASONS entry
    retires_at: float | None  # unix seconds, when the text names the day or instant


def read(status: int, body: bytes) -> Refusal:
    """The codes and message of an error answer, whichever envelope it comes in: OpenAI's and
    most others' {"error": {...}}, Anthropic's {"type": "error", "error": {...}}, Google's
    {"error": {"code": 404, "status": ...}}, RFC 7807 problem+json, or a bare message."""
    doc = _json(body)
    codes: list[str] = []
    texts: list[str] = []
    nodes = [doc.get("error"), doc.get("detail"), doc] if isinstance(doc, dict) else []
    for node in nodes:
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict):
            for key in ("type", "code", "status"):
                value = node.get(key)
                if isinstance(value, str) and value not in ("error", "about:blank"):
                    codes.append(value.lower())
            for key in ("message", "detail", "title"):
                if isinstance(node.get(key), str):
                    texts.append(node[key])
    if not nodes and body and len(body) <= MAX_BODY and not body.lstrip().startswith(b"<"):
        texts.append(body.decode("utf-8", "replace"))
    text = " ".join(dict.fromkeys(t.strip() for t in texts if t.strip()))
    return Refusal(status, tuple(dict.fromkeys(codes))[:6], redact(text)[:MAX_TEXT])


def credit_exhausted(refusal: Refusal) -> bool:
    """The account (or key, or team budget) has no money left for this call."""
    if refusal.status == 402 or CREDIT_CODES.intersection(refusal.codes):
        return True
    return refusal.status in (400, 403, 422, 429) and CREDIT_TEXT.search(refusal.text) is not None


def unservable(refusal: Refusal, model: str) -> Unservable | None:
    """Whether the refusal says `model` does not serve: None when it is about something else
    (a bad parameter, the account, the route) or is not a refusal of the model at all."""
    text = refusal.text
    if refusal.status not in (400, 404, 410) or credit_exhausted(refusal) or NOT_ABOUT_THE_MODEL.search(text):
        return None
    named = bool(MODEL_CODES.intersection(refusal.codes)) or names(text, model)
    retired = RETIRED_TEXT.search(text) is not None
    if refusal.status == 400 and not (named and (retired or MISSING_TEXT.search(text))):
        return None  # about a parameter ("max_tokens is deprecated for this model"), not the model
    if refusal.status == 404 and not (named or "model" in text.lower()):
        return None  # a 404 naming no model ({"detail": "Not Found"}): a wrong path, not a dead model
    if retired:
        return Unservable("end_of_life", retirement(text))
    return Unservable("gone" if refusal.status == 410 else "not_found", retirement(text))


def names(text: str, model: str) -> bool:
    """Whether the text names the model as a whole id (`m` is not named by "max_tokens"; a
    path prefix such as models/ and a closing full stop are fine)."""
    if not model:
        return False
    pattern = r"(?<![\w.:-])" + re.escape(model.lower()) + r"(?![\w/:-]|\.\w)"
    return re.search(pattern, text.lower()) is not None


def retirement(text: str) -> float | None:
    """The instant the text says the model retires or retired: a date is 00:00 UTC that day."""
    found = RETIRED_ON.search(text)
    if found is None:
        return None
    moment = found.group(1).replace(" ", "T")
    try:
        return units.iso_to_epoch_seconds(moment)
    except ValueError:  # units.OutOfRange included: a year 9999 is no date
        return None


def _json(body: bytes) -> Any:
    if len(body) > MAX_BODY or body.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
