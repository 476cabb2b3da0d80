"""Health: triage of an outage. Which source or provider is failing, since when, why (the
failure reasons and the vendors' own status pages), and the state of the proxy accounts
that better-ccflare rotates through."""

from house import (
    GOOD_HIGH,
    HEALTH,
    NEUTRAL,
    SP,
    UP_DOWN,
    S,
    bargauge,
    dashboard,
    health_code,
    merge,
    organize,
    query,
    stat,
    state_code,
    state_timeline,
    steps,
    table,
    timeseries,
    value_map,
)

INDICATOR = {"none": 0, "minor": 1, "major": 2, "critical": 3, "maintenance": 4}
COMPONENT = {"operational": 0, "degraded_performance": 1, "partial_outage": 2, "major_outage": 3,
             "under_maintenance": 4}
INCIDENT_COLORS = ("green", "yellow", "orange", "red", "blue")
AGE = steps(("green", None), ("orange", 900), ("red", 3600))
DAY = 86400

sources = [
    state_timeline(query(f"llm_source_up{{{S}}}", "{{source}}"), title="Sources up over time", unit="none",
                   mappings=UP_DOWN, thresholds=GOOD_HIGH, w=12, h=9,
                   description="1 when every endpoint of the source's last poll succeeded. A red band is the "
                               "LLMSourceDown alert's evidence; the failure reasons are to the right."),
    timeseries(query(f"sum by (reason) (rate(llm_source_request_failures_total{{{S}}}[$__rate_interval]))",
                     "{{reason}}"),
               title="Request failures by reason", unit="reqps", w=12, h=9, stacked=True,
               description="Failed HTTP attempts per second by reason: timeout, connection, auth, rate_limited, "
                           "http_error, invalid_response. auth means a key to rotate; rate_limited a quota."),
    bargauge(query(f"time() - llm_source_last_success_timestamp_seconds{{{S}}}", "{{source}}"),
             title="Age of the last successful poll", unit="s", w=8, h=9, thresholds=AGE,
             description="Seconds since each source's last successful poll. Values stay exported for "
                         "stale_after intervals after that, then disappear."),
    timeseries(query(f"llm_source_poll_duration_seconds{{{S}}}", "{{source}}"),
               title="Poll duration", unit="s", w=8, h=9,
               description="Duration of each source's last poll, retries and backoff included."),
    timeseries(query(f"sum by (source) (rate(llm_source_requests_total{{{S}}}[$__rate_interval]))", "{{source}}"),
               query(f"sum by (source, reason) (rate(llm_source_polls_skipped_total{{{S}}}[$__rate_interval]))",
                     "skipped {{source}} ({{reason}})"),
               title="Requests and skipped polls", unit="reqps", w=8, h=9,
               description="HTTP requests per second per source, and polls skipped because a 429's Retry-After "
                           "was still running (rate_limited) or the previous poll had not finished (overlap)."),
]

providers = [
    state_timeline(query(health_code(SP), "{{source}} / {{provider}}"), title="Provider health state over time",
                   unit="none", mappings=HEALTH, h=10,
                   description="Each provider's health as its source reports it: healthy, degraded, down or "
                               "unknown (llm_provider_health). Providers behind a failing source keep their last "
                               "reported state until it goes stale."),
    timeseries(query(f"llm_provider_response_time_seconds{{{SP}}}", "{{source}} / {{provider}}"),
               title="Response time per provider", unit="s", w=24, h=9, legend_calcs=("lastNotNull", "max"),
               description="Response time as GatewayZ reports it, or as measured on the provider's catalog call."),
]

status_pages = [
    state_timeline(query(state_code("llm_status_page_indicator", "indicator", S, INDICATOR, "source"),
                         "{{source}}"),
                   title="Status-page indicator", unit="none", w=12, h=7,
                   mappings=value_map({code: (name, color) for (name, code), color
                                       in zip(INDICATOR.items(), INCIDENT_COLORS, strict=True)}),
                   description="The vendor's own status page (Atlassian Statuspage): none, minor, major, critical "
                               "or maintenance. A vendor may admit an incident before its API fails."),
    table(query(state_code("llm_status_component", "status", S, COMPONENT, "source, component"), table=True),
          title="Status-page components", unit="none", w=12, h=7, cell="color-background",
          mappings=value_map({code: (name, color) for (name, code), color
                              in zip(COMPONENT.items(), INCIDENT_COLORS, strict=True)}),
          transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True},
                                                          "renameByName": {"Value": "Status", "source": "Source",
                                                                           "component": "Component"}}}],
          sort_by="Status", descending=True,
          description="Every component of the vendors' status pages and its status, worst first."),
    timeseries(query(f"source:llm_observed_failures:ratio_rate5m{{{S}}} and on (source) label_replace("
                     f"llm_status_page_covers_info, \"source\", \"$1\", \"covered_source\", \"(.*)\")",
                     "{{source}}"),
               title="Observed failures of covered sources", unit="percentunit", w=12, h=8,
               description="Share of each covered source's polls and probes that failed over 5 minutes, as the "
                           "exporter saw them (rate limits and credit refusals left out). Over 50% for 5 minutes "
                           "while the covering page (the indicator to the left) shows nothing is "
                           "LLMUnacknowledgedOutage."),
    table(query(f"llm_status_incident_detection_lead_seconds{{{S}}}", table=True),
          query(f"llm_status_incident_info{{{S}}}", table=True),
          title="Incident detection lead", unit="s", w=12, h=8,
          transformations=[merge(), organize({"source": "Status page", "incident": "Incident", "name": "Name",
                                              "impact": "Impact", "Value #A": "Lead"},
                                             hide=("Time", "__name__", "Value #B"))],
          description="Each unresolved incident a covering page reports, and how long before the vendor declared "
                      "it the exporter's polls and probes of the covered sources began failing (positive: seen "
                      "first). Empty lead: no failure around it."),
    timeseries(query(f"sum by (source) (increase(llm_source_request_failures_total{{{S},reason=\"credit_exhausted\"}}"
                     f"[$__rate_interval]) or increase(llm_probe_failures_total{{{S},reason=\"credit_exhausted\"}}"
                     f"[$__rate_interval]))", "{{source}}"),
               title="Refused for credit", unit="short", w=24, h=6, bars=True,
               description="Calls each source refused because the account, key or budget has no money left (402, "
                           "OpenAI's insufficient_quota, Anthropic's credit balance, LiteLLM's budget_exceeded). "
                           "Money, not an outage: LLMCreditExhausted, and the source stays up."),
]

accounts = [
    stat(query(f"llm_proxy_up{{{S}}}", "{{source}}"), title="Proxy up", unit="none", w=4, h=8,
         mappings=UP_DOWN, thresholds=GOOD_HIGH, color_mode="background",
         description="The proxy's own /health says ok (llm_proxy_up)."),
    bargauge(query(f"sum by (source, state) (llm_proxy_accounts{{{S}}})", "{{source}}: {{state}}"),
             title="Accounts by state", unit="short", w=6, h=8, thresholds=NEUTRAL,
             description="better-ccflare's accounts: available, rate limited and paused."),
    state_timeline(query(f"llm_proxy_account_rate_limited{{{S}}}", "{{source}} / {{account}}"),
                   title="Account rate limited", unit="none", w=14, h=8,
                   mappings=value_map({0: ("ok", "green"), 1: ("rate limited", "red")}),
                   description="When each account was rate limited by its vendor. The proxy routes around it "
                               "until the limit resets."),
    table(query(f"clamp_min(max by (source, account) (llm_proxy_account_rate_limited_until_timestamp_seconds{{{S}}})"
                f" - time(), 0) or max by (source, account) (llm_proxy_account_rate_limited{{{S}}}) * 0",
                table=True),
          title="Rate-limit resets in", unit="s", w=12, h=7,
          transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True},
                                                          "renameByName": {"Value": "Resets in", "source": "Source",
                                                                           "account": "Account"}}}],
          sort_by="Resets in", descending=True,
          description="Time until each rate-limited account's limit resets; 0 for an account that is not limited."),
    bargauge(query(f"llm_proxy_account_token_expiry_timestamp_seconds{{{S}}} - time()", "{{source}} / {{account}}"),
             title="Token expires in", unit="s", w=12, h=7,
             thresholds=steps(("red", None), ("orange", DAY), ("green", 7 * DAY)),
             description="Time until each account's OAuth token expires; LLMProxyAccountTokenExpiring fires "
                         "before it does."),
]

upstreams = [
    timeseries(query(f"llm_upstream_endpoints_up{{{S}}}", "{{model}} up"),
               query(f"llm_upstream_endpoints{{{S}}}", "{{model}} listed"),
               title="Upstream endpoints up per watched model", unit="short", w=8, h=9,
               description="For each model whose OpenRouter upstreams are watched (the source's endpoints: block): "
                           "the upstream providers listed, and how many are serving. None serving for 10 minutes "
                           "is LLMUpstreamAllEndpointsDown."),
    timeseries(query(f'llm_upstream_endpoint_uptime_ratio{{{S},window="30m"}}', "{{model}} via {{upstream}}"),
               title="Upstream uptime (30m)", unit="percentunit", w=8, h=9, legend_calcs=("lastNotNull", "min"),
               description="Share of requests each upstream served over the last 30 minutes, as OpenRouter "
                           "reports it. LLMUpstreamUptimeLow fires when a model's best upstream stays under 90%."),
    timeseries(query(f'llm_upstream_endpoint_latency_seconds{{{S},quantile="0.5"}}', "{{model}} via {{upstream}}"),
               title="Upstream latency p50", unit="s", w=8, h=9, legend_calcs=("lastNotNull", "max"),
               description="Median time to first token of each upstream over the last 30 minutes (OpenRouter's "
                           "latency_last_30m, documented in milliseconds, shown in seconds)."),
    state_timeline(query(f"llm_upstream_endpoint_up{{{S}}}", "{{model}} via {{upstream}}"),
                   title="Upstream endpoint up over time", unit="none", h=9, mappings=UP_DOWN, thresholds=GOOD_HIGH,
                   description="Each upstream endpoint's status as OpenRouter lists it: up when its status is 0, "
                               "down when negative (llm_upstream_endpoint_status_code keeps the code)."),
]

probes = [
    state_timeline(query(f"llm_probe_success{{{S}}}", "{{source}} / {{model}}"), title="Last probe result",
                   unit="none", w=12, h=8, mappings=value_map({0: ("failed", "red"), 1: ("ok", "green")}),
                   description="Outcome of each model's last synthetic probe, a tiny real streamed request. "
                               "LLMProbeFailing fires after three failures in a row."),
    timeseries(query(f"sum by (reason) (increase(llm_probe_failures_total{{{S}}}[$__rate_interval]))",
                     "{{reason}}"),
               query(f"sum by (reason) (increase(llm_probes_skipped_total{{{S}}}[$__rate_interval]))",
                     "skipped: {{reason}}"),
               title="Probe failures by reason", unit="short", w=12, h=8, bars=True, stacked=True,
               description="Failed probes by reason (the poll reasons plus empty_response and overloaded), and "
                           "probes not made: "
                           "source_down, budget (today's budget is spent) or overlap."),
    timeseries(query(f"llm_probe_ttft_seconds{{{S}}}", "{{source}} / {{model}}"),
               title="Probe time to first token", unit="s", w=6, h=8, legend_calcs=("lastNotNull", "max"),
               description="Time from sending each model's last successful probe to its first content token. "
                           "LLMProbeSlowFirstToken fires above the target's slow_first_token."),
    timeseries(query(f"llm_probe_output_tokens_per_second{{{S}}}", "{{source}} / {{model}}"),
               title="Probe output tokens per second", unit="suffix: tok/s", w=6, h=8,
               description="Output tokens after the first, per second after the first token, of each model's last "
                           "successful probe."),
    timeseries(query(f"source_model:llm_probe_success:ratio_rate1h{{{S}}}", "{{source}} / {{model}}"),
               title="Probe success ratio, last hour", unit="percentunit", w=6, h=8,
               description="Share of each model's probes that succeeded over the last hour (recording rule "
                           "source_model:llm_probe_success:ratio_rate1h)."),
    timeseries(query(f"source_model:llm_probe_duration_seconds:p95_1h{{{S}}}", "{{source}} / {{model}}"),
               title="Probe duration p95, last hour", unit="s", w=6, h=8,
               description="95th percentile of successful probes' duration over the last hour, from the "
                           "llm_probe_duration_seconds_histogram buckets (recording rule)."),
    bargauge(query(f"llm:ratelimit_headroom:ratio{{{S}}}", "{{source}} / {{model}}: {{kind}}"),
             title="Rate-limit headroom", unit="percentunit", w=8, h=8,
             thresholds=steps(("red", None), ("orange", 0.1), ("green", 0.25)),
             description="Share of each rate limit left at the last probe (remaining / limit, from the vendor's "
                         "rate-limit headers). LLMRateLimitHeadroomLow fires under 10% for 10 minutes."),
    table(query(f"llm_probe_response_model_info{{{S}}}", table=True),
          title="What answers the probes", unit="none", w=12, h=8,
          transformations=[{"id": "organize", "options": {
              "excludeByName": {"Time": True, "__name__": True, "Value": True},
              "renameByName": {"source": "Source", "model": "Model", "response_model": "Answered as",
                               "fingerprint": "Fingerprint"}}}],
          description="The model name and system_fingerprint the vendor reported in each model's last successful "
                      "probe. A change is LLMModelResponseChanged: time to rerun your evaluation."),
    timeseries(query(f"source_model:llm_live_ttft_seconds:p95_5m{{{S}}}", "live p95 {{source}} / {{model}}"),
               query(f"llm_probe_ttft_seconds{{{S}}}", "probe {{source}} / {{model}}"),
               title="Time to first token: real calls and probes", unit="s", w=12, h=8,
               description="The 95th percentile of real calls' first-token time over 5 minutes (LiteLLM spend logs, "
                           "ledger lines), beside each probe's last. Real calls slower than the probes point at "
                           "your prompts or the load; both slow, at the vendor. LLMLiveLatencyHigh fires over 5 s."),
    timeseries(query(f"sum by (source, requested, served) (increase(llm_live_substitutions_total{{{S}}}"
                     f"[$__rate_interval]))", "{{requested}} answered by {{served}}"),
               title="Substituted calls", unit="short", w=12, h=8, bars=True,
               description="Real calls another model answered than the one asked for: a proxy's fallback or a "
                           "misroute, never an alias. LLMModelSubstituted says so."),
    stat(query("llm_probe_budget_remaining_usd"), title="Probe budget left today", unit="currencyUSD", w=4,
         h=4, decimals=4, description="What is left of probes.daily_budget_usd this UTC day; paid models are "
                                      "not probed once it is spent."),
]

dashboard = dashboard(
    "health",
    description="Outage triage: sources, providers, vendors' status pages and proxy accounts.",
    sections=[("Sources", sources), ("Providers", providers), ("Vendor status pages", status_pages),
              ("Upstream providers (OpenRouter)", upstreams), ("Proxy accounts (better-ccflare, LiteLLM)", accounts),
              ("Synthetic probes", probes)],
)
