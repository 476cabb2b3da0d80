from __future__ import annotations

from pathlib import Path

import pytest

from exporter.config import ConfigError, load_file, load_text
from exporter.units import parse_duration
from tests.support.cli import main
from tests.support.present import present

CONFIGS = Path(__file__).parent.parent / "configs"
INVALID = sorted((CONFIGS / "invalid").glob("*.yaml"))


def expected(path: Path) -> list[str]:
    """The `# expect: <message>` lines the file starts with: each must be said."""
    lines = [line.removeprefix("# expect: ") for line in path.read_text().splitlines() if line.startswith("# expect: ")]
    assert path.read_text().startswith("# expect: "), f"{path.name} must start with '# expect: <message>'"
    return lines


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_check_config_rejects_invalid_case(path: Path) -> None:
    result = main("--check-config", "--config.file", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    for message in expected(path):
        assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_every_problem_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(
        "poll_interval: soon\nsources:\n"
        "  - {name: a, type: nope}\n"
        "  - {name: a, type: statuspage, url: 'https://x.example.com', extra: 1}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_file(str(path))
    assert err.value.problems == [
        'poll_interval: "soon" is not a duration (use 30s, 5m, 1h or seconds)',
        'sources[0].type: "nope" is not a known source type (one of: gatewayz, openrouter, statuspage, openai, '
        'anthropic, gemini, ollama, deepseek, moonshot, siliconflow, ccflare, litellm, http, openai_costs, '
        'anthropic_costs)',
        "sources[1].extra: unknown key",
    ]


def test_valid_config_with_env_expansion_and_defaults(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("file-held-token-0001\n\n")
    env = {"LLMFX_TEST_KEY": "env-held-token-0002", "LLMFX_KEY_FILE": str(key_file), "LLMFX_GATEWAY_URL": ""}
    config = load_file(str(CONFIGS / "valid" / "full.yaml"), env=env)
    gw, orr, status = config.sources
    assert config.listen_address == "127.0.0.1:9999"
    assert (config.poll_interval, config.timeout, config.stale_after) == (90.0, 2.5, 5)
    # ${VAR:-default} uses the default when VAR is empty
    assert gw.url == "https://api.gatewayz.ai"
    assert (gw.api_key, gw.interval, gw.timeout, gw.max_pages) == ("env-held-token-0002", 30.0, 0.25, 7)
    # api_key_file loses its trailing newline; openrouter gets its documented default url
    assert (orr.api_key, orr.url, orr.interval, orr.max_pages) == (
        "file-held-token-0001", "https://openrouter.ai/api/v1", 90.0, 3)
    assert (status.url, status.interval, status.api_key) == ("https://status.openai.com", 120.0, None)
    assert "held-token" not in repr(config)


def test_literal_dollar_brace_and_defaults() -> None:
    config = load_text(
        "sources:\n  - {name: s, type: statuspage, url: 'https://x.example.com/$${NOT_EXPANDED}${LLMFX_P:-/p}'}\n",
        env={},
    )
    assert config.sources[0].url == "https://x.example.com/${NOT_EXPANDED}/p"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("5m", 300.0), ("1h", 3600.0), ("1m30s", 90.0), ("250ms", 0.25), ("45", 45.0), (12, 12.0)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5x", "", "-1", "0", "m5", "1 h", True, None, "1h5"])
def test_bad_durations(text: object) -> None:
    assert parse_duration(text) is None


def test_check_config_ok() -> None:
    result = main("--check-config", "--config.file", str(CONFIGS / "valid" / "full.yaml"),
                     env={"LLMFX_TEST_KEY": "x" * 8, "LLMFX_KEY_FILE": "/etc/hostname"})
    assert (result.returncode, result.stdout) == (0, "OK: 3 sources\n"), result.stderr


def test_no_config_and_no_demo_says_how_to_start() -> None:
    result = main()
    assert result.returncode == 2
    assert "--config.file" in result.stderr and "--demo" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_alone() -> None:
    result = main("--demo", "--config.file", str(CONFIGS / "valid" / "full.yaml"))
    assert result.returncode == 2
    assert "--demo runs alone" in result.stderr


def test_missing_config_file() -> None:
    result = main("--check-config", "--config.file", "/nonexistent/config.yaml")
    assert result.returncode == 2
    assert result.stderr.strip() == "/nonexistent/config.yaml: cannot read config: No such file or directory"


def test_catalog_classes_merge_over_the_defaults() -> None:
    config = load_text(
        "state_dir: /var/lib/llm-fleet\n"
        "catalog:\n"
        "  input_output_ratio: 4\n"
        "  classes:\n"
        "    tools: {capabilities: [tools, structured_output], include_free: true}\n"
        "    coding: {capabilities: [tools], min_context: 64000, min_quality: 70}\n"
        "sources: [{name: a, type: statuspage, url: 'https://status.a.example.com'}]\n", env={})
    catalog = config.catalog
    assert config.state_dir == "/var/lib/llm-fleet"
    assert catalog.input_output_ratio == 4
    assert catalog.class_names() == ["chat", "tools", "vision", "long_context", "reasoning", "coding"]
    tools = present(catalog.named("tools"))
    # a class with a default's name replaces that default whole
    assert (tools.capabilities, tools.min_context, tools.include_free) == (("tools", "structured_output"), 0, True)
    coding = present(catalog.named("coding"))
    assert (coding.capabilities, coding.min_context, coding.include_free, coding.min_quality) == (
        ("tools",), 64000, False, 70)
    assert present(catalog.named("long_context")).min_context == 128_000


def test_catalog_defaults() -> None:
    config = load_text("sources: [{name: a, type: statuspage, url: 'https://status.a.example.com'}]\n", env={})
    assert config.state_dir == "./state"
    assert config.catalog.input_output_ratio == 3
    assert [(c.name, c.capabilities, c.min_context, c.include_free) for c in config.catalog.classes] == [
        ("chat", (), 0, False), ("tools", ("tools",), 0, False), ("vision", ("vision",), 0, False),
        ("long_context", (), 128_000, False), ("reasoning", ("reasoning",), 0, False)]
