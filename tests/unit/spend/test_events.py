"""A ledger line as an event: every accepted form, and a time in the future."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tests.support.ledger import CATALOG, NOW, append, event, totals, watch


def test_events_are_read_in_every_form(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    append(path, json.dumps({"ts": "2026-11-23T00:04:00Z", "provider": "p", "model": "m", "input_tokens": 10,
                             "output_tokens": 1, "cache_read_tokens": 100, "cost_usd": "0.5", "success": False,
                             "duration_seconds": 1.5}) + "\n")
    view = watch(path, None).run(CATALOG)
    t = view.book.counters[("p", "m", "default")]  # task defaults to "default"
    assert (t.requests, t.failures, t.input, t.output, t.cache_read, t.cost_usd) == (1, 1, 10, 1, 100,
                                                                                     Decimal("0.5"))
    assert view.book.last_event == NOW + 240
    assert view.book.durations[("p", "m")].count == 1


def test_an_event_dated_in_the_future_is_an_invalid_line(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    append(path, event(0) + event(3600) + event(9_999_999_999 - int(NOW)) + event(1))  # an hour fast, 2286
    view = watch(path, None).run(CATALOG)
    assert totals(view)[0] == 2 and view.book.invalid_lines == {str(path): 2}
    assert view.book.last_event == NOW + 1  # never later than the events that are facts
