"""The real exporter process over real HTTP: the demo fleet, reloads, --once and secrets."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from exporter.sources.registry import SOURCE_TYPES
from tests.support.fakeserver import FakeServer, Reply, fixture, fixture_reply, json_reply
from tests.support.metrics import Parsed, empty_by_design, samples, types, value
from tests.support.processes import Exporter, StartExporter, run_cli, tool
from tests.support.wait import wait_for

CONTRACT = [
    "llm_exporter_build_info", "llm_source_info", "llm_source_up", "llm_source_last_success_timestamp_seconds",
    "llm_source_poll_duration_seconds", "llm_source_requests", "llm_source_request_failures",
    "llm_source_polls_skipped", "llm_provider_info", "llm_provider_health", "llm_provider_active",
    "llm_provider_response_time_seconds", "llm_provider_capability", "llm_account_balance",
    "llm_account_credit_limit", "llm_spend_usd", "llm_model_info", "llm_model_price_usd_per_token",
    "llm_model_context_length_tokens", "llm_model_free", "llm_model_capability", "llm_models", "llm_models_free",
    "llm_status_page_indicator", "llm_status_component", "llm_account_balance_breakdown", "llm_account_available",
    "llm_ollama_model_loaded", "llm_ollama_model_vram_bytes", "llm_proxy_up", "llm_proxy_accounts",
    "llm_proxy_account_rate_limited", "llm_proxy_account_token_expiry_timestamp_seconds",
    "llm_proxy_account_requests", "llm_proxy_requests", "llm_proxy_tokens", "llm_proxy_cost_usd",
    "llm_proxy_success_ratio", "llm_proxy_response_time_seconds",
    "gatewayz_providers_total", "gatewayz_providers_active", "gatewayz_providers_inactive",
    "gatewayz_providers_healthy", "gatewayz_providers_degraded", "gatewayz_providers_down",
    "gatewayz_providers_unknown", "gatewayz_provider_response_time_ms", "gatewayz_provider_supports_streaming",
    "gatewayz_provider_supports_function_calling", "gatewayz_provider_supports_vision",
    "gatewayz_provider_supports_image_generation", "gatewayz_provider_is_active",
    "gatewayz_provider_health_status", "gatewayz_provider_last_health_check_timestamp_seconds",
    "gatewayz_provider_metrics_last_update", "gatewayz_provider_scrape_errors",
    # catalog intelligence
    "llm_catalog_changes", "llm_catalog_free_changes", "llm_model_first_seen_timestamp_seconds",
    "llm_cheapest_model_info", "llm_cheapest_price_usd_per_token", "llm_cheapest_model_changes",
    "llm_ollama_model_cloud",
    # usage, cost, budgets and recommendations
    "llm_vendor_usage_tokens", "llm_usage_requests", "llm_usage_failures", "llm_usage_tokens", "llm_usage_cost_usd",
    "llm_usage_duration_seconds", "llm_usage_invalid_lines", "llm_usage_unpriced_events",
    "llm_usage_last_event_timestamp_seconds", "llm_exporter_series_folded", "llm_fleet_model_info",
    "llm_fleet_model_score", "llm_fleet_role_assignment", "llm_budget_limit_usd", "llm_budget_spent_usd",
    "llm_budget_forecast_usd", "llm_recommendation_savings_usd_per_month",
]


def promtool_problems(text: str) -> list[str]:
    result = subprocess.run([tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True)
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def test_demo_serves_every_family_within_20s(exporter_process: StartExporter) -> None:
    proc: Exporter = exporter_process("--demo")
    started = time.monotonic()
    proc.wait_ready(timeout=20)

    def missing(parsed: Parsed) -> list[str]:
        return [name for name in CONTRACT if not parsed.get(name) and name not in empty_by_design(time.time())]

    def every_family() -> Parsed | None:
        parsed = samples(proc.get("/metrics").text)
        return None if missing(parsed) else parsed

    def why() -> str:
        sources = {s["name"]: (s["up"], s["last_error"]) for s in proc.get("/api/summary").json()["sources"]}
        return f"missing {missing(samples(proc.get('/metrics').text))}\nsources: {sources}\nlog:\n{proc.log()[-4000:]}"

    # Ready means the first round is over, not that every poll of it succeeded: on a busy
    # machine a demo source may time out once. The promise is every family within 20 s.
    parsed = wait_for(every_family, max(0.0, 20 - (time.monotonic() - started)), "every family of the demo",
                      every=0.5, detail=why)
    text = proc.get("/metrics").text
    assert value(parsed, "llm_source_up", source="gatewayz") == 1
    # every source up, but Moonshot, which the demo takes down for its first 2.5 minutes (and
    # Mistral, failing two polls in three from 10 s, if this machine is slow): demo/outages.py
    down = {lab["source"] for lab, v in parsed["llm_source_up"] if v != 1}
    assert "moonshot" in down and down <= {"moonshot", "mistral"}, down
    assert {lab["source_type"] for lab, _ in parsed["llm_source_info"]} == set(SOURCE_TYPES)
    assert value(parsed, "llm_account_credit_limit", source="openrouter", currency="USD") == 100
    assert 0 < value(parsed, "llm_account_balance", source="openrouter", currency="USD") <= 75
    # the state sets hold exactly one 1 per provider
    providers = {(lab["source"], lab["provider"]) for lab, _ in parsed["llm_provider_info"]}
    # GatewayZ reports seven; each of the 13 direct-vendor sources is one (not ccflare or status
    # pages), but Moonshot, down from the demo's start, has reported none yet
    assert len(providers) == 7 + 12
    for source, provider in providers:
        states = [v for lab, v in parsed["llm_provider_health"]
                  if (lab["source"], lab["provider"]) == (source, provider)]
        assert sorted(states) == [0, 0, 0, 1], (source, provider)
    # promtool's linter only objects to the documented exceptions (docs/metrics.md): the
    # gatewayz_* compatibility names, the probe histograms whose names the issues fixed, and
    # OpenRouter's own percentiles as gauges with a quantile label
    problems = promtool_problems(text)
    assert problems and all(line.startswith("gatewayz_") for line in problems if not line.startswith("llm_")), problems
    ours = {line for line in problems if not line.startswith("gatewayz_")}
    quantiles = {f'llm_upstream_endpoint_{name} non-summary metrics should not have "quantile" label'
                 for name in ("latency_seconds", "throughput_tokens_per_second")}
    histograms = {f"llm_probe_{name}_seconds_histogram metric name should not include type 'histogram'"
                  for name in ("duration", "ttft")}
    # the histograms appear with the first successful probe, which may still be on its way
    assert quantiles <= ours <= quantiles | histograms, ours
    summary = proc.get("/api/summary").json()
    assert len(summary["cheapest_paid_models"]) == 10
    assert "deepseek/deepseek-r1:free" in [m["model"] for m in summary["free_models"]]


def test_once_prints_recorded_gatewayz_values(fake: FakeServer, tmp_path: Path) -> None:
    fake.routes["/providers"] = fixture_reply("gatewayz__providers.json")
    fake.routes["/providers/stats"] = fixture_reply("gatewayz__providers_stats.json")
    config = tmp_path / "c.yaml"
    config.write_text(f"sources:\n  - {{name: gatewayz, type: gatewayz, url: '{fake.url}', api_key: abcd-1234}}\n")
    result = run_cli("--once", "--config.file", str(config))
    assert result.returncode == 0, result.stderr
    p = samples(result.stdout)
    g = {"source": "gatewayz"}
    expected = {"total": 5, "active": 4, "inactive": 1, "healthy": 3, "degraded": 1, "down": 1, "unknown": 0}
    for key, number in expected.items():
        assert value(p, f"gatewayz_providers_{key}", **g) == number, key
    assert value(p, "gatewayz_provider_response_time_ms", provider="openai", **g) == 245
    assert [lab["provider"] for lab, _ in p["gatewayz_provider_response_time_ms"]] == ["openai"]
    assert value(p, "gatewayz_provider_supports_streaming", provider="openai", **g) == 1
    assert value(p, "gatewayz_provider_supports_vision", provider="mistral", **g) == 0
    assert value(p, "gatewayz_provider_supports_image_generation", provider="openai", **g) == 0
    assert value(p, "gatewayz_provider_is_active", provider="mistral", **g) == 0
    assert value(p, "gatewayz_provider_health_status", provider="openai", **g) == 1
    assert value(p, "gatewayz_provider_health_status", provider="mistral", **g) == 3
    assert value(p, "gatewayz_provider_scrape_errors", **g) == 0
    assert value(p, "gatewayz_provider_last_health_check_timestamp_seconds", provider="openai", **g) == 1765915800
    assert value(p, "gatewayz_provider_metrics_last_update", **g) == pytest.approx(time.time(), abs=60)
    assert value(p, "llm_provider_response_time_seconds", provider="openai", **g) == pytest.approx(0.245)
    assert value(p, "llm_provider_health", provider="mistral", state="down", **g) == 1


def test_once_reports_failures_in_metrics_not_exit_status(fake: FakeServer, tmp_path: Path) -> None:
    fake.routes["/providers"] = json_reply({}, status=401)
    config = tmp_path / "c.yaml"
    config.write_text(f"sources:\n  - {{name: gw, type: gatewayz, url: '{fake.url}', api_key: abcd-1234}}\n")
    result = run_cli("--once", "--config.file", str(config))
    assert result.returncode == 0
    p = samples(result.stdout)
    assert value(p, "llm_source_up", source="gw") == 0
    assert value(p, "llm_source_request_failures", source="gw", endpoint="providers", reason="auth") == 1
    assert value(p, "gatewayz_provider_scrape_errors", source="gw") == 1
    assert "gatewayz_providers_total" not in p or not p["gatewayz_providers_total"]


def test_no_key_appears_anywhere(fake: FakeServer, tmp_path: Path, exporter_process: StartExporter) -> None:
    key = "leakcheck-" + secrets.token_hex(16)
    fake.routes["/gw/providers"] = fixture_reply("gatewayz__providers.json")
    # A vendor that echoes the key in an error, and a status page that redirects to a
    # URL carrying the key in its query before answering HTML.
    fake.routes["/gw/providers/stats"] = json_reply({"error": f"bad key {key}"}, status=500)
    fake.routes["/or/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/or/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/or/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    fake.routes["/sp/api/v2/summary.json"] = Reply(status=302, body=b"",
                                                   headers={"Location": f"/login?api_key={key}"})
    fake.routes["/login"] = Reply(body=f"<html>{key}</html>".encode(), headers={"Content-Type": "text/html"})
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    config = tmp_path / "c.yaml"
    config.write_text(
        "poll_interval: 2s\ntimeout: 1s\nsources:\n"
        f"  - {{name: gw, type: gatewayz, url: '{fake.url}/gw', api_key: '${{LLMFX_LEAK_KEY}}'}}\n"
        f"  - {{name: or, type: openrouter, url: '{fake.url}/or', api_key_file: '{key_file}'}}\n"
        f"  - {{name: sp, type: statuspage, url: '{fake.url}/sp'}}\n"
    )
    proc: Exporter = exporter_process("--config.file", str(config), "--log.level", "debug",
                                      env={"LLMFX_LEAK_KEY": key})
    proc.wait_ready()
    time.sleep(2.5)  # let a second round of polls and retries log too
    bodies = {path: proc.get(path).text for path in ("/metrics", "/api/summary", "/", "/api/models?limit=1000",
                                                     "/api/route?class=chat", "/api/changes", "/api/usage",
                                                     "/api/recommendations", "/api/compare?models=x")}
    log = proc.log()
    assert fake.requests_to("/gw/providers")[0].headers["Authorization"] == f"Bearer {key}"
    # the schedule polled again after the first round (poll_interval: 2s)
    assert len(fake.requests_to("/or/models")) >= 2
    for where, text in [*bodies.items(), ("log", log)]:
        assert key not in text, where
    assert "GET http://127.0.0.1" in log  # debug logging really happened
    assert "sp" in bodies["/api/summary"] and "invalid_response" in bodies["/api/summary"]


def test_sighup_reloads_and_keeps_running_config_on_error(fake: FakeServer, tmp_path: Path,
                                                          exporter_process: StartExporter) -> None:
    for name in ("a", "b"):
        fake.routes[f"/{name}/api/v2/summary.json"] = fixture_reply("statuspage__summary.json")
    config = tmp_path / "c.yaml"
    one = f"sources:\n  - {{name: a, type: statuspage, url: '{fake.url}/a'}}\n"
    config.write_text(one)
    proc: Exporter = exporter_process("--config.file", str(config), "--log.format", "json")
    proc.wait_ready()
    config.write_text(one + f"  - {{name: b, type: statuspage, url: '{fake.url}/b'}}\n")
    proc.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: 'llm_source_up{source="b"} 1.0' in proc.get("/metrics").text, 10, "the added source",
             every=0.1, detail=proc.log)
    config.write_text("sources: [{name: a, type: statuspage, interval: 5x}]\n")
    proc.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed" in proc.log(), 10, "the refused reload", every=0.1, detail=proc.log)
    assert proc.proc.poll() is None
    failed = [doc for doc in map(json.loads, proc.log().splitlines()) if "reload failed" in doc["msg"]]
    assert len(failed) == 1 and failed[0]["level"] == "error", failed
    assert 'sources[0].interval: "5x" is not a duration' in failed[0]["msg"]
    text = proc.get("/metrics").text
    assert 'llm_source_up{source="a"} 1.0' in text and 'llm_source_up{source="b"} 1.0' in text


def test_a_sighup_storm_neither_deadlocks_nor_ignores_sigterm(fake: FakeServer, tmp_path: Path,
                                                              exporter_process: StartExporter) -> None:
    """Pairs of SIGHUPs 5 ms apart while a 3,000-model catalog is being reloaded, and a reload
    into a config nested 5,000 levels deep: the exporter keeps serving, keeps its config, and
    still stops on SIGTERM."""
    models = [{"id": f"m{i}", "in": "1", "out": "2"} for i in range(3000)]
    fake.routes["/big/models"] = json_reply({"data": models})
    config = tmp_path / "c.yaml"

    def text(interval: int) -> str:
        return (f"sources:\n  - {{name: big, type: http, interval: {interval}s, models: {{url: '{fake.url}/big/models',"
                " items: data, id: id, input_price: in, output_price: out}}\n")

    config.write_text(text(30))
    proc: Exporter = exporter_process("--config.file", str(config))
    proc.wait_ready()
    for i in range(10):
        config.write_text(text(31 + i))  # a changed source: re-polled and re-ranked on reload
        proc.proc.send_signal(signal.SIGHUP)
        time.sleep(0.005)
        proc.proc.send_signal(signal.SIGHUP)
        time.sleep(0.05)
    config.write_text("sources: " + "[" * 5000 + "]" * 5000 + "\n")
    proc.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "nested more than 64 levels deep" in proc.log(), 15, "the refused nested config", every=0.1,
             detail=lambda: proc.log()[-3000:])
    assert proc.proc.poll() is None
    assert proc.get("/readyz").status_code == 200
    assert 'llm_models{provider="big",source="big"} 3000.0' in proc.get("/metrics").text
    assert 'llm_source_poll_interval_seconds{source="big"} 40.0' in proc.get("/metrics").text
    started = time.monotonic()
    proc.proc.send_signal(signal.SIGTERM)
    assert proc.proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 5
    assert "Traceback" not in proc.log()


def test_sigterm_stops_cleanly(exporter_process: StartExporter) -> None:
    proc: Exporter = exporter_process("--demo")
    proc.wait_ready()
    proc.proc.send_signal(signal.SIGTERM)
    assert proc.proc.wait(timeout=10) == 0


def test_real_prometheus_scrapes_the_exporter(exporter_process: StartExporter, tmp_path: Path) -> None:
    import requests

    from tests.support.processes import free_port

    proc: Exporter = exporter_process("--demo")
    proc.wait_ready()
    port = free_port()
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: llm-fleet-exporter\n    static_configs: [{{targets: ['127.0.0.1:{proc.port}']}}]\n"
    )
    prom = subprocess.Popen(
        [tool("prometheus"), f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )
    try:
        api = f"http://127.0.0.1:{port}/api/v1/query"
        def every_source() -> list[dict[str, Any]] | None:
            body = requests.get(api, params={"query": "sum by (source) (llm_source_up)"}, timeout=2).json()
            found: list[dict[str, Any]] = body.get("data", {}).get("result", [])
            return found if len(found) == 21 else None

        result = wait_for(every_source, 30, "Prometheus to have every demo source", every=0.5)
        # every one up but the two the demo takes down from the start (demo/outages.py)
        assert {r["value"][1] for r in result if r["metric"]["source"] not in ("mistral", "moonshot")} == {"1"}
        cheapest = requests.get(api, params={
            "query": 'bottomk(1, llm_model_price_usd_per_token{token_type="input"} > 0)'}, timeout=5).json()
        assert cheapest["data"]["result"][0]["metric"]["model"] == "acme-small"
        chat = requests.get(api, params={"query": 'llm_cheapest_model_info{class="chat"}'}, timeout=5).json()
        assert [r["metric"]["model"] for r in chat["data"]["result"]] == ["acme-small"]
        up = requests.get(api, params={"query": 'up{job="llm-fleet-exporter"}'}, timeout=5).json()
        assert up["data"]["result"][0]["value"][1] == "1"
    finally:
        prom.terminate()
        prom.wait(timeout=20)


def test_gatewayz_names_and_types_match_the_original_exporter(fake: FakeServer, tmp_path: Path) -> None:
    """Dashboards written for GatewayZ's own exporter must keep working: every family it
    emitted that the contract keeps has the same name and type here."""
    original = types(fixture("gatewayz__provider_metrics_exporter.prom").decode())
    # gatewayz_provider_info (labels built from free text) is not part of the contract.
    original.pop("gatewayz_provider_info")
    fake.routes["/providers"] = fixture_reply("gatewayz__providers.json")
    fake.routes["/providers/stats"] = fixture_reply("gatewayz__providers_stats.json")
    config = tmp_path / "c.yaml"
    config.write_text(f"sources:\n  - {{name: gatewayz, type: gatewayz, url: '{fake.url}', api_key: abcd-1234}}\n")
    result = run_cli("--once", "--config.file", str(config))
    ours = types(result.stdout)
    assert {name: ours.get(name) for name in original} == original
    p = samples(result.stdout)
    assert value(p, "gatewayz_provider_response_time_ms", provider="openai") == 245.0
    assert value(p, "gatewayz_provider_health_status", provider="openai") == 1.0


@pytest.mark.parametrize("fmt", ["json", "logfmt"])
def test_log_lines_parse_in_both_formats(exporter_process: StartExporter, fmt: str) -> None:
    """Every line of a demo run, a reload included: one JSON object, or logfmt with time=,
    level= and msg=; the demo's torn ledger lines are one warning with their count."""
    proc: Exporter = exporter_process("--demo", "--log.format", fmt, "--log.level", "debug")
    proc.wait_ready(30)
    proc.get("/metrics")
    proc.proc.send_signal(signal.SIGTERM)
    proc.proc.wait(timeout=10)
    lines = [line for line in proc.log().splitlines() if line.strip()]
    assert len(lines) > 20
    for line in lines:
        if fmt == "json":
            doc = json.loads(line)
            assert {"time", "level", "msg", "logger"} <= set(doc), line
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["time"]), line
            assert doc["level"] in ("debug", "info", "warn", "error"), line
        else:
            assert re.match(r'time=\S+Z level=(debug|info|warn|error) logger=\S+ msg=', line), line
    torn = [line for line in lines if "malformed line" in line and ("level=warn" in line or '"level": "warn"' in line)]
    assert len(torn) == 1, torn  # once per file per read, with the count
    assert "lines=" in torn[0] or '"lines":' in torn[0]


def test_exporter_metrics_and_the_flag_that_drops_them(exporter_process: StartExporter) -> None:
    """process_* and python_* through prometheus_client's collectors; node_exporter's flag
    leaves them out and every llm_ family in."""
    full: Exporter = exporter_process("--demo")
    bare: Exporter = exporter_process("--demo", "--web.disable-exporter-metrics")
    full.wait_ready(30)
    bare.wait_ready(30)
    with_self = samples(full.get("/metrics").text)
    pid_fds = len(os.listdir(f"/proc/{full.proc.pid}/fd"))
    assert 0 < value(with_self, "process_open_fds") <= pid_fds + 20
    assert value(with_self, "process_resident_memory_bytes") > 10e6
    assert value(with_self, "process_cpu_seconds") > 0
    assert value(with_self, "process_max_fds") >= 1024
    assert abs(value(with_self, "process_start_time_seconds") - time.time()) < 120
    info = value(with_self, "python_info", major="3")
    assert info == 1
    assert {lab["generation"] for lab, _ in with_self["python_gc_collections"]} == {"0", "1", "2"}
    llm = {name for name in with_self if name.startswith(("llm_", "gatewayz_"))}
    # the two demos run on their own clocks: wait for the same families
    without = wait_for(lambda: (lambda p: p if llm <= set(p) else None)(samples(bare.get("/metrics").text)), 20,
                       "the bare exporter's families", every=0.5)
    assert not [name for name in without if name.startswith(("process_", "python_"))]
    assert len(llm) > 60 and sorted(llm - set(without)) == []
