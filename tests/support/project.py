"""The repository's own files that tests read: the deployment files, the package metadata, the
dashboards."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

from tests.support.processes import ROOT

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
UNIT = ROOT / "deploy" / "systemd" / "llm-fleet-exporter.service"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]
DASHBOARDS = ROOT / "dashboards"
GENERATED = DASHBOARDS / "json"
UIDS = {"fleet": "llm-fleet", "health": "llm-health", "capability": "llm-capability", "cost": "llm-cost",
        "gatewayz-provider-management": "gatewayz-provider-management"}
RUNBOOK_URL = "https://runbooks.example/llm-fleet-exporter#"  # the default rendering's placeholder host


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def boards() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(GENERATED.glob("*.json"))}


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])
