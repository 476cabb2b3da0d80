"""What real calls felt, over real HTTP from a fake LiteLLM shaped as 1.110 answers, and from
ledger lines: histogram counts and sums equal to the rows', outcomes, cache hits, and
substitutions per (requested, served) pair, an alias never one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from exporter.probes.book import DURATION_BUCKETS as PROBE_BUCKETS
from exporter.snapshot import Event
from exporter.spend.live import DURATION_BUCKETS, TTFT_BUCKETS, LiveBook
from tests.support.clock import NOW, Clock
from tests.support.engines import engine, metrics
from tests.support.fakeserver import FakeServer
from tests.support.litellm import MASTER_KEY, Call, FakeLiteLLM
from tests.support.metrics import samples, value


def histogram(parsed: dict[str, list[tuple[dict[str, str], float]]], family: str, **labels: str) -> dict[str, float]:
    """le -> cumulative count, plus _sum and _count, of one histogram series."""
    out = {}
    for lab, v in parsed[family]:
        if all(lab.get(k) == w for k, w in labels.items()):
            out[lab.get("le", "")] = v
    return out


def test_the_buckets_are_the_probes_where_they_overlap() -> None:
    assert TTFT_BUCKETS[1:] == PROBE_BUCKETS and DURATION_BUCKETS[: len(TTFT_BUCKETS)] == TTFT_BUCKETS
    assert TTFT_BUCKETS[0] == 0.05 and TTFT_BUCKETS[-1] == 60 and DURATION_BUCKETS[-1] == 600


def test_spend_log_rows_make_exact_histograms_outcomes_cache_hits_and_substitutions(fake: FakeServer) -> None:
    proxy = FakeLiteLLM(fake)
    calls = [Call(f"s{i}", NOW - 3000 + i, ttft=0.2 + i / 100, duration=1.0 + i / 10) for i in range(10)]  # streamed
    calls += [Call(f"n{i}", NOW - 2000 + i, duration=0.7) for i in range(4)]  # not streamed: no first token
    calls += [Call("cached", NOW - 1500, ttft=0.03, duration=0.04, cache_hit=True),
              Call("failed", NOW - 1400, status="failure", duration=30.0, completion_tokens=0),
              # the alias at work: gpt-4's deployment answered, under its own name
              Call("alias", NOW - 1300, model="gpt-4-prod", ttft=0.5, duration=2.0),
              # a fallback: claude answered a call for gpt-4
              Call("swap1", NOW - 1200, model="claude-sonnet-4-5", ttft=0.6, duration=2.0),
              Call("swap2", NOW - 1100, model="claude-sonnet-4-5", ttft=0.7, duration=2.0)]
    proxy.calls = calls
    e = engine(proxy.config(key=MASTER_KEY), Clock(NOW))
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    where = {"source": "proxy", "provider": "azure", "model": "gpt-4"}
    streamed = [c for c in calls if c.ttft is not None]
    ttft = histogram(p, "llm_live_ttft_seconds", **where)
    assert ttft["+Inf"] == len(streamed) == 14
    assert ttft["0.05"] == 1 and ttft["0.25"] == 1 + 6  # 0.03; then 0.20 .. 0.25
    total = sum(v for lab, v in p["llm_live_ttft_seconds"] if lab == where and "le" not in lab)
    assert total == pytest.approx(sum(c.ttft or 0 for c in streamed) + len(streamed), abs=1e-6)  # _sum + _count
    duration = histogram(p, "llm_live_duration_seconds", **where)
    assert duration["+Inf"] == len(calls) and duration["30"] == len(calls) and duration["20"] == len(calls) - 1
    assert value(p, "llm_live_requests", status="success", **where) == len(calls) - 1
    assert value(p, "llm_live_requests", status="failure", **where) == 1
    assert value(p, "llm_live_cache_hits", **where) == 1
    assert p["llm_live_substitutions"] == [({"source": "proxy", "requested": "gpt-4", "served": "claude-sonnet-4-5"},
                                            2.0)]


def test_ledger_lines_carry_the_same_measures(tmp_path: Path) -> None:
    ledger = tmp_path / "app.jsonl"
    lines = [{"ts": NOW - 60, "provider": "openai", "model": "gpt-4o", "input_tokens": 10, "ttft_ms": 420,
              "duration_ms": 1800, "cache_hit": False, "status": "success"},
             {"ts": NOW - 50, "provider": "openai", "model": "gpt-4o-mini", "requested_model": "gpt-4o",
              "duration_ms": 900, "cache_hit": True, "success": True, "status": "failure"},  # status wins
             {"ts": NOW - 40, "provider": "openai", "model": "gpt-4o", "requested_model": "gpt-4o"}]
    ledger.write_text("".join(json.dumps(line) + "\n" for line in lines))
    e = engine("  - {name: page, type: statuspage, url: 'http://127.0.0.1:9'}\n", Clock(NOW),
               head=f"usage: {{ledger: ['{ledger}']}}\n")
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    gpt4o = {"source": "ledger", "provider": "openai", "model": "gpt-4o"}
    assert histogram(p, "llm_live_ttft_seconds", **gpt4o)["0.5"] == 1
    assert value(p, "llm_live_requests", status="success", **gpt4o) == 2
    mini = {"source": "ledger", "provider": "openai", "model": "gpt-4o-mini"}
    assert value(p, "llm_live_requests", status="failure", **mini) == 1
    assert value(p, "llm_live_cache_hits", **mini) == 1
    # asked for gpt-4o, answered by gpt-4o-mini; asking for the model that answered is no substitution
    assert p["llm_live_substitutions"] == [({"source": "ledger", "requested": "gpt-4o", "served": "gpt-4o-mini"},
                                            1.0)]


def test_past_max_models_live_series_fold_and_the_book_survives_a_save() -> None:
    book = LiveBook(max_models=2)
    for i in range(4):
        book.add("ledger", Event(NOW, "p", f"m{i}", "t", requested_model=f"r{i}", served_model=f"s{i}",
                                 ttft_seconds=0.1, duration_seconds=1.0, cache_hit=True))
    assert {k[2] for k in book.cache_hits} == {"m0", "m1", "other"}
    assert book.folded == 3  # m2 and m3 folded, and the substitution of the second (r1/s1 are past 2 names)
    again = LiveBook.from_json(json.loads(json.dumps(book.to_json())), 2)
    assert again.to_json() == book.to_json()
    restored = LiveBook(max_models=2)
    restored.apply(json.loads(json.dumps(book.take_changes())))
    assert sorted_doc(restored.to_json()) == sorted_doc(book.to_json()) and book.take_changes() is None


def sorted_doc(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if isinstance(v, list) else v for k, v in doc.items()}


def test_the_live_families_keep_to_their_series_budget() -> None:
    """A hostile ledger of 100 providers x 500 models cannot grow the live families past
    limits.max_usage_series: past it a new combination folds its model, then its provider."""
    book = LiveBook(max_models=500, max_series=1_000)
    for p in range(100):
        for m in range(50):
            book.add("ledger", Event(NOW, f"p{p}", f"m{m}", "t", duration_seconds=1.0, ttft_seconds=0.2,
                                     requested_model=f"m{m}", served_model=f"m{m + 1}"))
    assert book.series <= 1_000 + 3 + 17 + 20 + 1  # the one catch-all per source may pass it
    assert book.series == (3 * len(book.cache_hits) + 17 * len(book.ttft) + 20 * len(book.durations)
                           + len(book.substitutions))
    assert ("ledger", "other", "other") in book.cache_hits and book.folded > 4_000
    assert sum(book.requests.values()) == 5_000  # folded, never lost


def test_a_save_writes_what_changed_and_a_restart_puts_it_back() -> None:
    book, restored = LiveBook(), LiveBook()
    for m in range(20):
        book.add("litellm", Event(NOW, "openai", f"m{m}", "t", duration_seconds=1.0))
    restored.apply(json.loads(json.dumps(book.take_changes())))
    book.add("litellm", Event(NOW, "openai", "m3", "t", duration_seconds=2.0, cache_hit=True))
    changes = book.take_changes()
    assert changes is not None and [row[:3] for row in changes["cache_hits"]] == [["litellm", "openai", "m3"]]
    restored.apply(json.loads(json.dumps(changes)))
    restored.apply(json.loads(json.dumps(changes)))  # applying a change twice is harmless
    assert sorted_doc(restored.to_json()) == sorted_doc(book.to_json())
