"""Sharding: each source on exactly one shard by the documented hash, the fleet-wide work on
one, flags that cannot be meant exiting 2 with one line, and --check-config saying who owns what."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import pytest

from exporter.cli.shards import ShardError, Sharding, add_flags, from_args, owner, select
from exporter.config import load_text
from tests.support.cli import main

SOURCES = [f"vendor-{i:02d}" for i in range(12)]
CONFIG = "sources:\n" + "".join(f"  - {{name: {n}, type: openai, api_key: k-{n}}}\n" for n in SOURCES) + """
usage: {ledger: ['/nonexistent/usage.jsonl']}
budgets: [{name: all, period: month, limit_usd: 10}, {name: reported, period: day, limit_usd: 5, source: vendor-05}]
probes:
  targets: [{source: vendor-00, models: [m]}, {source: vendor-01, models: [m]}, {source: vendor-02, models: [m]}]
  daily_budget_usd: 3
liveness:
  models: [{source: vendor-03, models: [m]}]
"""


def args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_flags(p)
    return p.parse_args(list(argv))


def test_the_owner_is_the_documented_hash() -> None:
    for name in ("openai", "vendor-07", "ünïcode"):
        digest = hashlib.sha256(name.encode("utf-8")).digest()
        assert owner(name, 5) == int.from_bytes(digest[:8], "big") % 5
    assert owner("anything", 1) == 0


def test_every_source_and_its_work_is_on_exactly_one_shard() -> None:
    config = load_text(CONFIG, env={})
    parts = [select(config, Sharding(i, 3)) for i in range(3)]
    owned = [name for part, _ in parts for name in (sc.name for sc in part.sources)]
    assert sorted(owned) == sorted(SOURCES) and len(set(owned)) == 12
    targets = [t.source for part, _ in parts for t in part.probes.targets]
    assert sorted(targets) == ["vendor-00", "vendor-01", "vendor-02"]
    assert [m for part, _ in parts for m in part.liveness.models] == [("vendor-03", "m")]
    assert sum(part.probes.daily_budget_usd for part, _ in parts) == 3  # the fleet's budget, shared
    for part, shard in parts:
        assert all(t.source in shard.owned for t in part.probes.targets)
        assert shard.configured == 12 and shard.count == 3
    # the ledger and the budgets on it run on shard 0 only; a budget on what a vendor reports
    # runs where its source is polled
    assert [bool(part.spend.ledger) for part, _ in parts] == [True, False, False]
    budgets = [[b.name for b in part.spend.budgets] for part, _ in parts]
    assert budgets[0][0] == "all" and [name for names in budgets for name in names].count("reported") == 1
    assert "reported" in budgets[owner("vendor-05", 3)]
    one, shard = select(config, Sharding())
    assert one == config and shard.owned == tuple(SOURCES)  # one shard: all of it, unchanged


def test_the_fleet_index_moves_the_fleet_wide_work() -> None:
    parts = [select(load_text(CONFIG, env={}), Sharding(i, 3, fleet_index=2)) for i in range(3)]
    assert [bool(part.spend.ledger) for part, _ in parts] == [False, False, True]


def test_the_index_from_the_host_name() -> None:
    assert from_args(args("--shard.from-hostname", "--shard.count", "3"), hostname="exporter-2").index == 2
    assert from_args(args()).count == 1


@pytest.mark.parametrize(("flags", "hostname", "message"), [
    (("--shard.index", "3", "--shard.count", "3"), None, "--shard.index must be from 0 to 2 (--shard.count 3), got 3"),
    (("--shard.from-hostname", "--shard.count", "3"), "exporter", "does not end in a shard number"),
    (("--shard.from-hostname", "--shard.index", "1", "--shard.count", "3"), "exporter-1", "give one"),
    (("--shard.from-hostname",), "exporter-1", "--shard.from-hostname needs --shard.count"),
    (("--shard.count", "0"), None, "--shard.count must be at least 1"),
    (("--shard.count", "2", "--shard.fleet-index", "2"), None, "--shard.fleet-index must be from 0 to 1"),
])
def test_flags_that_cannot_be_meant(flags: tuple[str, ...], hostname: str | None, message: str) -> None:
    with pytest.raises(ShardError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_args(args(*flags), hostname=hostname)


def test_a_bad_flag_exits_2_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    result = main("--config.file", str(config), "--shard.index", "5", "--shard.count", "3")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "llm-fleet-exporter: --shard.index must be from 0 to 2 (--shard.count 3), got 5"]


def test_check_config_says_which_shard_owns_each_source(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    result = main("--check-config", "--config.file", str(config), "--shard.count", "3")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "OK: 12 sources"
    assert lines[1:] == [f"{name}: shard {owner(name, 3)} of 3" for name in SOURCES]
