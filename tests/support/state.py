"""What the exporter saved, read as it reads it back: a state file's base with its journal's
changes on top (exporter/statefile.py's Journal)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def usage_state(state_dir: Path) -> dict[str, Any]:
    """usage.json with its journal applied: the ledger positions and feed cursors as of the
    last save (the book's totals are read from /metrics, not from here)."""
    doc: dict[str, Any] = json.loads((state_dir / "usage.json").read_text())
    journal = state_dir / "usage.json.journal"
    lines = journal.read_text().splitlines() if journal.exists() else []
    for line in lines:
        change = json.loads(line)
        if change.get("journal") != doc.get("journal"):
            continue
        doc["positions"] = change["positions"]
        doc.setdefault("feeds", {}).update(change["feeds"])
    return doc
