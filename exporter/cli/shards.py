"""Sharding: several exporters split one fleet, each with the same config file, the way
kube-state-metrics splits a cluster. A source belongs to exactly one shard:

    int.from_bytes(sha256(name as UTF-8)[:8], "big") % count

and only that shard polls it, probes its models, watches its upstreams and reads its activity,
keys and spend logs, and evaluates the budgets on what its vendor reports. What is fleet-wide
(the usage ledger, the budgets on it, recommendations, the fleet file) runs on one shard:
index 0, unless --shard.fleet-index names another. The index comes from --shard.index, or from
the host name's trailing ordinal (--shard.from-hostname, as a StatefulSet's pod `exporter-2` is
shard 2)."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import re
import socket
from dataclasses import dataclass

from exporter.config import Config
from exporter.spend.fleetfile import FleetFile
from exporter.views import Shard


class ShardError(ValueError):
    """A bad combination of shard flags: one line, and exit status 2."""


def owner(name: str, count: int) -> int:
    """The shard that owns the source called `name` among `count`."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % count


@dataclass(frozen=True, slots=True)
class Sharding:
    index: int = 0
    count: int = 1
    fleet_index: int = 0

    @property
    def fleet_wide(self) -> bool:
        return self.index == self.fleet_index


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shard.index", dest="shard_index", type=int, metavar="N",
                   help="this exporter's shard, from 0 (with --shard.count)")
    p.add_argument("--shard.count", dest="shard_count", type=int, metavar="M", default=None,
                   help="how many exporters split the config's sources (default 1: no sharding)")
    p.add_argument("--shard.from-hostname", dest="shard_from_hostname", action="store_true",
                   help="take the shard's index from the host name's trailing number (a StatefulSet's exporter-2)")
    p.add_argument("--shard.fleet-index", dest="shard_fleet_index", type=int, metavar="N", default=0,
                   help="the shard that runs the fleet-wide work: the usage ledger, budgets, recommendations "
                        "(default 0)")


def from_args(args: argparse.Namespace, hostname: str | None = None) -> Sharding:
    """The shard flags, checked; ShardError says what is wrong in one line."""
    count = args.shard_count if args.shard_count is not None else 1
    if count < 1:
        raise ShardError(f"--shard.count must be at least 1, got {count}")
    if args.shard_from_hostname and args.shard_index is not None:
        raise ShardError("--shard.from-hostname and --shard.index both say which shard this is: give one")
    if args.shard_from_hostname:
        if args.shard_count is None:
            raise ShardError("--shard.from-hostname needs --shard.count")
        host = hostname if hostname is not None else socket.gethostname()
        found = re.search(r"(\d+)$", host)
        if found is None:
            raise ShardError(f"--shard.from-hostname: the host name {host!r} does not end in a shard number")
        index = int(found.group(1))
    else:
        index = args.shard_index if args.shard_index is not None else 0
    if not 0 <= index < count:
        raise ShardError(f"--shard.index must be from 0 to {count - 1} (--shard.count {count}), got {index}")
    if not 0 <= args.shard_fleet_index < count:
        raise ShardError(f"--shard.fleet-index must be from 0 to {count - 1}, got {args.shard_fleet_index}")
    return Sharding(index, count, args.shard_fleet_index)


def select(config: Config, sharding: Sharding) -> tuple[Config, Shard]:
    """The part of `config` this shard runs, and what it is in the fleet. One shard: all of it."""
    owned = tuple(sc for sc in config.sources if owner(sc.name, sharding.count) == sharding.index)
    names = {sc.name for sc in owned}
    spend = config.spend
    # A budget on what a vendor reports (`source:`) goes with its source; the others count the
    # ledger, so they go with it.
    budgets = tuple(b for b in spend.budgets if (b.source in names if b.source else sharding.fleet_wide))
    spend = dataclasses.replace(spend, feeds=tuple(f for f in spend.feeds if f in names),
                                keys=tuple(k for k in spend.keys if k in names), budgets=budgets)
    if not sharding.fleet_wide:
        spend = dataclasses.replace(spend, ledger=(), fleet=FleetFile())
    # The probes' daily budget is the fleet's: each shard spends its share, so the shards together
    # never spend more than one exporter would.
    probes = dataclasses.replace(config.probes, targets=tuple(t for t in config.probes.targets if t.source in names),
                                 daily_budget_usd=config.probes.daily_budget_usd / sharding.count)
    liveness = dataclasses.replace(config.liveness, models=tuple(m for m in config.liveness.models if m[0] in names))
    shard = Shard(index=sharding.index, count=sharding.count, fleet_wide=sharding.fleet_wide,
                  configured=len(config.sources), owned=tuple(sc.name for sc in owned))
    return dataclasses.replace(config, sources=owned, spend=spend, probes=probes, liveness=liveness), shard


def ownership(config: Config, count: int) -> list[str]:
    """What --check-config --shard.count M prints: the shard of each source, in config order."""
    return [f"{sc.name}: shard {owner(sc.name, count)} of {count}" for sc in config.sources]
