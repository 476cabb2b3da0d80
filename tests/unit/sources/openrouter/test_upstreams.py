"""OpenRouter's upstream endpoints: the families from the recorded answer, asked on their own
interval and under fast polls, stale after failed asks, the watch caps, and what --check-config
warns of."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import pytest

from exporter import units
from exporter.sources.openrouter.upstreams import parse_upstream
from tests.support.adapters import poll
from tests.support.cli import main
from tests.support.clock import NOW, Clock
from tests.support.engines import engine, metrics
from tests.support.fakeserver import FakeServer, fixture, fixture_reply, json_reply
from tests.support.metrics import samples, value
from tests.support.openrouter import R1, openrouter


# -- 1. upstream endpoints ----------------------------------------------------------------------
def test_upstream_families_from_the_recorded_endpoints(fake: FakeServer) -> None:
    clock = Clock(NOW)
    e = engine(openrouter(fake), clock)
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    deepinfra = {"source": "or", "model": R1, "upstream": "deepinfra/fp8"}
    together = {"source": "or", "model": R1, "upstream": "together/fp8"}
    assert value(p, "llm_source_up", source="or") == 1  # the unknown model's 404 does not make it down
    assert value(p, "llm_upstream_endpoint_info", **deepinfra, provider_name="DeepInfra", quantization="fp8") == 1
    assert value(p, "llm_upstream_endpoint_up", **deepinfra) == 1
    assert value(p, "llm_upstream_endpoint_status_code", **deepinfra) == 0
    assert value(p, "llm_upstream_endpoint_up", **together) == 0  # status -2
    assert value(p, "llm_upstream_endpoint_status_code", **together) == -2
    # percent -> ratio; null -> no sample
    assert value(p, "llm_upstream_endpoint_uptime_ratio", **deepinfra, window="5m") == 1.0
    assert value(p, "llm_upstream_endpoint_uptime_ratio", **deepinfra, window="30m") == pytest.approx(0.9962)
    assert value(p, "llm_upstream_endpoint_uptime_ratio", **deepinfra, window="1d") == pytest.approx(0.9941)
    assert value(p, "llm_upstream_endpoint_uptime_ratio", **together, window="1d") == pytest.approx(0.873)
    assert [lab for lab, _ in p["llm_upstream_endpoint_uptime_ratio"]
            if lab["upstream"] == "together/fp8" and lab["window"] != "1d"] == []
    # milliseconds -> seconds
    assert value(p, "llm_upstream_endpoint_latency_seconds", **deepinfra, quantile="0.5") == pytest.approx(0.612)
    assert value(p, "llm_upstream_endpoint_latency_seconds", **deepinfra, quantile="0.99") == pytest.approx(4.0217)
    assert not [lab for lab, _ in p["llm_upstream_endpoint_latency_seconds"] if lab["upstream"] == "together/fp8"]
    assert value(p, "llm_upstream_endpoint_throughput_tokens_per_second", **deepinfra, quantile="0.9") == 22.9
    assert value(p, "llm_upstream_endpoint_price_usd_per_token", **deepinfra, kind="input") == pytest.approx(7e-7)
    assert value(p, "llm_upstream_endpoint_price_usd_per_token", **together, kind="output") == pytest.approx(7e-6)
    assert value(p, "llm_upstream_endpoints", source="or", model=R1) == 2
    assert value(p, "llm_upstream_endpoints_up", source="or", model=R1) == 1
    assert value(p, "llm_upstream_models_skipped", source="or") == 0
    # the 404 is counted under the endpoints endpoint, the model simply has no series
    assert value(p, "llm_source_request_failures", source="or", endpoint="endpoints", reason="http_error") == 1
    assert value(p, "llm_source_requests", source="or", endpoint="endpoints") == 2
    assert "nope/unknown" not in {lab["model"] for lab, _ in p["llm_upstream_endpoints"]}


def test_endpoints_are_asked_on_their_own_interval_and_go_stale(fake: FakeServer,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock(NOW)
    e = engine(openrouter(fake, models=f"[{R1}]", extra=", interval: 5m"), clock, head="stale_after: 2\n")
    def asked() -> int:
        return len(fake.requests_to(f"/or/models/{R1}/endpoints"))

    try:
        e.run_once()
        clock.now += 60
        e.run_once()
        assert asked() == 1  # a minute later the answer is still current
        clock.now += 300
        e.run_once()
        assert asked() == 2
        # the model starts failing: its last good answer stays through 2 intervals, then goes
        fake.routes[f"/or/models/{R1}/endpoints"] = json_reply({"error": "boom"}, status=500)
        with caplog.at_level(logging.WARNING):
            for _ in range(2):
                clock.now += 301
                e.run_once()
                assert value(samples(metrics(e)), "llm_upstream_endpoints", source="or", model=R1) == 2
            clock.now += 301
            e.run_once()
        p = samples(metrics(e))
        assert "llm_upstream_endpoints" not in p or not p["llm_upstream_endpoints"]
        assert value(p, "llm_source_up", source="or") == 1
        warned = [r for r in caplog.records if "endpoints of" in r.getMessage()]
        assert len(warned) == 1  # once per failing streak
    finally:
        e.stop()


def test_fleet_models_are_watched_within_the_cap(fake: FakeServer) -> None:
    fleet = ("fleet:\n  models:\n"
             "    - {id: a, provider: or, model: openai/gpt-4o}\n"
             "    - {id: b, provider: or, model: not/served-here}\n"
             f"    - {{id: c, provider: or, model: {R1}}}\n")
    fake.routes["/or/models/openai/gpt-4o/endpoints"] = json_reply({"data": {"endpoints": []}})
    e = engine(openrouter(fake, models=f"[{R1}]", extra=", max_models: 2"), Clock(NOW), head=fleet)
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    # R1 (listed), then the fleet's models the catalog serves: gpt-4o-mini; not/served-here is not
    # served, and R1 is not counted twice; nothing over the cap of 2
    assert {lab["model"]: v for lab, v in p["llm_upstream_endpoints"]} == {R1: 2, "openai/gpt-4o": 0}
    assert value(p, "llm_upstream_models_skipped", source="or") == 0
    assert not fake.requests_to("/or/models/not/served-here/endpoints")


def test_the_cap_counts_the_models_left_out(fake: FakeServer) -> None:
    e = engine(openrouter(fake, models="[a/one, b/two, c/three]", extra=", max_models: 1"), Clock(NOW))
    fake.routes["/or/models/a/one/endpoints"] = json_reply({"data": {"endpoints": []}})
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert value(p, "llm_upstream_models_skipped", source="or") == 2
    assert {lab["model"] for lab, _ in p["llm_upstream_endpoints"]} == {"a/one"}


def test_upstream_endpoints_are_asked_with_fast_polls(fake: FakeServer) -> None:
    # A poll every 2 s with a 2 s timeout has a budget of 1.6 s: never a whole request's time.
    clock = Clock(NOW)
    e = engine(openrouter(fake, models=f"[{R1}, b/two]"), clock, head="poll_interval: 2s\n")
    fake.routes["/or/models/b/two/endpoints"] = json_reply({"data": {"endpoints": []}})
    try:
        e.run_once()
        asked = [s.path for s in fake.seen if s.path.endswith("/endpoints")]
        assert len(asked) == 1  # one due model per poll at least
        clock.now += 2
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert {s.path for s in fake.seen if s.path.endswith("/endpoints")} == {
        f"/or/models/{R1}/endpoints", "/or/models/b/two/endpoints"}
    assert value(p, "llm_upstream_endpoints", source="or", model=R1) == 2
    assert value(p, "llm_source_request_failures", source="or", endpoint="endpoints", reason="timeout") == 0


def test_check_config_warns_of_watched_models_the_polls_cannot_all_ask(tmp_path: Path) -> None:
    models = ", ".join(f"m/{i}" for i in range(10))
    config = tmp_path / "config.yaml"
    config.write_text(f"sources:\n  - {{name: or, type: openrouter, api_key: k, endpoints: {{models: [{models}], "
                      "interval: 1m, fleet_models: false}}\n")
    out = main("--check-config", "--config.file", str(config))
    assert (out.returncode, out.stdout) == (0, "OK: 1 sources, 1 warning(s)\n")
    assert out.stderr == ("warning: sources[0].endpoints: up to 10 watched models are due every 60s, but a poll every "
                       "60s with a 10s timeout is sure of time for only 1 ask(s): 1 per endpoints.interval; the rest "
                       "are asked less often (raise endpoints.interval or the source's interval, or lower its "
                       "timeout)\n")
    config.write_text(config.read_text().replace("interval: 1m", "interval: 10m"))
    out = main("--check-config", "--config.file", str(config))
    assert (out.returncode, out.stdout, out.stderr) == (0, "OK: 1 sources\n", "")


def test_upstreams_over_the_cap_are_left_out_and_counted(fake: FakeServer) -> None:
    # 50,000 endpoints for one model used to make 800,000 series
    many = {"data": {"endpoints": [{"provider_name": f"P{i}", "tag": f"p{i}/fp8", "status": 0, "uptime_last_5m": 99,
                                    "latency_last_30m": {"p50": 100}, "pricing": {"prompt": "0.000001"}}
                                   for i in range(50_000)]}}
    clock = Clock(NOW)
    e = engine(openrouter(fake, models=f"[{R1}]"), clock)
    fake.routes[f"/or/models/{R1}/endpoints"] = json_reply(many)
    try:
        e.run_once()
        clock.now += 60
        e.run_once()  # not due again: nothing more is counted
        p = samples(metrics(e))
    finally:
        e.stop()
    assert value(p, "llm_upstream_endpoints", source="or", model=R1) == 50
    assert len(p["llm_upstream_endpoint_info"]) == 50
    assert value(p, "llm_exporter_series_folded", family="llm_upstream_endpoint") == 49_950
    assert sum(len(v) for k, v in p.items() if k.startswith("llm_upstream_endpoint")) < 500


def test_without_an_endpoints_block_nothing_is_asked(fake: FakeServer) -> None:
    fake.routes["/or/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/or/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/or/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    snapshot, recorder = poll("openrouter", fake.url + "/or", now=NOW)
    assert snapshot.upstreams == () and snapshot.upstream_models_skipped is None
    assert recorder.requests["endpoints"] == 0


def test_an_upstream_with_an_impossible_uptime_or_latency_is_left_out() -> None:
    good = json.loads(fixture("openrouter__model_endpoints.json"))["data"]["endpoints"][0]
    for field, bad in (("uptime_last_5m", 150), ("latency_last_30m", {"p50": -20})):
        item = copy.deepcopy(good)
        item[field] = bad
        with pytest.raises(units.OutOfRange):
            parse_upstream(item)
    assert parse_upstream(good).uptime[0] == ("5m", 1.0)
