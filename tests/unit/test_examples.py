"""The example configs in config/examples/ pass --check-config, each with the schema modeline
and with every secret from the environment or a file, and together they show the features a
newcomer looks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import cli
from tests.support.processes import ROOT

EXAMPLES = sorted((ROOT / "config" / "examples").glob("*.yml"))


def dummy_env(text: str, tmp_path: Path) -> dict[str, str]:
    """Each ${VAR} the file reads, set to a dummy (a *_FILE variable to a file holding one)."""
    env = {}
    for name in set(re.findall(r"\$\{([A-Z0-9_]+)", text)):
        if name.endswith("_FILE"):
            path = tmp_path / name.lower()
            path.write_text("dummy-key-for-check-config\n")
            env[name] = str(path)
        else:
            env[name] = "dummy-key-for-check-config"
    return env


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_each_example_passes_check_config(path: Path, tmp_path: Path) -> None:
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../exporter/schema.json\n"), path.name
    assert (path.parent / "../../exporter/schema.json").resolve().exists()
    result = cli.main("--config.file", str(path), "--check-config", env=dummy_env(text, tmp_path))
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"OK: \d+ sources\n", result.stdout)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_no_example_holds_a_secret(path: Path) -> None:
    for line in path.read_text().splitlines():
        code = line.split("#", 1)[0]
        if re.search(r"\b(api_key|Authorization|token|password)\b", code):
            assert "${" in code or "_file:" in code, line


def test_together_they_show_the_main_features() -> None:
    assert len(EXAMPLES) >= 4
    texts = {p.name: p.read_text() for p in EXAMPLES}
    assert "minimal.yml" in texts and texts["minimal.yml"].count("type:") == 1
    joined = "\n".join(texts.values())
    for key in ("probes:", "budgets:", "fleet:", "catalog:", "usage:"):
        assert re.search(rf"^{key}", joined, re.M), key
    from exporter.sources.registry import SOURCE_TYPES

    fleet = texts["fleet.yml"]
    assert {t for t in SOURCE_TYPES if f"type: {t}\n" in fleet or f"type: {t} " in fleet} == set(SOURCE_TYPES)
