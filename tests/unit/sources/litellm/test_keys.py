"""LiteLLM's keys and teams over real HTTP, as 1.110 lists them to an admin: every page of
/key/list with full rows, /team/list, the current budget period's spend, budgets that are no
budget (null, int64 max), and never a key's hash in any output."""

from __future__ import annotations

import json
from typing import Any

from exporter.collector import Exposition
from tests.support.clock import NOW, Clock, utc
from tests.support.engines import engine
from tests.support.fakeserver import FakeServer, fixture
from tests.support.litellm import MASTER_KEY, FakeLiteLLM
from tests.support.metrics import samples, value

INT64_MAX = 2**63 - 1


def proxy(fake: FakeServer, extra_keys: int = 0) -> FakeLiteLLM:
    p = FakeLiteLLM(fake)
    p.keys = json.loads(fixture("litellm__key_list.json"))["keys"]
    p.keys += [{**p.keys[1], "token": f"{i:064x}", "key_alias": f"batch-{i:03d}", "key_name": "sk-...X",
                "spend": 1.5, "max_budget": INT64_MAX} for i in range(extra_keys)]
    p.teams = json.loads(fixture("litellm__team_list.json"))
    return p


def scrape(fake: FakeServer, p: FakeLiteLLM, head: str = "") -> str:
    e = engine(f"  - {{name: proxy, type: litellm, url: '{p.url}', api_key: {MASTER_KEY}, keys: true}}\n",
               Clock(NOW), head=head)
    try:
        e.run_once()
        return Exposition(e.view).render().decode()
    finally:
        e.stop()


def test_keys_and_teams_as_the_fake_lists_them(fake: FakeServer) -> None:
    p = proxy(fake, extra_keys=150)  # two pages of 100
    text = scrape(fake, p)
    parsed = samples(text)
    prod = {"source": "proxy", "kind": "key", "key": "prod-backend"}
    assert value(parsed, "llm_key_limit_usd", **prod) == 100
    assert value(parsed, "llm_key_usage_usd", window="budget_period", **prod) == 12.3456
    assert value(parsed, "llm_key_limit_remaining_usd", **prod) == 100 - 12.3456
    assert value(parsed, "llm_key_expiry_timestamp_seconds", **prod) == utc(2027, 1, 1)
    assert value(parsed, "llm_key_budget_reset_timestamp_seconds", **prod) == utc(2026, 10, 1)
    assert value(parsed, "llm_key_disabled", **prod) == 0
    team = {"source": "proxy", "kind": "team", "key": "data-science"}
    assert value(parsed, "llm_key_limit_usd", **team) == 500
    assert value(parsed, "llm_key_limit_remaining_usd", **team) == 500 - 40.2
    names = {lab["key"] for lab, _ in parsed["llm_key_disabled"] if lab["kind"] == "key"}
    assert len(names) == 152 and "batch-149" in names  # both pages, in full
    assert [q["size"] for q in map(lambda s: s.query, fake.requests_to("/proxy/key/list"))] == [["100"], ["100"]]
    assert all(q["return_full_object"] == ["true"] for q in (s.query for s in fake.requests_to("/proxy/key/list")))


def test_a_budget_that_is_no_budget_gives_no_sample(fake: FakeServer) -> None:
    p = proxy(fake, extra_keys=1)  # max_budget int64 max
    parsed = samples(scrape(fake, p))
    for key in ("ci-unlimited", "batch-000"):  # null, and LiteLLM's int64 max
        labels = {"source": "proxy", "kind": "key", "key": key}
        assert not [lab for lab, _ in parsed["llm_key_limit_usd"] if lab == labels]
        assert not [lab for lab, _ in parsed["llm_key_limit_remaining_usd"] if lab == labels]
        assert value(parsed, "llm_key_usage_usd", window="budget_period", **labels) in (0.74, 1.5)


def test_no_key_nor_hash_in_any_output(fake: FakeServer) -> None:
    p = proxy(fake, extra_keys=3)
    text = scrape(fake, p)
    hashes: list[Any] = [k["token"] for k in p.keys] + [
        k["token"] for t in p.teams for k in t.get("keys", ())]
    assert not [h for h in hashes if h in text]
    assert MASTER_KEY not in text


def test_past_limits_max_keys_the_rest_are_left_out_and_counted(fake: FakeServer) -> None:
    p = proxy(fake, extra_keys=20)
    parsed = samples(scrape(fake, p, head="limits: {max_keys: 10}\n"))
    assert len(parsed["llm_key_disabled"]) == 10
    assert value(parsed, "llm_exporter_series_folded", family="llm_key") == 22 + 2 - 10
