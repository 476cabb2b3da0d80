"""Log lines a pipeline can parse: logfmt and JSON with time, level, logger, msg and the
event's fields, every value redacted."""

from __future__ import annotations

import json
import logging
import re
import secrets

from exporter import redact
from exporter.cli.logs import JsonFormatter, LogfmtFormatter

# Made for this run: nothing key-shaped is committed, and redaction must not rely on a prefix.
KEY = secrets.token_hex(16)


def record(msg: str, *args: object, level: int = logging.WARNING, **fields: object) -> logging.LogRecord:
    rec = logging.LogRecord("exporter.engine", level, __file__, 1, msg, args, None)
    rec.created = 1_795_392_000.25  # 2026-11-23T00:00:00.250Z
    if fields:
        rec.fields = fields
    return rec


def test_logfmt_has_the_fixed_keys_then_the_fields() -> None:
    line = LogfmtFormatter().format(record("%s: poll failed: %s", "openrouter", "models: timeout: no answer",
                                           source="openrouter", endpoint="models", reason="timeout",
                                           duration_seconds=1.5))
    assert line == ('time=2026-11-23T00:00:00.250Z level=warn logger=exporter.engine '
                    'msg="openrouter: poll failed: models: timeout: no answer" source=openrouter endpoint=models '
                    'reason=timeout duration_seconds=1.5')


def test_json_is_one_object_per_line() -> None:
    line = JsonFormatter().format(record("recovered", level=logging.INFO, source="a b", up=True))
    assert "\n" not in line
    assert json.loads(line) == {"time": "2026-11-23T00:00:00.250Z", "level": "info", "logger": "exporter.engine",
                                "msg": "recovered", "source": "a b", "up": True}


def test_every_value_is_redacted_and_escaped() -> None:
    redact.register(KEY)
    rec = record("GET https://x.example/v1?key=%s failed\nsecond line", KEY, url=f"https://x/?api_key={KEY}",
                 header=f"Authorization: Bearer {KEY}")
    for line in (LogfmtFormatter().format(rec), JsonFormatter().format(rec)):
        assert KEY not in line and "\n" not in line
    logfmt = LogfmtFormatter().format(rec)
    assert re.search(r'msg="GET https://x.example/v1\?key=<redacted> failed\\nsecond line"', logfmt)


def test_an_exception_is_one_field() -> None:
    try:
        raise ValueError(f"boom with {KEY}")
    except ValueError:
        import sys

        rec = record("unexpected error")
        rec.exc_info = sys.exc_info()
    redact.register(KEY)
    doc = json.loads(JsonFormatter().format(rec))
    assert doc["err"].startswith("Traceback") and "ValueError: boom with <redacted>" in doc["err"]
    assert "err=\"Traceback" in LogfmtFormatter().format(rec)


def test_logfmt_escapes_what_a_vendor_could_smuggle_into_a_value() -> None:
    """ESC, NUL and the like written raw break Loki's logfmt parser and drive terminals: escaped
    as go-logfmt does (named, or \\u00XX), and so are DEL, the C1 controls and the line and
    paragraph separators it passes through."""
    hostile = "model\x1b[31m red\x00nul\ttab\x85nel\u2028ls\u2029ps\x7fdel\U000e0001tag \"q\" \\b"
    line = LogfmtFormatter().format(record("%s", hostile, model=hostile, bare="a\x1bb"))
    assert line.isprintable()  # not one control character left, so one line whatever a terminal does
    escaped = ('"model\\u001b[31m red\\u0000nul\\ttab\\u0085nel\\u2028ls\\u2029ps\\u007fdel\\udb40\\udc01tag '
               '\\"q\\" \\\\b"')
    assert f"msg={escaped}" in line and f"model={escaped}" in line
    assert 'bare="a\\u001bb"' in line  # a value with a control character is never bare
    # read back as a JSON string, each escape gives the character written
    assert json.loads(escaped) == hostile
