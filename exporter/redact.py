"""Keeps secrets out of everything the exporter writes: logs (exporter/cli/logs.py redacts every
field of every line), pages, JSON and metrics.

Two layers, because neither alone is enough: the exact secret values from the config are
replaced wherever they appear, and key-looking headers and query parameters are masked even
when their value was never registered (a vendor echoing a token back, a url in an exception).
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

MASK = "<redacted>"

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()

_QUERY = re.compile(
    r"(?i)([?&;](?:api[_-]?key|key|token|access[_-]?token|auth|secret|password|sig|signature)=)[^&#\s\"'<>]+"
)
_HEADER = re.compile(
    r"(?i)((?:authorization|proxy-authorization|x-api-key|x-goog-api-key|api-key)[\"']?\s*[:=]\s*[\"']?)"
    r"(?:(?:bearer|basic|token)\s+)?[^\s\"',}]+"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}")


def register(*values: str | None) -> None:
    """Adds secret values that must never be written anywhere."""
    global _secrets
    new = {v for v in values if v and len(v) >= 4}
    if not new:
        return
    with _lock:
        _secrets = _secrets | new


def redact(text: str) -> str:
    if not text:
        return text
    # Longest first so a key that contains another key is masked whole.
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _QUERY.sub(lambda m: m.group(1) + MASK, text)
    text = _HEADER.sub(lambda m: m.group(1) + MASK, text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)


def encodable(text: str) -> str:
    """`text` with what UTF-8 cannot encode (a lone surrogate from JSON's "\\ud800") as U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def scrub(node: Any) -> Any:
    """A copy of a JSON document with every string (keys too) redacted and encodable, and
    every float that JSON cannot carry (NaN, infinities) as null. Redaction runs on the
    strings themselves, before encoding: on encoded JSON a mask could land inside an escape."""
    if isinstance(node, str):
        return encodable(redact(node))
    if isinstance(node, dict):
        return {scrub(k) if isinstance(k, str) else k: scrub(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [scrub(v) for v in node]
    if isinstance(node, float) and not math.isfinite(node):
        return None
    return node
