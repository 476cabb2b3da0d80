"""The spend runner reads a usage feed within its budget (limits.max_pages, the poll's deadline)
and resumes where it stopped; an unreadable feed leaves its source up, is logged once and loses
nothing."""

from __future__ import annotations

from pathlib import Path

from tests.support.clock import NOW, Clock
from tests.support.engines import engine, rounds
from tests.support.fakeserver import FakeServer, json_reply
from tests.support.litellm import Call, FakeLiteLLM, restart
from tests.support.metrics import requests, value


def test_a_read_bounded_by_max_pages_resumes_where_it_stopped(fake: FakeServer) -> None:
    clock, proxy = Clock(NOW), FakeLiteLLM(fake)
    proxy.calls = [Call(f"r{i}", NOW - 10_000 + i * 10, tags=[f"t{i % 3}"]) for i in range(550)]
    e = engine(proxy.config(), clock, head="limits: {max_pages: 2}\n")
    try:
        p = rounds(e, clock, 1, step=1)
        assert requests(p) == 200
        p = rounds(e, clock, 2, step=1)
    finally:
        e.stop()
    # the second read went on with pages 3 and 4 of the same window, the third with 5 and 6
    assert [q["page"][0] for q in proxy.reads()] == ["1", "2", "3", "4", "5", "6"]
    assert len({q["end_date"][0] for q in proxy.reads()}) == 1
    assert requests(p) == 550
    assert sum(v for lab, v in p["llm_usage_requests"] if lab["task"] == "t0") == 184


def test_unreadable_spend_logs_leave_the_proxy_up_and_lose_nothing(fake: FakeServer, tmp_path: Path) -> None:
    clock, state, proxy = Clock(NOW), tmp_path / "state", FakeLiteLLM(fake)
    proxy.calls = [Call("a", NOW - 60)]
    fake.routes["/proxy/spend/logs/v2"] = json_reply({"detail": "not allowed"}, status=401)
    p, _ = restart(proxy, clock, state)
    assert value(p, "llm_source_up", source="proxy") == 1
    assert value(p, "llm_source_request_failures", source="proxy", endpoint="spend_logs", reason="auth") == 1
    assert not p.get("llm_usage_requests")
    proxy = FakeLiteLLM(fake)  # readable again: still from the month's start
    proxy.calls = [Call("a", NOW - 60)]
    p, _ = restart(proxy, clock, state)
    assert proxy.reads()[-1]["start_date"] == ["2026-11-01 00:00:00"]
    assert value(p, "llm_usage_requests", provider="azure", model="gpt-4", task="untagged") == 1
