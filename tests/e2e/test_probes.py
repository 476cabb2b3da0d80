"""Probes through the real process: --once includes one round of them, and the config refuses
targets no source can probe."""

from __future__ import annotations

from pathlib import Path

from tests.support.adapters import KEY
from tests.support.fakeserver import FakeServer, StreamReply
from tests.support.probes import catalog, openai_stream, stream_config, timed
from tests.support.processes import run_cli


def test_once_includes_one_round_of_probes(fake: FakeServer, tmp_path: Path) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(usage={
        "prompt_tokens": 12, "completion_tokens": 4})))
    config = tmp_path / "c.yaml"
    config.write_text(stream_config(fake, models="[gpt-4o-mini, gpt-4o]"))
    result = run_cli("--once", "--config.file", str(config))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'llm_probes_total{model="gpt-4o-mini",source="oai"} 1.0' in out
    assert 'llm_probe_success{model="gpt-4o",source="oai"} 1.0' in out
    assert 'llm_probe_duration_seconds_histogram_count{model="gpt-4o",source="oai"} 1.0' in out
    assert 'llm_probe_failures_total{model="gpt-4o",reason="empty_response",source="oai"} 0.0' in out
    assert len(fake.requests_to("/v1/chat/completions")) == 2
    assert KEY not in out and KEY not in result.stderr


def test_config_rejects_targets_that_cannot_be_probed() -> None:
    config = Path(__file__).parent.parent / "configs" / "invalid" / "probes_targets.yaml"
    result = run_cli("--check-config", "--config.file", str(config))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'probes.targets[0].source: "page" is a statuspage source, which has no streaming chat API to probe '
        "(types that do: anthropic, deepseek, gatewayz, gemini, litellm, moonshot, ollama, openai, openrouter, "
        "siliconflow)",
        'probes.targets[1].source: "nowhere" is not a configured source',
        "probes.targets[2].models[1]: oai/m is probed twice (also probes.targets[2].models[0])",
    ]
