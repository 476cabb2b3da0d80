"""Three shards of one config against local fakes, one real Prometheus scraping them under one
job with the bundle's rules, and one Alertmanager: every source polled by exactly one shard and
probed once per interval, the fleet-wide sums those of a single exporter on the same config, and
a stopped shard firing LLMExporterShardMissing and LLMExporterDown for itself only while the
other shards' alerts still route."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from exporter.cli.shards import owner
from tests.support.adapters import KEY
from tests.support.fakeserver import FakeServer, StreamReply, fixture_reply, json_reply
from tests.support.probes import chat_stream
from tests.support.processes import Exporter
from tests.support.stack import Processes, SlackSink, alertmanager_config, start_alertmanager, start_prometheus
from tests.support.wait import wait_for

SOURCES = [f"vendor-{i:02d}" for i in range(12)]
PROBED = SOURCES[:6]
SHARDS = 3


def config(fake: FakeServer, fleet: str) -> str:
    lines = "".join(f"  - {{name: {n}, type: openai, url: '{fake.url}/{fleet}/{n}/v1', api_key: {KEY}}}\n"
                    for n in SOURCES)
    targets = "".join(f"    - {{source: {n}, models: [gpt-4o-mini]}}\n" for n in PROBED)
    return f"poll_interval: 2s\ntimeout: 2s\nsources:\n{lines}probes:\n  interval: 3s\n  targets:\n{targets}"


def serve(fake: FakeServer, fleet: str) -> None:
    for n in SOURCES:
        fake.routes[f"/{fleet}/{n}/v1/models"] = fixture_reply("openai__models.json")
        fake.routes[f"/{fleet}/{n}/v1/chat/completions"] = StreamReply(chat_stream("gpt-4o-mini", "fp"))


@pytest.fixture
def procs() -> Iterator[Processes]:
    p = Processes()
    yield p
    p.stop()


def test_three_shards_poll_each_source_once_and_add_up_to_one_exporter(fake: FakeServer, procs: Processes,
                                                                      tmp_path: Path) -> None:
    assert len({owner(n, SHARDS) for n in SOURCES}) == SHARDS  # every shard owns some
    serve(fake, "a")
    serve(fake, "b")
    (tmp_path / "a.yaml").write_text(config(fake, "a"))
    (tmp_path / "b.yaml").write_text(config(fake, "b"))
    shards = [Exporter("--config.file", str(tmp_path / "a.yaml"), "--shard.index", str(i), "--shard.count",
                       str(SHARDS)) for i in range(SHARDS)]
    single = Exporter("--config.file", str(tmp_path / "b.yaml"))
    slack = SlackSink()
    try:
        for proc in (*shards, single):
            proc.wait_ready()
        am = start_alertmanager(procs, tmp_path, "am", alertmanager_config(tmp_path, slack.url, 9))
        prom = start_prometheus(procs, tmp_path, "prometheus", [f"127.0.0.1:{p.port}" for p in shards],
                                [am.removeprefix("http://")], other_jobs={"single": [f"127.0.0.1:{single.port}"]})

        def query(expr: str) -> list[dict[str, Any]]:
            body = requests.get(prom + "/api/v1/query", params={"query": expr}, timeout=10).json()
            assert body["status"] == "success", (expr, body)
            return body["data"]["result"]

        def scalar(expr: str) -> float:
            (result,) = query(expr)
            return float(result["value"][1])

        wait_for(lambda: len(query('llm_source_up{job="llm-fleet-exporter"} == 1')) == 12, 40, "every source up")
        wait_for(lambda: query("state:llm_provider_health:sum"), 20, "the recording rules")
        # each source has exactly one llm_source_up, on the shard that owns it
        ups = query('llm_source_up{job="llm-fleet-exporter"}')
        assert sorted(r["metric"]["source"] for r in ups) == SOURCES
        ports = {f"127.0.0.1:{p.port}": i for i, p in enumerate(shards)}
        assert all(ports[r["metric"]["instance"]] == owner(r["metric"]["source"], SHARDS) for r in ups)
        # each shard's self-metrics, and the owned sources adding up to the config's
        assert scalar('sum(llm_exporter_owned_sources{job="llm-fleet-exporter"})') == 12
        assert {float(r["value"][1]) for r in query('llm_exporter_shards{job="llm-fleet-exporter"}')} == {3.0}
        # quiet with every shard up: a scrape that ran past the 1 s interval on this busy machine
        # can leave a pending alert for an evaluation or two, so the quiet must settle, not be instant
        wait_for(lambda: not query('ALERTS{alertname=~"LLMExporterShard.*"}'), 20,
                 "no shard alert while every shard is up",
                 detail=lambda: str(query('ALERTS{alertname=~"LLMExporterShard.*"}')) + str(query("up == 0")))
        # the fleet-wide sums are a single exporter's on the same config. On this busy machine a
        # scrape past its 1 s interval, or a poll past its 2 s timeout, drops a source's healthy
        # sample from one job and not the other for a while: the sums must agree once, not at
        # one instant.
        sums = (('sum(llm_models{job="llm-fleet-exporter"})', 'sum(llm_models{job="single"})'),
                ('count(llm_model_info{job="llm-fleet-exporter"})', 'count(llm_model_info{job="single"})'),
                ('sum(state:llm_provider_health:sum{state="healthy"})',
                 'sum(llm_provider_health{job="single", state="healthy"})'),
                ('count(llm_probe_success{job="llm-fleet-exporter"})', 'count(llm_probe_success{job="single"})'))

        def compared() -> list[tuple[str, float, float]]:
            return [(shard_expr, scalar(shard_expr), scalar(single_expr)) for shard_expr, single_expr in sums]

        wait_for(lambda: all(a == b > 0 for _, a, b in compared()), 30, "the shards' sums equal to one exporter's",
                 detail=lambda: str(compared()))
        # the fakes: one poller per source, and one probe per target per interval
        started = time.monotonic()
        before = {n: len(fake.requests_to(f"/a/{n}/v1/models")) for n in SOURCES}
        probes = {n: len(fake.requests_to(f"/a/{n}/v1/chat/completions")) for n in PROBED}
        time.sleep(12)
        elapsed = time.monotonic() - started
        for n in SOURCES:
            polls = len(fake.requests_to(f"/a/{n}/v1/models")) - before[n]
            assert elapsed / 2 - 2 <= polls <= elapsed / 2 + 1, (n, polls)  # every 2 s, by one shard
        for n in PROBED:
            made = len(fake.requests_to(f"/a/{n}/v1/chat/completions")) - probes[n]
            assert elapsed / 3 - 2 <= made <= elapsed / 3 + 1, (n, made)  # every 3 s, by one shard

        # a shard stops: its instance is down, a shard is missing; the others' alerts still route
        gone = 1
        survivor = next(n for n in PROBED if owner(n, SHARDS) != gone)
        fake.routes[f"/a/{survivor}/v1/chat/completions"] = json_reply({"error": {"message": "down"}}, status=500)
        shards[gone].stop()

        def alerts() -> list[dict[str, Any]]:
            return requests.get(am + "/api/v2/alerts", timeout=5).json()

        def firing(name: str) -> list[dict[str, Any]]:
            return [a for a in alerts() if a["labels"]["alertname"] == name]

        wait_for(lambda: firing("LLMExporterShardMissing") and firing("LLMExporterDown")
                 and firing("LLMProbeFailing"), 60, "the shard alerts and the survivor's probe alert",
                 detail=lambda: str([a["labels"] for a in alerts()]))
        down = firing("LLMExporterDown")
        assert [a["labels"]["instance"] for a in down] == [f"127.0.0.1:{shards[gone].port}"]
        (probe,) = firing("LLMProbeFailing")
        assert probe["labels"]["source"] == survivor and not probe["status"]["inhibitedBy"]
        wait_for(lambda: any("LLMProbeFailing" in title for title, _ in slack.texts()), 30, "the survivor's alert "
                 "at Slack")
        assert not firing("LLMExporterShardingMismatch")  # a missing shard is not a mismatch
    finally:
        for proc in (*shards, single):
            proc.stop()
        slack.stop()
