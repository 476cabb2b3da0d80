"""Configuration: load YAML, expand ${VAR}, validate against schema.json, report readably.

Every problem is collected and reported as one line that names its path
(`sources[2].interval: "5x" is not a duration`), so a user fixes a file in one pass.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from exporter import redact
from exporter.catalog.capabilities import CatalogSettings, settings_from
from exporter.defaults import SCHEMA, default
from exporter.probes.liveness import LivenessSettings, liveness_from
from exporter.probes.settings import ProbeSettings
from exporter.probes.settings import settings_from as probe_settings_from
from exporter.sources.base import SourceConfig
from exporter.sources.registry import SOURCE_TYPES
from exporter.spend.budgets import budgets_from
from exporter.spend.fleetfile import fleet_file_from
from exporter.spend.job import SpendSettings
from exporter.units import parse_duration

_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


# A config is a few hundred values, nested a few levels. Far past that is a mistake or an
# attack: YAML aliases can make a 420-byte file stand for billions of values ("billion
# laughs"), and deep nesting exhausts the parser's recursion.
MAX_DEPTH = 64
MAX_VALUES = 100_000


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads `1e-6` as a string (its floats need a dot); users write it as a number,
    as YAML 1.2 does, so exponent floats resolve to floats here. Nesting deeper than
    MAX_DEPTH stops the composer before Python's recursion limit does."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.get_mark()
                raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class ConfigError(Exception):
    """One or more problems with a config; each is a line fit to print as is."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class Config:
    listen_address: str
    poll_interval: float
    timeout: float
    stale_after: int
    sources: tuple[SourceConfig, ...]
    path: str = "<config>"
    state_dir: str = default("state_dir")
    catalog: CatalogSettings = field(default_factory=lambda: settings_from(None))
    spend: SpendSettings = field(default_factory=SpendSettings)
    probes: ProbeSettings = field(default_factory=ProbeSettings)
    liveness: LivenessSettings = field(default_factory=LivenessSettings)
    # Valid settings that will not do what their user likely wants, each a line naming its path.
    warnings: tuple[str, ...] = ()


def format_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("duration")(lambda value: parse_duration(value) is not None)
    return checker


def expand_env(node: Any, env: Mapping[str, str], path: list[Any], problems: list[str]) -> Any:
    """Expands ${VAR} and ${VAR:-default} in every string; `$${` writes a literal `${`."""
    if isinstance(node, dict):
        return {k: expand_env(v, env, [*path, k], problems) for k, v in node.items()}
    if isinstance(node, list):
        return [expand_env(v, env, [*path, i], problems) for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value:
            return value
        if default is not None:
            return default
        if value is None:
            problems.append(f"{format_path(path)}: environment variable {name} is not set")
        return ""

    return _VAR.sub(substitute, node)


def _describe_error(err: jsonschema.ValidationError) -> list[str]:
    path = format_path(err.absolute_path)
    value = err.instance
    kind = err.validator
    rule: Any = err.validator_value  # the schema's own value for the keyword that failed
    if kind in ("additionalProperties", "unevaluatedProperties"):
        keys = re.findall(r"'([^']*)'", err.message.split("(", 1)[-1])
        prefix = "" if path == "(top level)" else path + "."
        return [f"{prefix}{key}: unknown key" for key in keys] or [f"{path}: {err.message}"]
    if kind == "required":
        missing = re.findall(r"'([^']*)'", err.message)[:1]
        prefix = "" if path == "(top level)" else path + "."
        return [f"{prefix}{missing[0] if missing else '?'}: is required"]
    if kind == "format" and rule == "duration":
        return [f"{path}: {json.dumps(value)} is not a duration (use 30s, 5m, 1h or seconds)"]
    if kind == "type":
        expected = rule if isinstance(rule, str) else " or ".join(rule)
        return [f"{path}: expected {expected}, got {_json_type(value)} {json.dumps(value, default=str)}"]
    if kind == "enum":
        allowed = ", ".join(map(str, rule))
        what = "source type" if path.endswith(".type") else "value"
        return [f"{path}: {json.dumps(value, default=str)} is not a known {what} (one of: {allowed})"]
    if kind == "anyOf" and path.startswith("sources["):
        keys = [next(iter(option.get("required", ["?"]))) for option in rule]
        return [f"{path}: needs at least one of {', '.join(keys)}"]
    if kind == "pattern":
        return [f"{path}: {json.dumps(value)} does not match {rule}"]
    if kind in ("maxProperties", "minProperties") and path.endswith(".scope"):
        return [f"{path}: set exactly one of provider, model, task"]
    if kind == "minItems":
        return [f"{path}: needs at least {rule} entr{'y' if rule == 1 else 'ies'}"]
    if kind in ("minimum", "maximum", "minLength"):
        return [f"{path}: {json.dumps(value, default=str)} is out of range ({kind} {rule})"]
    return [f"{path}: {err.message}"]


def _type_keys(schema: dict[str, Any], source_type: Any) -> set[str]:
    for rule in schema["$defs"]["source"].get("allOf", []):
        if rule["if"]["properties"]["type"].get("const") == source_type:
            return set(rule["then"].get("properties", {}))
    return set()


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _listen_ok(value: str) -> bool:
    host, sep, port = value.rpartition(":")
    return bool(sep) and port.isdigit() and 0 < int(port) < 65536 and " " not in host


def read_yaml(text: str, origin: str) -> Any:
    """A YAML document, safely: no tags beyond plain data, no nesting past MAX_DEPTH, and no
    alias expansion past MAX_VALUES values. Every problem is a ConfigError of one line."""
    try:
        document = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        raise ConfigError([f"{where}: {exc.problem or exc.context or 'invalid YAML'}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{origin}: invalid YAML: {str(exc).splitlines()[0]}"]) from None
    except RecursionError:
        raise ConfigError([f"{origin}: nested too deeply to read"]) from None
    _count_values(document, origin)
    return document


def _count_values(document: Any, origin: str) -> None:
    """Walks the document as the code will (an alias counts each time it is used), stopping
    as soon as it is too big, so a bomb costs at most MAX_VALUES steps."""
    seen = 0
    stack = [document]
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ConfigError([f"{origin}: expands to more than {MAX_VALUES:,} values; YAML aliases (*name) are "
                               "limited to what a config needs"])
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def load_text(text: str, *, origin: str = "<config>", env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    document = read_yaml(text, origin)
    if document is None:
        raise ConfigError([f"{origin}: the file is empty; it needs at least a `sources:` list"])
    if not isinstance(document, dict):
        raise ConfigError([f"{origin}: expected a mapping at the top level, got {_json_type(document)}"])

    problems: list[str] = []
    document = expand_env(document, env, [], problems)

    schema = SCHEMA
    validator = jsonschema.Draft202012Validator(schema, format_checker=_format_checker())
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        lines = _describe_error(err)
        if err.validator == "unevaluatedProperties" and isinstance(err.instance, dict):
            # When one type-specific key is invalid, JSON Schema counts all of that type's keys
            # as unevaluated; they are not unknown, so only the real problem is reported.
            own = _type_keys(schema, err.instance.get("type"))
            lines = [line for line in lines if line.split(":")[0].rsplit(".", 1)[-1] not in own]
        for line in lines:
            if line not in problems:
                problems.append(line)
    if problems:
        raise ConfigError(problems)
    return _build(document, origin)


def setting(doc: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of the (validated) document, else the schema's default."""
    node: Any = doc
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return default(path)
        node = node[key]
    return node


def _duration(doc: Mapping[str, Any], path: str) -> float:
    seconds = parse_duration(setting(doc, path))
    assert seconds is not None, path  # the schema's format check has passed
    return seconds


def _build(doc: dict[str, Any], origin: str) -> Config:
    problems: list[str] = []
    listen = setting(doc, "listen_address")
    if not _listen_ok(listen):
        problems.append(f"listen_address: {json.dumps(listen)} is not host:port")
    interval = _duration(doc, "poll_interval")
    timeout = _duration(doc, "timeout")
    # Read before the sources: a source may watch the fleet's models (openrouter's endpoints).
    fleet = fleet_file_from(doc.get("fleet"), problems)
    inherited = SourceConfig(name="", type="", url="", interval=interval, timeout=timeout,
                             stale_after=setting(doc, "stale_after"), fleet_models=tuple(m.model for m in fleet.models),
                             **{key: setting(doc, f"limits.{key}") for key in SOURCE_LIMITS})
    sources: list[SourceConfig] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(doc["sources"]):
        path = f"sources[{index}]"
        name = raw["name"]
        if name in seen:
            problems.append(f"{path}.name: duplicate source name {json.dumps(name)} (also sources[{seen[name]}])")
        seen.setdefault(name, index)
        sources.append(_source(path, raw, inherited, problems))
        warnings.extend(SOURCE_TYPES[raw["type"]].warnings(path, sources[-1]))
    types = {sc.name: sc.type for sc in sources}
    for index, sc in enumerate(sources):
        SOURCE_TYPES[sc.type].check_references(f"sources[{index}]", sc, types, problems)
    spend = SpendSettings(
        ledger=tuple(doc.get("usage", {}).get("ledger", ())),
        feeds=tuple(sc.name for sc in sources if SOURCE_TYPES[sc.type].feeds_usage(sc)),
        keys=tuple(sc.name for sc in sources if SOURCE_TYPES[sc.type].lists_keys(sc)),
        interval=_duration(doc, "usage.interval"),
        max_tasks=setting(doc, "limits.max_tasks"),
        max_usage_models=setting(doc, "limits.max_usage_models"),
        max_usage_series=setting(doc, "limits.max_usage_series"),
        fleet=fleet,
        budgets=budgets_from(doc.get("budgets"), set(seen), problems),
        min_savings_usd=Decimal(str(setting(doc, "recommendations.min_savings_usd"))),
    )
    kinds = {sc.name: SOURCE_TYPES[sc.type] for sc in sources}
    probes = probe_settings_from(doc.get("probes"), kinds, problems)
    liveness = liveness_from(doc.get("liveness"), kinds, problems)
    if problems:
        raise ConfigError(problems)
    return Config(
        listen_address=listen,
        poll_interval=interval,
        timeout=timeout,
        stale_after=setting(doc, "stale_after"),
        sources=tuple(sources),
        path=origin,
        state_dir=setting(doc, "state_dir"),
        catalog=settings_from(doc.get("catalog")),
        spend=spend,
        probes=probes,
        liveness=liveness,
        warnings=tuple(warnings),
    )


# Limits a source may set for itself; it inherits the global ones, which default to the schema's.
SOURCE_LIMITS = ("max_pages", "max_response_bytes", "max_models", "max_providers", "max_keys")


def _source(path: str, raw: dict[str, Any], inherited: SourceConfig, problems: list[str]) -> SourceConfig:
    """One `sources:` entry over what it inherits (intervals, limits, the fleet's models)."""
    kind = SOURCE_TYPES[raw["type"]]
    key = _api_key(path, raw, problems)
    if key is None and raw.get("api_key_file") is None and kind.needs_key:
        problems.append(f"{path}: type {raw['type']} needs api_key or api_key_file")
    redact.register(key)
    common = set(SCHEMA["$defs"]["source"]["properties"])
    limits = raw.get("limits", {})
    threshold = raw.get("balance_alert_threshold")
    return replace(
        inherited,
        name=raw["name"],
        type=raw["type"],
        url=(raw.get("url") or kind.default_url or "").rstrip("/"),
        interval=parse_duration(raw.get("interval", inherited.interval)) or inherited.interval,
        timeout=parse_duration(raw.get("timeout", inherited.timeout)) or inherited.timeout,
        **{name: limits.get(name, getattr(inherited, name)) for name in SOURCE_LIMITS},
        api_key=key,
        options=kind.parse_options(path, {k: v for k, v in raw.items() if k not in common}, problems),
        balance_alert_threshold=None if threshold is None else Decimal(str(threshold)),
        display_name=raw.get("display_name"),
    )


def _api_key(path: str, raw: dict[str, Any], problems: list[str]) -> str | None:
    """The key, from api_key or the file api_key_file names (never both)."""
    key: str | None = raw.get("api_key")
    key_file = raw.get("api_key_file")
    if key is not None and key_file is not None:
        problems.append(f"{path}: set api_key or api_key_file, not both")
        return key
    if key_file is None:
        return key
    try:
        text = Path(key_file).read_text(encoding="utf-8").rstrip()
    except OSError as exc:
        problems.append(f"{path}.api_key_file: cannot read {json.dumps(key_file)}: {exc.strerror}")
        return None
    except UnicodeDecodeError:
        problems.append(f"{path}.api_key_file: {json.dumps(key_file)} is not UTF-8 text")
        return None
    if not text:
        problems.append(f"{path}.api_key_file: {json.dumps(key_file)} is empty")
    return text or None


def load_file(path: str, *, env: Mapping[str, str] | None = None) -> Config:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read config: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: the config is not UTF-8 text"]) from None
    return load_text(text, origin=path, env=env)
