"""Every config default, written once: as the `default` keywords of schema.json. The code reads
them here, editors that know JSON Schema show them, and the configuration reference is
generated from the same schema, so the three cannot disagree."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA: dict[str, Any] = json.loads(resources.files("exporter").joinpath("schema.json").read_text())


Node = dict[str, Any]


def _resolve(node: Node) -> Node:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        node = {**SCHEMA["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _child(node: Node, key: str) -> Node:
    node = _resolve(node)
    found: Node | None = None
    if key == "[]":
        found = node["items"]
    elif key == "*":  # any name, as a capability class's
        found = node["additionalProperties"]
    elif key in node.get("properties", {}):
        found = node["properties"][key]
    else:
        for rule in node.get("allOf", ()):  # a type-specific key of a source
            found = found or rule.get("then", {}).get("properties", {}).get(key)
    if found is None:
        raise KeyError(key)
    return found


@cache
def default(path: str) -> Any:
    """The default of a config key by its path: "poll_interval", "limits.max_models",
    "probes.interval", "sources[].stats_window_days", "catalog.classes.*.min_context".
    KeyError if the schema has none."""
    node: Node = SCHEMA
    for key in path.replace("[]", ".[]").split("."):
        node = _child(node, key)
    if "default" in node:
        return node["default"]
    resolved = _resolve(node)
    if "default" in resolved:
        return resolved["default"]
    raise KeyError(f"{path} has no default in schema.json")
