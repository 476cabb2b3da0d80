"""Log lines a log pipeline can parse: logfmt (the default) or JSON, the formats of the
Prometheus ecosystem's promslog. Every line has `time` (RFC 3339, UTC), `level`, `logger` and
`msg`, then the event's own fields as keys: a call passes them as
`extra={"fields": {"source": ..., "endpoint": ..., "reason": ...}}`. Every value is redacted,
so no key or secret reaches a line, whatever a message or an exception holds.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

from exporter.redact import encodable, redact

FORMATS = ("logfmt", "json")
LEVELS = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn", logging.ERROR: "error",
          logging.CRITICAL: "error"}
_BARE = re.compile(r"^[^\s=\"\\]+$")
# As go-logfmt writes a quoted value: backslash and quote escaped, newline, return and tab by
# name; and, as \uXXXX, every other character that is not printable: the C0 controls go-logfmt
# escapes, and the ones it passes through (DEL, the C1 controls such as U+0085, U+2028 and U+2029)
# that Loki's logfmt parser rejects and terminals obey.
_NAMED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _time(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return encodable(redact(value))
    if isinstance(value, bool | int | float) or value is None:
        return value
    return encodable(redact(str(value)))


def record_fields(record: logging.LogRecord, formatter: logging.Formatter) -> dict[str, Any]:
    """The line's keys in order: time, level, logger, msg, the event's fields, then err."""
    out: dict[str, Any] = {"time": _time(record.created), "level": LEVELS.get(record.levelno, "info"),
                           "logger": record.name, "msg": record.getMessage()}
    extra = getattr(record, "fields", None)
    if isinstance(extra, dict):
        out.update((str(k), v) for k, v in extra.items() if k not in out)
    if record.exc_info:
        out["err"] = formatter.formatException(record.exc_info)
    return {key: _clean(value) for key, value in out.items()}


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt(value)}" for key, value in record_fields(record, self).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record, self), ensure_ascii=False, allow_nan=False, default=str)


def _logfmt(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value) if value == value and abs(value) != float("inf") else f'"{value}"'
    text = str(value)
    printable = text.isprintable()
    if text and printable and _BARE.match(text):
        return text
    if printable and '"' not in text and "\\" not in text:
        return f'"{text}"'
    escaped = "".join(_NAMED.get(ch) or (ch if ch.isprintable() else _unicode_escape(ch)) for ch in text)
    return f'"{escaped}"'


def _unicode_escape(ch: str) -> str:
    """\\uXXXX, or a surrogate pair of them past the Basic Multilingual Plane, as JSON writes it."""
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def setup(level: str, fmt: str = "logfmt") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # urllib3 logs every request line at debug level: useful when asked for, and like every
    # record it is redacted, so a key in a URL would not get through.
    # schedule's debug lines print whole job objects every second: never useful, always noise.
    logging.getLogger("schedule").setLevel(max(logging.INFO, root.level))
