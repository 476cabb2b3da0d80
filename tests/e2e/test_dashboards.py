"""The dashboards against the real tools: the committed JSON is what grafanalib generates, promtool
parses every query, and every query returns data from a real Prometheus scraping the demo."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from exporter.demo import reports
from exporter.demo.server import config_text
from exporter.units import parse_duration
from tests.support.metrics import empty_by_design
from tests.support.present import present
from tests.support.processes import StartExporter, tool
from tests.support.project import DASHBOARDS, GENERATED, UIDS, boards, panels
from tests.support.stack import Processes, start_prometheus
from tests.support.wait import wait_for


def targets() -> Iterator[tuple[str, str, str]]:
    """(dashboard, panel title, expr) for every query of every panel."""
    for name, board in boards().items():
        for panel in panels(board):
            for target in panel.get("targets", []):
                yield name, panel["title"], target["expr"]


def substitute(expr: str, rate_interval: str) -> str:
    """The expression as Grafana sends it with every filter on All."""
    expr = expr.replace("$__rate_interval", rate_interval)
    return re.sub(r"\$(source|provider)\b", ".*", expr)


# -- generated == committed ------------------------------------------------------------------------
def test_committed_json_is_what_the_sources_generate(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(DASHBOARDS / "build.py"), str(tmp_path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    fresh = {p.name: p.read_text() for p in tmp_path.glob("*.json")}
    committed = {p.name: p.read_text() for p in GENERATED.glob("*.json")}
    assert sorted(fresh) == sorted(committed) == sorted(f"{name}.json" for name in UIDS)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"run `make dashboards` and commit: {stale} differ from their *.dashboard.py"


# -- promtool parses every query ---------------------------------------------------------------------
def test_promtool_parses_every_query(tmp_path: Path) -> None:
    queries = list(targets())
    assert len(queries) > 60
    rules = {"groups": [{"name": "dashboards", "rules": [
        {"record": f"dashboard:query:{i}", "expr": substitute(expr, "1m")} for i, (_, _, expr) in enumerate(queries)
    ]}]}
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run([tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


# -- every query returns data ------------------------------------------------------------------------
@pytest.fixture
def procs() -> Iterator[Processes]:
    running = Processes()
    yield running
    running.stop()


# The live families move only when a new call reaches the demo proxy's spend log, and the feed
# reads it on its source's interval: the longest wait for a counted call, from Prometheus's start,
# is the log's longest silence at any time of day (its pattern repeats within hours), that
# interval, and a margin for the scrape and the rule that follow.
FEED_INTERVAL = present(parse_duration(yaml.safe_load(config_text())["poll_interval"]))
LIVE_WAIT = reports.longest_silence(0, 86400) + FEED_INTERVAL + 30


@pytest.mark.timeout(LIVE_WAIT + 90)  # and the panels' queries after it
def test_every_panel_query_returns_data(exporter_process: StartExporter, procs: Processes, tmp_path: Path) -> None:
    """A real Prometheus 2.42 scrapes the demo exporter every second with the shipped rules;
    every query of every panel, with the filters on All, must return at least one series."""
    tool("prometheus")
    exporter = exporter_process("--demo")
    exporter.wait_ready()
    prom = start_prometheus(procs, tmp_path, "prometheus", f"127.0.0.1:{exporter.port}", alertmanagers=[])
    live_by = time.monotonic() + LIVE_WAIT

    def query(expr: str) -> list[dict[str, Any]]:
        body = requests.get(prom + "/api/v1/query", params={"query": expr}, timeout=10).json()
        assert body["status"] == "success", (expr, body)
        return body["data"]["result"]

    # enough scrapes for rate() over the window, and the recording rules evaluated on them
    wait_for(lambda: (r := query("count_over_time(llm_exporter_build_info[1m])")) and float(r[0]["value"][1]) >= 8,
             60, "eight scrapes")
    wait_for(lambda: query("provider_model:llm_usage_cost_usd:increase1d"), 30, "recording rules")
    # a source's request counter moves only when it is polled (every 15 s): its ratio needs two polls
    covered = ('source:llm_observed_failures:ratio_rate5m and on (source) '
               'label_replace(llm_status_page_covers_info, "source", "$1", "covered_source", "(.*)")')
    wait_for(lambda: query(covered), 45, "the observed failure ratio of a covered source",
             detail=lambda: str(query("source:llm_observed_failures:ratio_rate5m")))
    # the cache-hit ratio needs a call to reach the proxy's spend log while this Prometheus runs
    wait_for(lambda: query("source_model:llm_live_cache_hits:ratio_rate1h"), live_by - time.monotonic(),
             "a real call counted", detail=lambda: str(query("sum by (source) (llm_live_requests_total)")))
    gaps = empty_by_design(time.time())  # e.g. no forecast in a month's first hour
    empty = [f"{board}/{title}: {expr}" for board, title, expr in targets()
             if not query(substitute(expr, "10s")) and not any(family in expr for family in gaps)]
    assert not empty, "queries without data:\n" + "\n".join(empty)
    # the variables' own queries list values
    for board in boards().values():
        for var in board["templating"]["list"][1:]:
            metric, label = present(re.fullmatch(r"label_values\((.+), (\w+)\)", var["definition"])).groups()
            values = requests.get(f"{prom}/api/v1/label/{label}/values",
                                  params={"match[]": substitute(metric, "10s")}, timeout=10).json()["data"]
            assert values, var["definition"]
