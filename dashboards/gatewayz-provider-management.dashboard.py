"""GatewayZ provider management: parity with GatewayZ's own Provider Management dashboard (same
uid, same rows), but every panel reads a series the gatewayz source really emits. GatewayZ's
original queried series its exporter never produced, and six of its panels stayed empty."""

from house import (
    HEALTH,
    NEUTRAL,
    PROVIDER_CAPABILITIES,
    YES_NO,
    S,
    column_unit,
    dashboard,
    filter_variable,
    merge,
    organize,
    piechart,
    query,
    stat,
    steps,
    table,
    timeseries,
)

GATEWAYZ_SOURCE = filter_variable("source", "GatewayZ source", "gatewayz_providers_total")


def per_provider(metric: str) -> str:
    """One value per provider, labelled with its display name, so the details table's queries
    share their label columns and merge into one row per provider."""
    return (f"max by (source, provider, name) ({metric}{{{S}}} "
            f"* on (source, provider) group_left (name) llm_provider_info{{{S}}})")


overview = [
    stat(query(f"sum(gatewayz_providers_{key}{{{S}}})"), title=title, unit="short", w=6,
         thresholds=thresholds, description=description)
    for key, title, thresholds, description in (
        ("total", "Total providers", NEUTRAL, "Providers GatewayZ knows, active or not (/providers/stats)."),
        ("active", "Active providers", steps(("green", None)), "Providers enabled for routing."),
        ("inactive", "Inactive providers", steps(("text", None)), "Providers disabled in GatewayZ."),
        ("healthy", "Healthy providers", steps(("green", None)), "Providers whose last health check passed."),
    )
]

health = [
    piechart(*(query(f"sum(gatewayz_providers_{state}{{{S}}})", state)
               for state in ("healthy", "degraded", "down", "unknown")),
             title="Providers by health status", unit="short", w=12, donut=True,
             description="Providers in each health status, as GatewayZ counts them."),
    piechart(*(query(f"sum(gatewayz_providers_{state}{{{S}}})", state) for state in ("active", "inactive")),
             title="Providers by active status", unit="short", w=12, donut=True,
             description="Active and inactive providers."),
]

performance = [
    timeseries(query(f"gatewayz_provider_response_time_ms{{{S}}}", "{{provider}}"),
               title="Response time by provider", unit="ms", w=12, h=9, legend_calcs=("lastNotNull", "mean", "max"),
               description="GatewayZ's average response time per provider. A provider that is down has no "
                           "value rather than 0."),
    stat(query(f"max(time() - gatewayz_provider_metrics_last_update{{{S}}})"), title="Data age", unit="s", w=6,
         h=9, thresholds=steps(("green", None), ("orange", 300), ("red", 900)),
         description="Seconds since the exporter's last successful update from GatewayZ."),
    stat(query(f"sum(increase(gatewayz_provider_scrape_errors_total{{{S}}}[$__rate_interval]))"),
         title="Failed GatewayZ polls", unit="short", w=6, h=9,
         thresholds=steps(("green", None), ("red", 1)),
         description="Polls of the GatewayZ API that failed in the last rate interval."),
]

capabilities = [
    piechart(query(f"sum(gatewayz_provider_supports_{cap}{{{S}}})", "supported"),
             query(f"count(gatewayz_provider_supports_{cap}{{{S}}}) - sum(gatewayz_provider_supports_{cap}{{{S}}})",
                   "not supported"),
             title=f"{name} support", unit="short", w=6,
             description=f"Providers that support {name.lower()} and those that do not.")
    for cap, name in PROVIDER_CAPABILITIES
]

COLUMNS = {"Value #A": "Health", "Value #B": "Active", "Value #C": "Response time", "Value #D": "Last health check",
           **{f"Value #{chr(ord('E') + i)}": name for i, (_, name) in enumerate(PROVIDER_CAPABILITIES)},
           "name": "Name", "provider": "Slug", "source": "Source"}
details = [
    table(query(per_provider("gatewayz_provider_health_status"), table=True),
          query(per_provider("gatewayz_provider_is_active"), table=True),
          query(per_provider("gatewayz_provider_response_time_ms"), table=True),
          query(per_provider("gatewayz_provider_last_health_check_timestamp_seconds"), table=True),
          *(query(per_provider(f"gatewayz_provider_supports_{cap}"), table=True) for cap, _ in PROVIDER_CAPABILITIES),
          title="Provider details", unit="none", w=24, h=10, mappings=YES_NO, cell="color-text",
          transformations=[merge(), organize(COLUMNS, order=("name", "provider", "source", *list(COLUMNS)[:8]))],
          overrides=[
              {"matcher": {"id": "byName", "options": "Health"},
               "properties": [{"id": "mappings", "value": HEALTH}]},
              column_unit("Response time", "ms"),
              column_unit("Last health check", "dateTimeFromNow"),
          ],
          sort_by="Name",
          description="Every provider: name, health, whether it is active, response time, GatewayZ's last "
                      "health check, and its capabilities."),
]

dashboard = dashboard(
    "gatewayz",
    description="GatewayZ's providers: counts, health, response times, capabilities and details.",
    sections=[("Provider Statistics Overview", overview), ("Provider Health Status", health),
              ("Provider Performance Metrics", performance), ("Provider Capabilities", capabilities),
              ("Provider Details Table", details)],
    variables=(GATEWAYZ_SOURCE,),
)
