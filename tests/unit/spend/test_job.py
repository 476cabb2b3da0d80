"""The usage run over the ledger: counters that never go back, restarts that neither re-read nor
re-price, a missing or corrupt state rebuilt, bad lines counted alone."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.support.ledger import CATALOG, COST, NOW, REPRICED, append, event, totals, watch
from tests.support.state import usage_state


def test_truncation_never_takes_counters_back(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    append(path, event(1) + event(2) + event(3))
    w = watch(path, None)
    assert totals(w.run(CATALOG)) == (3, 3 * COST)
    path.write_text(event(4))
    assert totals(w.run(CATALOG)) == (4, 4 * COST)


def test_restart_with_state_neither_rereads_nor_reprices(tmp_path: Path) -> None:
    path, state = tmp_path / "app.jsonl", tmp_path / "state"
    append(path, event(1) + event(2))
    first = watch(path, state)
    assert totals(first.run(CATALOG)) == (2, 2 * COST)
    first.close()
    append(path, event(3))
    second = watch(path, state)
    view = second.run(REPRICED)  # the catalog's price went up tenfold while it was down
    second.close()
    # the two old events keep the price they were read at; only the new one is priced anew
    assert totals(view) == (3, 2 * COST + 10 * COST)
    saved = usage_state(state)
    assert saved["positions"][0][3] == path.stat().st_size


def test_without_state_the_files_are_rebuilt_from_the_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path, state = tmp_path / "app.jsonl", tmp_path / "state"
    append(path, event(1) + event(2))
    first = watch(path, state)
    first.run(CATALOG)
    first.close()
    (state / "usage.json").unlink()
    with caplog.at_level(logging.INFO):
        second = watch(path, state)
    assert any("reading the ledger from the start" in r.getMessage() for r in caplog.records)
    assert totals(second.run(REPRICED)) == (2, 20 * COST)  # rebuilt at current prices
    second.close()


@pytest.mark.parametrize("damage", ["truncated", "wrong shape", "other version", "nested deep", "NaN cost",
                                    "a 400-digit count", "NaN last event"])
def test_a_corrupt_usage_state_is_set_aside_and_rebuilt(tmp_path: Path,
        caplog: pytest.LogCaptureFixture, damage: str) -> None:
    path, state = tmp_path / "app.jsonl", tmp_path / "state"
    append(path, event(1) + event(2))
    first = watch(path, state)
    first.run(CATALOG)
    first.close()
    good = (state / "usage.json").read_text()
    doc = json.loads(good)
    counters = doc["book"]["counters"]
    bad = {"truncated": good[: len(good) // 2],
           "wrong shape": json.dumps({**doc, "positions": [["only", "two"]]}),
           "other version": json.dumps({**doc, "version": 999}),
           "nested deep": good[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}",
           "NaN cost": json.dumps({**doc, "book": {**doc["book"], "counters": [
               [*counters[0][:3], [*counters[0][3][:5], "NaN", *counters[0][3][6:]]]]}}),
           "a 400-digit count": json.dumps({**doc, "book": {**doc["book"], "counters": [
               [*counters[0][:3], [10**400, *counters[0][3][1:]]]]}}),
           "NaN last event": json.dumps({**doc, "book": {**doc["book"], "last_event": float("nan")}}),
           }[damage]
    (state / "usage.json").write_text(bad)
    with caplog.at_level(logging.WARNING):
        second = watch(path, state)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "set aside as usage.json.corrupt-" in warnings[0], warnings
    (aside,) = state.glob("usage.json.corrupt-*")
    assert aside.read_text() == bad  # kept for a person to look at
    assert totals(second.run(CATALOG)) == (2, 2 * COST)  # rebuilt from the ledger
    second.close()
    assert json.loads((state / "usage.json").read_text())["version"] == json.loads(good)["version"]


def test_malformed_lines_are_counted_logged_and_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "app.jsonl"
    append(path, event(1) + "not json\n" + '{"ts": "yesterday", "provider": "p", "model": "m"}\n'
           + json.dumps({"ts": NOW, "provider": "p", "model": "m", "input_tokens": -3}) + "\n"
           + "[1, 2]\n" + event(2, success="yes") + event(3))
    w = watch(path, None)
    with caplog.at_level(logging.DEBUG):
        view = w.run(CATALOG)
    assert view.book.invalid_lines == {str(path): 5}
    assert totals(view) == (2, 2 * COST)
    # one warning per file and read, with the count and the first bad line; each line at debug
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"ledger {path}: skipped 5 malformed lines in this read (the first, line 2: not JSON "
                        "(Expecting value: line 1 column 1 (char 0)))"]
    details = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(f"{path}:3:" in m and "ts must be RFC 3339 or unix seconds" in m for m in details)
    assert any(f"{path}:4:" in m and "input_tokens must be a whole number of tokens" in m for m in details)
    assert any(f"{path}:6:" in m and "success must be true or false" in m for m in details)


HOSTILE_LINES = [
    ("a 400-digit integer", f'{{"ts": {NOW}, "provider": "p", "model": "m", "input_tokens": 1{"0" * 400}}}'),
    ("tokens no float holds", json.dumps({"ts": NOW, "provider": "p", "model": "m", "input_tokens": 1.7e308})),
    ("a price that overflows", json.dumps({"ts": NOW, "provider": "p", "model": "m", "cost_usd": "9e999999"})),
    ("NaN cost", f'{{"ts": {NOW}, "provider": "p", "model": "m", "cost_usd": NaN}}'),
    ("nesting 100,000 deep", "[" * 100_000 + "]" * 100_000),
    ("a label that is a number", json.dumps({"ts": NOW, "provider": "p", "model": 4})),
    ("a timestamp out of range", json.dumps({"ts": 1e300, "provider": "p", "model": "m"})),
]


@pytest.mark.parametrize(("what", "line"), HOSTILE_LINES, ids=[w for w, _ in HOSTILE_LINES])
def test_a_hostile_line_is_counted_alone(tmp_path: Path, what: str, line: str) -> None:
    """Each line is handled alone: the good lines after a bad one in the same read count, and
    nothing absurd reaches the totals or the state file."""
    path, state = tmp_path / "app.jsonl", tmp_path / "state"
    append(path, event(1) + line + "\n" + event(2) + event(3))
    w = watch(path, state)
    view = w.run(CATALOG)
    w.close()
    assert view.book.invalid_lines == {str(path): 1}
    assert totals(view) == (3, 3 * COST)
    saved = (state / "usage.json").read_text()
    assert "e+308" not in saved and "0" * 100 not in saved and "NaN" not in saved


def test_an_overlong_line_is_skipped_and_counted(tmp_path: Path) -> None:
    """A 65 MiB line without a newline (more than one read's budget) does not stop the reader:
    it is skipped, counted once, and the lines after it are read."""
    path = tmp_path / "app.jsonl"
    append(path, event(1))
    with path.open("a") as out:
        out.write('{"ts": 1, "junk": "' + "x" * (65 << 20))
    w = watch(path, None)
    assert totals(w.run(CATALOG)) == (1, COST)
    append(path, '"}\n' + event(2))
    view = w.run(CATALOG)
    assert totals(view) == (2, 2 * COST)
    assert view.book.invalid_lines == {str(path): 1}
    append(path, event(3))
    assert totals(w.run(CATALOG)) == (3, 3 * COST)
