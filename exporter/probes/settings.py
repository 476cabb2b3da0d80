"""The `probes:` block of the config: which models are probed, through which source, how
often, with what timeout and threshold, and under what daily budget."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from exporter.defaults import default
from exporter.sources.registry import SOURCE_TYPES
from exporter.units import parse_duration


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    source: str
    model: str
    interval: float
    timeout: float
    slow_first_token: float  # LLMProbeSlowFirstToken's threshold, exported as a gauge

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.model)


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    daily_budget_usd: Decimal = Decimal(str(default("probes.daily_budget_usd")))
    prompt: str = default("probes.prompt")
    max_tokens: int = default("probes.max_tokens")
    targets: tuple[ProbeTarget, ...] = ()


def probeable(path: str, name: str, sources: Mapping[str, Any], problems: list[str]) -> bool:
    """Whether `name` is a configured source of a type with a chat API to call; a problem if not."""
    kind = sources.get(name)
    if kind is None:
        problems.append(f"{path}.source: {json.dumps(name)} is not a configured source")
        return False
    if kind.probe_api is None:
        types = ", ".join(sorted(t for t, k in SOURCE_TYPES.items() if k.probe_api is not None))
        problems.append(f"{path}.source: {json.dumps(name)} is a {kind.type_name} source, which has no "
                        f"streaming chat API to probe (types that do: {types})")
        return False
    return True


def settings_from(doc: Mapping[str, Any] | None, sources: Mapping[str, Any], problems: list[str]) -> ProbeSettings:
    """The `probes` block. `sources` maps each configured source name to its type's class;
    a target on an unknown source, or on a type without a streaming chat API, is a problem."""
    doc = doc or {}

    def duration(raw: Mapping[str, Any], key: str, fallback: float) -> float:
        """A target's duration, else the block's; the schema has checked both parse."""
        return parse_duration(raw.get(key, fallback)) or fallback

    interval = duration(doc, "interval", parse_duration(default("probes.interval")) or 0.0)
    timeout = duration(doc, "timeout", parse_duration(default("probes.timeout")) or 0.0)
    slow = duration(doc, "slow_first_token", parse_duration(default("probes.slow_first_token")) or 0.0)
    targets: list[ProbeTarget] = []
    seen: dict[tuple[str, str], str] = {}
    for i, raw in enumerate(doc.get("targets", ())):
        path = f"probes.targets[{i}]"
        name = raw["source"]
        if not probeable(path, name, sources, problems):
            continue
        for j, model in enumerate(raw["models"]):
            where = f"{path}.models[{j}]"
            if (name, model) in seen:
                problems.append(f"{where}: {name}/{model} is probed twice (also {seen[(name, model)]})")
                continue
            seen[(name, model)] = where
            targets.append(ProbeTarget(
                source=name, model=model, interval=duration(raw, "interval", interval),
                timeout=duration(raw, "timeout", timeout), slow_first_token=duration(raw, "slow_first_token", slow)))
    return ProbeSettings(
        daily_budget_usd=Decimal(str(doc.get("daily_budget_usd", default("probes.daily_budget_usd")))),
        prompt=doc.get("prompt", default("probes.prompt")),
        max_tokens=doc.get("max_tokens", default("probes.max_tokens")),
        targets=tuple(targets),
    )
