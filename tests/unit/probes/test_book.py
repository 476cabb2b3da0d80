"""The probe book: what answers each model, one change per switch and none for a restart, kept in its state file."""

from __future__ import annotations

import json
from pathlib import Path

from exporter.probes.book import ProbeBook
from exporter.probes.probe import ProbeResult
from exporter.probes.settings import ProbeSettings
from tests.support.clock import NOW
from tests.support.probes import TARGET


# -- 4. the model that answers ------------------------------------------------------------------
def ok(answered: str, fingerprint: str, at: float = NOW) -> ProbeResult:
    return ProbeResult("openai", "gpt-4o-mini", at, True, headers_seconds=0.1, ttft_seconds=0.3,
                       duration_seconds=0.5, output_tokens=2, response_model=answered, fingerprint=fingerprint,
                       ratelimits=())


def test_one_fingerprint_switch_is_one_change_and_a_restart_none(tmp_path: Path) -> None:
    settings = ProbeSettings(targets=(TARGET,))
    book = ProbeBook(settings, lambda: NOW, str(tmp_path))
    for pair in (("gpt-4o-mini-2024-07-18", "fp_a"),) * 3:  # the first probe and its repeats: no change
        book.record(ok(*pair))
    assert book.view().entries[0].response_changes == 0
    book.record(ok("gpt-4o-mini-2024-07-18", "fp_b"))  # one switch
    for _ in range(3):
        book.record(ok("gpt-4o-mini-2024-07-18", "fp_b"))
    entry = book.view().entries[0]
    assert entry.response_changes == 1 and entry.response == ("gpt-4o-mini-2024-07-18", "fp_b")
    assert entry.ttft_histogram.count == 7
    # a restart is not a change; a change while the exporter was down is one
    again = ProbeBook(settings, lambda: NOW, str(tmp_path))
    again.record(ok("gpt-4o-mini-2024-07-18", "fp_b"))
    assert again.view().entries[0].response_changes == 0
    later = ProbeBook(settings, lambda: NOW, str(tmp_path))
    later.record(ok("gpt-4o-mini-2024-07-18", "fp_c"))
    assert later.view().entries[0].response_changes == 1
    saved = json.loads((tmp_path / "probes.json").read_text())
    assert saved["responses"] == [["openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "fp_c"]]


def test_a_corrupt_probe_state_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "probes.json").write_text('{"version": 1, "responses": [["a", 1, 2]]}')
    book = ProbeBook(ProbeSettings(targets=(TARGET,)), lambda: NOW, str(tmp_path))
    book.record(ok("m", "f"))
    assert book.view().entries[0].response_changes == 0
    assert list(tmp_path.glob("probes.json.corrupt-*"))
