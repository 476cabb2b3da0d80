"""State files that cost what changed: the usage state as a base plus a journal of changes
(exporter/statefile.py's Journal), read back exactly after a restart, a torn write, a crash in
the middle of a compaction, and an older version's base."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from exporter import statefile
from exporter.snapshot import Model, Snapshot
from exporter.spend.job import LiveSources, SpendJob, SpendSettings
from tests.support.clock import Clock

NOW = 1_795_392_000.0  # 2026-11-23 00:00 UTC
CATALOG = LiveSources(fresh=(("vendor", True, Snapshot(models=(
    Model("vendor", "m", "m", prices=(("input", Decimal("0.000001")), ("output", Decimal("0.000002")))),),
    catalog=True)),))


def event(n: int, model: str = "m") -> str:
    return json.dumps({"ts": NOW + n, "provider": "p", "model": model, "task": f"t{n % 3}", "input_tokens": 1000,
                       "output_tokens": 100, "duration_seconds": 1.5}) + "\n"


def run(ledger: Path, state: Path, lines: range) -> dict[tuple[str, str, str], int]:
    """One exporter life: appends `lines` to the ledger, one usage run each, and the totals."""
    watch = SpendJob(SpendSettings(ledger=(str(ledger),)), str(state), clock=Clock(NOW))
    try:
        view = watch.run(CATALOG)
        for n in lines:
            with ledger.open("a") as out:
                out.write(event(n, model=f"m{n % 5}"))
            view = watch.run(CATALOG)
    finally:
        watch.close()
    return {key: t.requests for key, t in view.book.counters.items()}


def test_runs_append_what_changed_and_a_restart_reads_it_back(tmp_path: Path) -> None:
    ledger, state = tmp_path / "app.jsonl", tmp_path / "state"
    ledger.touch()
    first = run(ledger, state, range(40))
    base = (state / "usage.json").read_bytes()
    journal = (state / "usage.json.journal").read_text().splitlines()
    assert len(journal) == 39  # the first save writes the base, then a line per run that counted
    assert all(len(line) < 2000 for line in journal)  # each holds what changed, not the book
    second = run(ledger, state, range(40, 45))
    assert (state / "usage.json").read_bytes() == base
    assert sum(second.values()) == 45 and all(second[k] >= first[k] for k in first)


def test_a_torn_last_line_is_dropped_with_everything_it_said(tmp_path: Path) -> None:
    ledger, state = tmp_path / "app.jsonl", tmp_path / "state"
    ledger.touch()
    run(ledger, state, range(10))
    journal = state / "usage.json.journal"
    data = journal.read_bytes()
    journal.write_bytes(data[: len(data) - 40])  # the last run's line cut: its totals and its offsets go
    counts = run(ledger, state, range(10, 12))
    # the tenth event is read again from the offset the ninth line saved: counted once, not lost
    assert sum(counts.values()) == 12
    assert json.loads(journal.read_text().splitlines()[-1])["positions"][0][3] == ledger.stat().st_size


def test_a_compaction_replaces_the_base_and_old_lines_are_never_applied_again(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, state = tmp_path / "app.jsonl", tmp_path / "state"
    ledger.touch()
    run(ledger, state, range(20))
    stale = (state / "usage.json.journal").read_bytes()
    monkeypatch.setattr(statefile, "MIN_COMPACT_BYTES", 0)  # the journal now outgrows the base at once
    run(ledger, state, range(20, 30))
    base = json.loads((state / "usage.json").read_text())
    assert base["book"]["counters"] and base["journal"]
    monkeypatch.setattr(statefile, "MIN_COMPACT_BYTES", 1 << 20)
    # a crash between the new base and emptying the journal: the old lines carry the old token
    (state / "usage.json.journal").write_bytes(stale + (state / "usage.json.journal").read_bytes())
    counts = run(ledger, state, range(30, 31))
    assert sum(counts.values()) == 31


def test_a_base_an_older_version_rewrote_ignores_the_journal_it_did_not_know(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, state = tmp_path / "app.jsonl", tmp_path / "state"
    ledger.touch()
    run(ledger, state, range(5))
    stale = (state / "usage.json.journal").read_bytes()
    # An older version that knew no journal then counted two more calls and wrote its base whole.
    monkeypatch.setattr(statefile, "MIN_COMPACT_BYTES", 0)
    run(ledger, state, range(5, 7))
    monkeypatch.setattr(statefile, "MIN_COMPACT_BYTES", 1 << 20)
    doc = json.loads((state / "usage.json").read_text())
    doc.pop("journal")
    (state / "usage.json").write_text(json.dumps(doc))
    (state / "usage.json.journal").write_bytes(stale)
    # Applied, the stale lines would take the offsets back to the fifth call while the base
    # already counts the sixth and seventh: those would be counted twice.
    counts = run(ledger, state, range(7, 8))
    assert sum(counts.values()) == 8
