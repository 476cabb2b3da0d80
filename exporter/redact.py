"""Keeps secrets out of everything the exporter writes: logs, pages, JSON and metrics.

Two layers, because neither alone is enough: the exact secret values from the config are
replaced wherever they appear, and key-looking headers and query parameters are masked even
when their value was never registered (a vendor echoing a token back, a url in an exception).
"""

from __future__ import annotations

import logging
import re
import threading

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


class RedactingFormatter(logging.Formatter):
    """Formats the whole record, traceback included, and then redacts the result."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
