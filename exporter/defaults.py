"""Every config default, written once: as the `default` keywords of schema.json. The code reads
them here, editors that know JSON Schema show them, and the configuration reference is
generated from the same schema, so the three cannot disagree."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA: dict[str, Any] = json.loads(resources.files("exporter").joinpath("schema.json").read_text())


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        node = {**SCHEMA["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _child(node: dict[str, Any], key: str) -> dict[str, Any]:
    node = _resolve(node)
    if key == "[]":
        return node["items"]
    if key == "*":  # any name, as a capability class's
        return node["additionalProperties"]
    if key in node.get("properties", {}):
        return node["properties"][key]
    for rule in node.get("allOf", ()):  # a type-specific key of a source
        if key in rule.get("then", {}).get("properties", {}):
            return rule["then"]["properties"][key]
    raise KeyError(key)


@cache
def default(path: str) -> Any:
    """The default of a config key by its path: "poll_interval", "limits.max_models",
    "probes.interval", "sources[].stats_window_days", "catalog.classes.*.min_context".
    KeyError if the schema has none."""
    node: dict[str, Any] = SCHEMA
    for key in path.replace("[]", ".[]").split("."):
        node = _child(node, key)
    if "default" in node:
        return node["default"]
    resolved = _resolve(node)
    if "default" in resolved:
        return resolved["default"]
    raise KeyError(f"{path} has no default in schema.json")
