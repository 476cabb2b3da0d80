"""The dashboards as committed: one file per dashboard source, the house conventions of every
panel, a lint that catches what it is for, links that resolve, panels that do not overlap,
GatewayZ's rows."""

from __future__ import annotations

import re

import pytest
import yaml

from exporter.families import ALL
from tests.support.present import present
from tests.support.processes import ROOT
from tests.support.project import DASHBOARDS, UIDS, boards, panels

MODERN = {"timeseries", "stat", "gauge", "bargauge", "table", "piechart", "state-timeline"}


DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


# Counters, and the series of histograms, which are counters too.
COUNTERS = {f.name for f in ALL if f.type == "counter"} | {
    f"{f.name}{suffix}" for f in ALL if f.type == "histogram" for suffix in ("_bucket", "_count", "_sum")}


RECORDED = {r["record"] for g in yaml.safe_load((ROOT / "prometheus/rules/recording.yml").read_text())["groups"]
            for r in g["rules"]}


KNOWN = {f.name for f in ALL} | COUNTERS | RECORDED | {"ALERTS"}


FUNCTIONS = {"sum", "max", "min", "count", "avg", "by", "on", "group_left", "group_right", "rate", "increase",
             "time", "vector", "or", "and", "unless", "label_join", "label_replace", "clamp_min", "topk", "without",
             "ignoring", "bool"}






def test_every_dashboard_source_is_one_dashboard_file() -> None:
    stems = sorted(p.name.removesuffix(".dashboard.py") for p in DASHBOARDS.glob("*.dashboard.py"))
    assert stems == sorted(UIDS)


# -- the lint -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(UIDS))
def test_dashboard_conventions(name: str) -> None:
    board = boards()[name]
    assert board["uid"] == UIDS[name]
    assert board["editable"] is False
    assert board["schemaVersion"] >= 41 and "time_options" not in board["timepicker"]
    assert "rows" not in board and board["description"]
    variables = board["templating"]["list"]
    assert variables[0] == {**variables[0], "name": "datasource", "type": "datasource", "query": "prometheus"}
    for var in variables[1:]:
        assert var["datasource"] == DATASOURCE, var["name"]
        assert (var["multi"], var["includeAll"], var["refresh"]) == (True, True, 2), var["name"]
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids))
    problems = []
    for panel in panels(board):
        title, kind = panel["title"], panel["type"]
        if kind == "row":
            continue
        where = f"{name}/{title}"
        if kind not in MODERN:
            problems.append(f"{where}: panel type {kind}")
        if panel.get("datasource") != DATASOURCE:
            problems.append(f"{where}: datasource is not the variable")
        if not panel.get("description"):
            problems.append(f"{where}: no description")
        if not panel["fieldConfig"]["defaults"].get("unit"):
            problems.append(f"{where}: no unit")
        if kind == "stat" and panel["options"]["reduceOptions"]["calcs"] != ["lastNotNull"]:
            problems.append(f"{where}: a stat shows {panel['options']['reduceOptions']['calcs']}, not the last value")
        if kind in ("gauge", "bargauge") and "fieldOptions" in panel["options"]:
            problems.append(f"{where}: the Grafana 6 fieldOptions schema")
        defaults = panel["fieldConfig"]["defaults"]
        if kind == "gauge" and defaults.get("unit") == "percentunit" and defaults.get("max") != 1:
            problems.append(f"{where}: a ratio gauge whose max is not 1")
        if not panel.get("targets"):
            problems.append(f"{where}: no query")
        for target in panel.get("targets", []):
            if target.get("datasource") != DATASOURCE:
                problems.append(f"{where} {target['refId']}: datasource is not the variable")
            problems += [f"{where}: {p}" for p in expression_problems(target["expr"])]
    assert not problems, "\n".join(problems)


def expression_problems(expr: str) -> list[str]:
    problems = [f"range [{window}] instead of [$__rate_interval]: {expr}"
                for window in re.findall(r"\[([^\]]*)\]", expr) if window != "$__rate_interval"]
    # What is left without strings, selectors' matchers, ranges and grouping label lists is
    # functions, operators, numbers and metric names, with the parentheses intact.
    bare = re.sub(r'"[^"]*"', '""', expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", bare)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r"\1 ()", bare)
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare):
        word = match.group()
        if word in FUNCTIONS or re.fullmatch(r"e\d+", word):
            continue
        if word not in KNOWN:
            problems.append(f"{word} is neither a metric of the exporter nor a recording rule: {expr}")
        if word in COUNTERS and not inside_rate(bare[: match.start()]):
            problems.append(f"counter {word} outside rate() or increase(): {expr}")
    return problems


def inside_rate(before: str) -> bool:
    """Whether the text before a name leaves it inside the parentheses of rate( or increase(."""
    depth_of_rate: list[bool] = []
    for token in re.finditer(r"([a-z_]+)?\s*\(|\)", before):
        if token.group() == ")":
            depth_of_rate.pop()
        else:
            depth_of_rate.append(token.group(1) in ("rate", "increase"))
    return any(depth_of_rate)


def test_the_lint_catches_what_it_is_for() -> None:
    assert expression_problems("sum(llm_usage_cost_usd_total)")
    assert expression_problems("rate(llm_usage_cost_usd_total[5m])")
    assert expression_problems("llm_no_such_metric")
    assert expression_problems("sum(rate(llm_usage_duration_seconds_bucket[$__rate_interval])) + "
                               "llm_usage_duration_seconds_count")
    assert not expression_problems('sum by (model) (rate(llm_usage_cost_usd_total{provider=~"$provider"}'
                                   "[$__rate_interval])) * 3600")
    # GatewayZ's *_total gauges are gauges, as GatewayZ always had them
    assert not expression_problems('sum(gatewayz_providers_total{source=~"$source"})')


def test_links_between_dashboards_and_from_alerts_resolve() -> None:
    all_boards = boards()
    uids = {b["uid"] for b in all_boards.values()}
    fleet_links = {link["url"] for link in all_boards["fleet"]["links"]}
    assert {"/d/llm-health", "/d/llm-cost"} <= fleet_links
    for name, board in all_boards.items():
        for url in [link["url"] for link in board["links"]] + [
                link["url"] for panel in panels(board) for link in panel.get("links", [])]:
            assert present(re.match(r"/d/([a-z-]+)", url)).group(1) in uids, f"{name}: {url}"
    alerts = yaml.safe_load((ROOT / "prometheus/rules/alerts.yml").read_text())
    used = {rule["annotations"]["dashboard"] for g in alerts["groups"] for rule in g["rules"]}
    assert used <= uids
    # the runbook's links name panels in quotes after the link: each one is on that dashboard
    titles = {b["uid"]: {p["title"] for p in panels(b)} for b in all_boards.values()}
    runbook = " ".join((ROOT / "docs/runbook.md").read_text().split())
    links = list(re.finditer(r"\]\(http://localhost:3000/d/([a-z-]+)\)(.*?)(?:;|\. |$)", runbook))
    assert len(links) >= 15
    for link in links:
        uid, after = link.groups()
        assert uid in uids, uid
        for title in re.findall(r'"([^"]+)"', after):
            assert title in titles[uid], f"runbook: {uid} has no panel {title!r}"


def test_panels_do_not_overlap() -> None:
    for name, board in boards().items():
        taken: set[tuple[int, int]] = set()
        for panel in panels(board):
            g = panel["gridPos"]
            assert g["x"] + g["w"] <= 24, f"{name}/{panel['title']}"
            cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not cells & taken, f"{name}/{panel['title']} overlaps another panel"
            taken |= cells


def test_gatewayz_dashboard_keeps_gatewayz_rows() -> None:
    board = boards()["gatewayz-provider-management"]
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows == ["Provider Statistics Overview", "Provider Health Status", "Provider Performance Metrics",
                    "Provider Capabilities", "Provider Details Table"]
    overview = [p["title"] for p in board["panels"] if p["type"] == "stat" and p["gridPos"]["y"] == 1]
    assert overview == ["Total providers", "Active providers", "Inactive providers", "Healthy providers"]
    pies = [p for p in board["panels"] if p["type"] == "piechart"]
    assert len(pies) == 6
    # every query reads only what the gatewayz source emits (its own family and the generic ones)
    for panel in panels(board):
        for target in panel.get("targets", []):
            names = set(re.findall(r"\b(?:gatewayz|llm)_[a-z_]+", target["expr"]))
            assert names <= {"llm_provider_info"} | {n for n in KNOWN if n.startswith("gatewayz_")}, names
