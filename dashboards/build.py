"""Generates dashboards/json/<name>.json from every dashboards/<name>.dashboard.py.

    python dashboards/build.py [OUT_DIR]      (what `make dashboards` runs)

The JSON is committed, so Grafana provisioning needs no Python; tests/e2e/test_dashboards.py
regenerates it into a temp directory and fails on any difference.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

from grafanalib._gen import DashboardEncoder

HERE = Path(__file__).resolve().parent
SUFFIX = ".dashboard.py"


def sources() -> list[Path]:
    return sorted(HERE.glob("*" + SUFFIX))


def render(path: Path) -> str:
    """The dashboard a *.dashboard.py defines (as `dashboard`), as Grafana JSON text."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # the dashboard files import house
    board = runpy.run_path(str(path))["dashboard"]
    return json.dumps(board.to_json_data(), cls=DashboardEncoder, sort_keys=True, indent=2) + "\n"


def build(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources():
        target = out_dir / (path.name[: -len(SUFFIX)] + ".json")
        target.write_text(render(path))
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else HERE / "json"
    for path in build(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
