"""The catalog watch: counts each change once, starts every counter at zero, never compares a
failed poll, keeps first-seen times across a restart, and survives a corrupt or unwritable state
file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from exporter.catalog.capabilities import settings_from
from exporter.catalog.changes import CHANGE_TYPES
from exporter.catalog.watch import LOG_SIZE, CatalogWatch
from exporter.snapshot import Snapshot
from tests.support.catalogs import http_source, model, vendor
from tests.support.clock import Clock
from tests.support.engines import engine, metrics
from tests.support.fakeserver import FakeServer, json_reply
from tests.support.metrics import samples, value


def test_the_log_is_bounded_and_newest_first() -> None:
    watch = CatalogWatch(settings_from(None))
    for i in range(LOG_SIZE // 2 + 30):
        models = (model(f"m{i}", "1", "1"),)
        watch.observe("src", Snapshot(models=models, catalog=True), float(i))
    log = watch.rank([("src", True)]).log
    assert len(log) == LOG_SIZE
    last = LOG_SIZE // 2 + 29
    assert {(c.model, c.change, c.time) for c in log[:2]} == {(f"m{last}", "added", last), (f"m{last - 1}",
                                                                                            "removed", last)}
    assert [c.time for c in log] == sorted((c.time for c in log), reverse=True)


def counters(text: str, source: str) -> dict[str, float]:
    parsed = samples(text)
    return {change: value(parsed, "llm_catalog_changes", source=source, change=change) for change in CHANGE_TYPES}


def free_counters(text: str, source: str) -> dict[str, float]:
    parsed = samples(text)
    return {change: value(parsed, "llm_catalog_free_changes", source=source, change=change)
            for change in ("added", "removed")}


FIRST_BODY = vendor([("stays", "1", "2"), ("goes", "1", "2"), ("free-goes", "0", "0"), ("reprice", "1", "2"),
                     ("to-free", "1", "2"), ("from-free", "0", "0")])


SECOND_BODY = vendor([("stays", "1", "2"), ("reprice", "1", "3"), ("to-free", "0", "0"), ("from-free", "1", "1"),
                      ("new", "5", "6"), ("new-free", "0", "0")])


def test_engine_counts_exactly_and_starts_every_counter_at_zero(fake: FakeServer) -> None:
    body = {"reply": json_reply(FIRST_BODY)}
    fake.routes["/v/models"] = lambda q: body["reply"]
    e = engine(http_source(fake, "v"), Clock())
    e.run_once()
    first = metrics(e)
    # the first poll is the baseline: every counter exists, at 0
    assert counters(first, "v") == dict.fromkeys(CHANGE_TYPES, 0)
    assert free_counters(first, "v") == {"added": 0, "removed": 0}
    body["reply"] = json_reply(SECOND_BODY)
    e.run_once()
    text = metrics(e)
    e.stop()
    assert counters(text, "v") == {"added": 2, "removed": 2, "price_changed": 3, "became_free": 1,
                                   "stopped_being_free": 1}
    assert free_counters(text, "v") == {"added": 2, "removed": 2}


def test_a_failed_poll_is_never_compared(fake: FakeServer) -> None:
    body = {"reply": json_reply(FIRST_BODY)}
    fake.routes["/v/models"] = lambda q: body["reply"]
    clock = Clock()
    e = engine(http_source(fake, "v"), clock)
    e.run_once()
    for broken in (json_reply({"error": "down"}, status=500), json_reply({"data": "garbage"})):
        body["reply"] = broken
        clock.now += 60
        e.run_once()
        assert counters(metrics(e), "v") == dict.fromkeys(CHANGE_TYPES, 0)
    body["reply"] = json_reply(SECOND_BODY)
    clock.now += 60
    e.run_once()
    # compared with the last successful poll, not with the failures in between
    assert counters(metrics(e), "v")["removed"] == 2
    e.stop()


def test_restart_keeps_first_seen_and_reports_no_spurious_additions(fake: FakeServer, tmp_path: Path) -> None:
    fake.routes["/v/models"] = json_reply(vendor([("a", "1", "2"), ("b", "0", "0")]))
    head = f"state_dir: {tmp_path / 'state'}\n"
    clock = Clock()
    before = engine(http_source(fake, "v"), clock, head=head, persist=True)
    before.run_once()
    before.stop()
    saved = json.loads((tmp_path / "state" / "catalog.json").read_text())
    assert saved["version"] == 1 and len(saved["sources"]["v"]["models"]) == 2
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["catalog.json"]  # no temp files left behind

    # while it was down, the vendor added one model
    fake.routes["/v/models"] = json_reply(vendor([("a", "1", "2"), ("b", "0", "0"), ("c", "3", "4")]))
    started = clock.now
    clock.now += 3600
    after = engine(http_source(fake, "v"), clock, head=head, persist=True)
    after.run_once()
    text = metrics(after)
    after.stop()
    assert counters(text, "v") == {"added": 1, "removed": 0, "price_changed": 0, "became_free": 0,
                                   "stopped_being_free": 0}
    parsed = samples(text)
    seen = {lab["model"]: v for lab, v in parsed["llm_model_first_seen_timestamp_seconds"]}
    assert seen == {"a": started, "b": started, "c": started + 3600}


def test_corrupt_state_file_is_logged_and_set_aside(fake: FakeServer, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    fake.routes["/v/models"] = json_reply(vendor([("a", "1", "2")]))
    state = tmp_path / "state"
    state.mkdir()
    head = f"state_dir: {state}\n"
    good_model = '["v", "a", "1", "2", false, %s]'
    for garbage in ('{"version": 1, "sources": {"v": {"models": [["p", "m"]]}}, "log": []}', "{half a file",
                    "\xff\xfe not text",
                    '{"version": 1, "sources": {"v": ' + "[" * 100_000 + "]" * 100_000 + "}, \"log\": []}",
                    '{"version": 1, "sources": {"v": {"models": [' + good_model % ("1" + "0" * 400)
                    + '], "gone": []}}, "log": []}',
                    '{"version": 1, "sources": {}, "log": [[NaN, "v", "v", "a", "added", null, null, "1", "2", null]]}',
                    '{"version": 1, "sources": {"v": {"models": [' + good_model % "Infinity" + '], "gone": []}},'
                    ' "log": []}'):
        (state / "catalog.json").write_bytes(garbage.encode("latin-1"))
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            e = engine(http_source(fake, "v"), Clock(), head=head, persist=True)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "catalog.json" in warnings[0] and "set aside as" in warnings[0], warnings
        (aside,) = state.glob("catalog.json.corrupt-*")
        assert aside.read_bytes() == garbage.encode("latin-1")  # kept as it was, for a person to look at
        aside.unlink()
        e.run_once()
        # a baseline, and a good file written over the bad one
        assert counters(metrics(e), "v") == dict.fromkeys(CHANGE_TYPES, 0)
        e.stop()
        assert json.loads((state / "catalog.json").read_text())["version"] == 1


def test_an_unwritable_state_dir_is_logged_once_and_survived(fake: FakeServer, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    fake.routes["/v/models"] = lambda q: json_reply(vendor([("a", str(len(fake.seen)), "2")]))
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    clock = Clock()
    e = engine(http_source(fake, "v"), clock, head=f"state_dir: {blocker / 'state'}\n", persist=True)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):  # every poll reprices "a", so every poll wants to save
            clock.now += 60
            e.run_once()
    e.stop()
    failures = [r for r in caplog.records if "cannot write state file" in r.getMessage()]
    assert len(failures) == 1
    assert counters(metrics(e), "v")["price_changed"] == 2
