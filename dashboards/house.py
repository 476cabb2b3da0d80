"""House defaults for every dashboard of the bundle, on top of grafanalib.

grafanalib 0.7 still writes parts of Grafana's pre-8 schema: gauges and bar gauges with
`options.fieldOptions`, targets with Graphite fields, dashboards with `rows` and `style`. The
classes here keep grafanalib's objects but write what the Grafana of docker-compose.yml reads
natively (schemaVersion 41, `fieldConfig` for every panel), so nothing is migrated on load.

Every factory demands a title, a description and a unit, and every query goes through the
`datasource` variable: the lint in tests/e2e/test_dashboards.py holds the generated JSON to that.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from typing import Any

import attr
from grafanalib import core

# Grafana's dashboard migrations up to 41 (40: refresh is a string, 41: no
# timepicker.time_options) are already applied here, so the pinned Grafana loads it as written.
SCHEMA_VERSION = 41
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
UIDS = {
    "fleet": "llm-fleet",
    "health": "llm-health",
    "capability": "llm-capability",
    "cost": "llm-cost",
    "gatewayz": "gatewayz-provider-management",
}
TITLES = {
    "fleet": "LLM fleet",
    "health": "LLM health",
    "capability": "LLM capability",
    "cost": "LLM cost",
    "gatewayz": "GatewayZ provider management",
}
# Keys grafanalib's Panel writes that a current Grafana neither needs nor keeps.
LEGACY_PANEL_KEYS = ("cacheTimeout", "error", "height", "span", "minSpan", "editable", "hideTimeOverride",
                     "interval", "timeFrom", "timeShift", "repeat", "repeatDirection", "maxPerRow",
                     "maxDataPoints", "color", "columns", "fontSize", "mappings")
FILTER = {"source": 'source=~"$source"', "provider": 'provider=~"$provider"'}


def sel(*labels: str, **fixed: str) -> str:
    """A label selector body from the filter variables and fixed matchers:
    sel("source", state="down") -> source=~"$source",state="down"."""
    return ",".join([FILTER[name] for name in labels] + [f'{k}="{v}"' for k, v in fixed.items()])


# The selectors nearly every query starts from: the source filter, the provider filter, both.
S = sel("source")
P = sel("provider")
SP = sel("source", "provider")


@attr.s
class Query(core.Target):
    """A Prometheus query as Grafana's Prometheus editor writes it, always on the variable."""

    def to_json_data(self) -> dict[str, Any]:
        return {
            "datasource": DATASOURCE,
            "editorMode": "code",
            "expr": self.expr,
            "format": self.format,
            "instant": self.instant,
            "legendFormat": self.legendFormat or "__auto",
            "range": not self.instant,
            "refId": self.refId,
        }


def query(expr: str, legend: str = "", *, instant: bool = False, table: bool = False) -> Query:
    return Query(expr=" ".join(expr.split()), legendFormat=legend, instant=instant or table,
                 format="table" if table else "time_series")


class Modern:
    """Writes a panel without grafanalib's legacy keys, on the datasource variable."""

    def panel_json(self, overrides: dict[str, Any]) -> dict[str, Any]:
        data = super().panel_json(overrides)  # type: ignore[misc]
        for key in LEGACY_PANEL_KEYS:
            data.pop(key, None)
        data["datasource"] = DATASOURCE
        defaults = data.get("fieldConfig", {}).get("defaults", {})
        for key in [k for k, v in defaults.items() if v is None]:
            del defaults[key]
        if not data.get("links"):
            data.pop("links", None)
        if not data.get("transformations"):
            data.pop("transformations", None)
        return data


@attr.s
class TimeSeries(Modern, core.TimeSeries):
    pass


@attr.s
class Stat(Modern, core.Stat):
    pass


@attr.s
class Table(Modern, core.Table):
    pass


@attr.s
class PieChart(Modern, core.PieChartv2):
    pass


@attr.s
class StateTimeline(Modern, core.StateTimeline):
    pass


@attr.s
class Row(Modern, core.RowPanel):
    def panel_json(self, overrides: dict[str, Any]) -> dict[str, Any]:
        data = super().panel_json(overrides)
        for key in ("datasource", "description", "fieldConfig", "targets", "transparent"):
            data.pop(key, None)
        return data


class FieldGauge(Modern):
    """grafanalib's GaugePanel and BarGauge write the Grafana 6 `options.fieldOptions`; the
    two below write `fieldConfig` and the current `options` from the same attributes."""

    def gauge_json(self, kind: str, options: dict[str, Any]) -> dict[str, Any]:
        g: Any = self
        return self.panel_json({
            "fieldConfig": {
                "defaults": {"unit": g.format, "min": g.min, "max": g.max, "decimals": g.decimals,
                             "mappings": g.valueMaps or [], "color": {"mode": "thresholds"}},
                "overrides": [],
            },
            "options": {"reduceOptions": {"calcs": [g.calc], "fields": "", "values": False}, **options},
            "type": kind,
        })


@attr.s
class Gauge(FieldGauge, core.GaugePanel):
    def to_json_data(self) -> dict[str, Any]:
        return self.gauge_json(core.GAUGE_TYPE, {"orientation": "auto", "showThresholdLabels": False,
                                                 "showThresholdMarkers": True})


@attr.s
class BarGauge(FieldGauge, core.BarGauge):
    def to_json_data(self) -> dict[str, Any]:
        return self.gauge_json(core.BARGAUGE_TYPE, {
            "displayMode": self.displayMode, "orientation": self.orientation, "showUnfilled": True,
            "valueMode": "color", "namePlacement": "auto", "sizing": "auto", "minVizHeight": 16, "minVizWidth": 8,
            "maxVizHeight": 300})


# -- small builders ------------------------------------------------------------------------------
def steps(*pairs: tuple[str, float | None]) -> list[dict[str, Any]]:
    """Threshold steps: the first pair's value is the base (None)."""
    return [{"color": color, "value": value} for color, value in pairs]


GOOD_HIGH = steps(("red", None), ("green", 1))  # 0 is bad, 1 is good
BAD_HIGH = steps(("green", None), ("red", 1))  # anything above 0 wants attention
NEUTRAL = steps(("blue", None))
BUDGET = steps(("green", None), ("orange", 0.8), ("red", 1))  # share of a budget: 80 % warns

# The four capabilities GatewayZ reports per provider, with the names its dashboard shows.
PROVIDER_CAPABILITIES = (("streaming", "Streaming"), ("function_calling", "Function calling"),
                         ("vision", "Vision"), ("image_generation", "Image generation"))


def value_map(entries: dict[int | str, tuple[str, str]]) -> list[dict[str, Any]]:
    """One value mapping: value -> (text, color)."""
    options = {str(value): {"text": text, "color": color, "index": i}
               for i, (value, (text, color)) in enumerate(entries.items())}
    return [{"type": "value", "options": options}]


UP_DOWN = value_map({0: ("down", "red"), 1: ("up", "green")})
YES_NO = value_map({0: ("no", "text"), 1: ("yes", "green")})
# The codes of gatewayz_provider_health_status, also used for llm_provider_health below.
HEALTH = value_map({0: ("unknown", "text"), 1: ("healthy", "green"), 2: ("degraded", "orange"), 3: ("down", "red")})


def state_code(metric: str, label: str, selector: str, codes: dict[str, int], by: str) -> str:
    """A state-set family (one series per state, 1 for the current one) as one number per
    `by` group, so a state timeline or table can name the state through a value mapping."""
    parts = " or ".join(f'({metric}{{{selector},{label}="{state}"}} == 1) * 0 + {code}'
                        for state, code in codes.items())
    return f"max by ({by}) ({parts})"


def health_code(selector: str) -> str:
    """llm_provider_health on GatewayZ's codes (HEALTH)."""
    return state_code("llm_provider_health", "state", selector,
                      {"unknown": 0, "healthy": 1, "degraded": 2, "down": 3}, "source, provider")


def _refs(targets: Sequence[Query]) -> list[Query]:
    return [attr.evolve(t, refId=string.ascii_uppercase[i]) for i, t in enumerate(targets)]


def _checked(title: str, description: str, unit: str) -> None:
    if not (title and description and unit):
        raise ValueError(f"panel {title!r}: a title, a description and a unit are required")


def _grid(w: int, h: int) -> core.GridPos:
    return core.GridPos(h=h, w=w, x=0, y=0)


# -- panel factories: title, description and unit are required keywords -------------------------
def stat(*targets: Query, title: str, description: str, unit: str, w: int = 4, h: int = 4,
         thresholds: list[dict[str, Any]] = NEUTRAL, mappings: list[dict[str, Any]] | None = None,
         links: Iterable[dict[str, Any]] = (), color_mode: str = "value", decimals: int | None = None) -> Stat:
    _checked(title, description, unit)
    return Stat(title=title, description=description, format=unit, targets=_refs(targets), gridPos=_grid(w, h),
                thresholds=thresholds, mappings=mappings or [], links=list(links), colorMode=color_mode,
                color={"mode": "thresholds"}, noValue="No data",
                graphMode="none", reduceCalc="lastNotNull", decimals=decimals)


def timeseries(*targets: Query, title: str, description: str, unit: str, w: int = 12, h: int = 8,
               stacked: bool = False, bars: bool = False, thresholds: list[dict[str, Any]] = NEUTRAL,
               legend_calcs: Sequence[str] = ()) -> TimeSeries:
    _checked(title, description, unit)
    return TimeSeries(title=title, description=description, unit=unit, targets=_refs(targets), gridPos=_grid(w, h),
                      thresholds=thresholds, colorMode="palette-classic",
                      drawStyle="bars" if bars else "line", fillOpacity=60 if bars else 10,
                      stacking={"mode": "normal" if stacked else "none", "group": "A"},
                      legendDisplayMode="table" if legend_calcs else "list", legendCalcs=list(legend_calcs),
                      tooltipMode="multi", tooltipSort="desc", showPoints="never")


def gauge(*targets: Query, title: str, description: str, unit: str, w: int = 8, h: int = 6,
          thresholds: list[dict[str, Any]], low: float = 0, high: float = 1) -> Gauge:
    _checked(title, description, unit)
    return Gauge(title=title, description=description, format=unit, targets=_refs(targets), gridPos=_grid(w, h),
                 thresholds=thresholds, min=low, max=high, calc="lastNotNull")


def bargauge(*targets: Query, title: str, description: str, unit: str, w: int = 8, h: int = 8,
             thresholds: list[dict[str, Any]] = NEUTRAL, low: float | None = 0, high: float | None = None,
             mappings: list[dict[str, Any]] | None = None) -> BarGauge:
    _checked(title, description, unit)
    return BarGauge(title=title, description=description, format=unit, targets=_refs(targets),
                    gridPos=_grid(w, h), thresholds=thresholds, min=low, max=high, calc="lastNotNull",
                    displayMode="gradient", orientation="horizontal", valueMaps=mappings or [])


def table(*targets: Query, title: str, description: str, unit: str, w: int = 12, h: int = 8,
          transformations: Iterable[dict[str, Any]] = (), overrides: Iterable[dict[str, Any]] = (),
          sort_by: str | None = None, descending: bool = False,
          mappings: list[dict[str, Any]] | None = None, thresholds: list[dict[str, Any]] = NEUTRAL,
          cell: str = "auto") -> Table:
    _checked(title, description, unit)
    panel = Table(title=title, description=description, unit=unit, targets=_refs(targets), gridPos=_grid(w, h),
                  transformations=list(transformations), overrides=list(overrides), filterable=True,
                  thresholds=thresholds, displayMode=cell,
                  sortBy=[core.TableSortByField(displayName=sort_by, desc=descending)] if sort_by else [])
    if mappings:
        panel = attr.evolve(panel, extraJson={"fieldConfig": {"defaults": {"mappings": mappings}}})
    return panel


def piechart(*targets: Query, title: str, description: str, unit: str, w: int = 6, h: int = 8,
             donut: bool = False) -> PieChart:
    _checked(title, description, unit)
    return PieChart(title=title, description=description, unit=unit, targets=_refs(targets), gridPos=_grid(w, h),
                    pieType="donut" if donut else "pie", legendValues=["value"], legendPlacement="right",
                    reduceOptionsCalcs=["lastNotNull"])


def state_timeline(*targets: Query, title: str, description: str, unit: str, mappings: list[dict[str, Any]],
                   w: int = 24, h: int = 8, thresholds: list[dict[str, Any]] = NEUTRAL) -> StateTimeline:
    _checked(title, description, unit)
    panel = StateTimeline(title=title, description=description, targets=_refs(targets), gridPos=_grid(w, h),
                          mappings=mappings, thresholds=thresholds, colorMode="thresholds", showValue="never",
                          fillOpacity=80, rowHeight=0.8)
    return attr.evolve(panel, extraJson={"fieldConfig": {"defaults": {"unit": unit}}})


# -- table transformations -----------------------------------------------------------------------
def merge() -> dict[str, Any]:
    return {"id": "merge", "options": {}}


def organize(rename: dict[str, str], hide: Iterable[str] = ("Time",), order: Sequence[str] = ()) -> dict[str, Any]:
    return {"id": "organize", "options": {
        "excludeByName": {name: True for name in hide},
        "indexByName": {name: i for i, name in enumerate(order)},
        "renameByName": rename,
    }}


def matrix(row: str, column: str) -> dict[str, Any]:
    """Series of one label per row and another per column, as a grid (Grafana's groupingToMatrix)."""
    return {"id": "groupingToMatrix", "options": {"rowField": row, "columnField": column, "valueField": "Value",
                                                  "emptyValue": "null"}}


def column_unit(column: str, unit: str, **extra: Any) -> dict[str, Any]:
    """A table column with a unit (and more properties) of its own."""
    props = [{"id": "unit", "value": unit}] + [{"id": key, "value": value} for key, value in extra.items()]
    return {"matcher": {"id": "byName", "options": column}, "properties": props}


# -- layout and dashboard ----------------------------------------------------------------------------
def layout(*sections: tuple[str | None, Sequence[Any]]) -> list[Any]:
    """Places panels left to right in Grafana's 24-column grid, wrapping at the edge, one row
    panel per titled section."""
    out: list[Any] = []
    y = 0
    for title, panels in sections:
        if title:
            out.append(Row(title=title, gridPos=core.GridPos(h=1, w=24, x=0, y=y)))
            y += 1
        x, line = 0, 0
        for panel in panels:
            w, h = panel.gridPos.w, panel.gridPos.h
            if x + w > 24:
                x, y, line = 0, y + line, 0
            out.append(attr.evolve(panel, gridPos=core.GridPos(h=h, w=w, x=x, y=y)))
            x, line = x + w, max(line, h)
        y += line
    return out


def link(key: str) -> core.DashboardLink:
    return core.DashboardLink(type="link", title=TITLES[key], uri=f"/d/{UIDS[key]}", icon="dashboard",
                              includeVars=False, keepTime=True)


def panel_link(key: str, title: str) -> dict[str, Any]:
    """A link from a panel to another dashboard of the bundle, keeping the time range."""
    return {"title": title, "url": f"/d/{UIDS[key]}?${{__url_time_range}}"}


class Variable:
    """A dashboard variable as a current Grafana writes it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_json_data(self) -> dict[str, Any]:
        return self.data


def datasource_variable() -> Variable:
    return Variable({"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
                     "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1,
                     "regex": ""})


def filter_variable(name: str, label: str, values_of: str) -> Variable:
    """Multi-value with All; refreshed on time-range change, so new sources and providers appear."""
    definition = f"label_values({values_of}, {name})"
    return Variable({"name": name, "label": label, "type": "query", "datasource": DATASOURCE,
                     "definition": definition, "query": {"query": definition, "refId": "StandardVariableQuery"},
                     "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "hide": 0,
                     "includeAll": True, "allValue": ".*", "multi": True, "options": [], "refresh": 2,
                     "regex": "", "sort": 1})


SOURCE = filter_variable("source", "Source", "llm_source_info")
PROVIDER = filter_variable("provider", "Provider", 'llm_provider_info{source=~"$source"}')


@attr.s
class Dashboard(core.Dashboard):
    """Fixed uid, read-only, current schema, and without grafanalib's legacy top-level keys."""

    def to_json_data(self) -> dict[str, Any]:
        data = super().to_json_data()
        for key in ("__inputs", "rows", "style", "hideControls", "sharedCrosshair", "gnetId", "id"):
            data.pop(key, None)
        data["schemaVersion"] = SCHEMA_VERSION
        data["timepicker"] = {"refresh_intervals": ["30s", "1m", "5m", "15m", "30m", "1h"]}
        data["fiscalYearStartMonth"] = 0
        data["liveNow"] = False
        data["weekStart"] = ""
        data["annotations"] = {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
            "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]}
        return data


def dashboard(key: str, *, description: str, sections: Sequence[tuple[str | None, Sequence[Any]]],
              variables: Sequence[Variable] = (SOURCE, PROVIDER), refresh: str = "30s",
              time_from: str = "now-6h") -> Dashboard:
    """One of the bundle's dashboards: its uid and title from UIDS and TITLES, links to all
    the others, the datasource variable first."""
    others = [link(k) for k in UIDS if k != key]
    return Dashboard(
        title=TITLES[key], uid=UIDS[key], description=description, editable=False,
        tags=["llm-fleet-exporter"], timezone="utc", refresh=refresh,
        time=core.Time(time_from, "now"), graphTooltip=core.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
        links=others, templating=core.Templating(list=[datasource_variable(), *variables]),
        panels=layout(*sections),
    ).auto_panel_ids()
