"""The demo as a user runs it: --demo --once shows upstreams, rate limits, retirements and the models that answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# The families the provider-truth work added: `--demo --once` shows every one.
PROVIDER_TRUTH = [
    "llm_upstream_endpoint_info", "llm_upstream_endpoint_up", "llm_upstream_endpoint_status_code",
    "llm_upstream_endpoint_uptime_ratio", "llm_upstream_endpoint_latency_seconds",
    "llm_upstream_endpoint_throughput_tokens_per_second", "llm_upstream_endpoint_price_usd_per_token",
    "llm_upstream_endpoints", "llm_upstream_endpoints_up", "llm_upstream_models_skipped",
    "llm_model_retirement_timestamp_seconds", "llm_model_replacement_info", "llm_probe_ttft_seconds_histogram",
    "llm_probe_response_model_info", "llm_probe_response_changes", "llm_ratelimit_limit", "llm_ratelimit_remaining",
    "llm_ratelimit_reset_timestamp_seconds",
]


def test_demo_once_shows_upstreams_rate_limits_retirements_and_answering_models() -> None:
    from tests.support.metrics import samples, value
    from tests.support.processes import run_cli

    result = run_cli("--demo", "--once", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    parsed = samples(result.stdout)
    assert [name for name in PROVIDER_TRUTH if not parsed.get(name)] == []
    # what the demo vendors said, through the real parsers: percent -> ratio, ms -> s, dates
    sonnet = {"source": "openrouter", "model": "anthropic/claude-sonnet-4"}
    assert value(parsed, "llm_upstream_endpoints", **sonnet) == 3
    assert value(parsed, "llm_upstream_endpoint_uptime_ratio", upstream="amazon-bedrock", window="1d", **sonnet) == 1
    # 1,450 ms with the demo's jitter of 0.8 to 1.3
    assert 1.16 <= value(parsed, "llm_upstream_endpoint_latency_seconds", upstream="anthropic", quantile="0.5",
                         **sonnet) <= 1.885
    assert value(parsed, "llm_model_replacement_info", model="codestral-2405", replacement="codestral-latest") == 1
    retires = value(parsed, "llm_model_retirement_timestamp_seconds", **sonnet)
    assert retires % 86400 == 0  # OpenRouter's expiration_date is a date: 00:00 UTC
    assert value(parsed, "llm_ratelimit_limit", source="anthropic", kind="input_tokens") == 320000
    assert value(parsed, "llm_ratelimit_limit", source="openai", kind="tokens") == 2_000_000
    assert value(parsed, "llm_probe_response_model_info", source="anthropic",
                 response_model="claude-haiku-4-5-20251001") == 1
    assert {v for _, v in parsed["llm_probe_response_changes"]} == {0.0}  # the first probe is no change


# What vendors do not admit (status-page coverage, liveness, credit): `--demo --once` shows every one.
UNADMITTED = [
    "llm_status_page_covers_info", "llm_status_incident_info", "llm_status_incident_detection_lead_seconds",
    "llm_model_servable", "llm_model_unservable_reason_info", "llm_liveness_checks", "llm_liveness_checks_skipped",
]


def test_demo_once_shows_incidents_their_lead_and_models_that_no_longer_serve() -> None:
    from tests.support.metrics import samples, value
    from tests.support.processes import run_cli

    result = run_cli("--demo", "--once", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    parsed = samples(result.stdout)
    assert [name for name in UNADMITTED if not parsed.get(name)] == []
    assert value(parsed, "llm_status_page_covers_info", source="status-mistral", covered_source="mistral") == 1
    # Moonshot's page declared its incident two minutes before the demo began, and Moonshot's
    # first poll failed: the vendor told first, by about two minutes
    (lead,) = parsed["llm_status_incident_detection_lead_seconds"]
    assert lead[0]["source"] == "status-moonshot" and -130 < lead[1] < -119
    # NIM's retired model: listed, refused with 410 and the end-of-life instant in its text
    dead = {"source": "nim", "model": "deepseek-ai/deepseek-v4-pro"}
    assert value(parsed, "llm_model_servable", **dead) == 0
    assert value(parsed, "llm_model_unservable_reason_info", reason="end_of_life", **dead) == 1
    retired = value(parsed, "llm_model_retirement_timestamp_seconds", **dead)
    assert retired % 86400 == 9 * 3600  # 09:00 UTC, the instant the refusal names
    assert value(parsed, "llm_model_servable", source="nim", model="meta/llama-3.3-70b-instruct") == 1
    assert value(parsed, "llm_source_up", source="deepseek") == 1


# Real traffic and every key: `--demo --once` shows each one but the two exhaustion dates,
# which need an hour of the exporter's own readings.
LIVE_AND_KEYS = [
    "llm_live_ttft_seconds", "llm_live_duration_seconds", "llm_live_requests", "llm_live_cache_hits",
    "llm_live_substitutions", "llm_key_limit_usd", "llm_key_usage_usd", "llm_key_limit_remaining_usd",
    "llm_key_disabled", "llm_key_expiry_timestamp_seconds", "llm_key_limit_reset_info",
    "llm_key_budget_reset_timestamp_seconds",
]


def test_demo_once_shows_real_traffic_and_every_key() -> None:
    from tests.support.metrics import samples, value
    from tests.support.processes import run_cli

    result = run_cli("--demo", "--once", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    parsed = samples(result.stdout)
    assert [name for name in LIVE_AND_KEYS if not parsed.get(name)] == []
    assert not parsed.get("llm_key_exhaustion_timestamp_seconds")  # an hour of readings first
    # the coding app's fallbacks, from its ledger whatever the date; the proxy's fallback from
    # claude-sonnet to gpt-4o (ten minutes of every hour) once the month has an hour of spend
    # logs to read (tests/unit/demo/test_reports.py holds it at a fixed time)
    assert value(parsed, "llm_live_substitutions", source="ledger", requested="anthropic/claude-sonnet-4",
                 served="openai/gpt-4o-mini") > 0
    month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if datetime.now(UTC) - month > timedelta(hours=1):
        assert value(parsed, "llm_live_substitutions", source="litellm", requested="claude-sonnet",
                     served="gpt-4o") > 0
    batch = {"source": "openrouter", "kind": "key", "key": "batch-jobs"}
    used = 1 - value(parsed, "llm_key_limit_remaining_usd", **batch) / value(parsed, "llm_key_limit_usd", **batch)
    assert 0.8 < used < 0.95
    # LiteLLM's int64-max budget is no budget; its hashes never appear
    assert not [lab for lab, _ in parsed["llm_key_limit_usd"] if lab["key"] == "research"]
    assert "1" * 64 not in result.stdout
