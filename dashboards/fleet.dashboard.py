"""Fleet: the at-a-glance view an on-call engineer opens first. Is anything down, is money
running out, what is the cheapest model right now, and is anything firing? Every number
links to the dashboard that explains it."""

from house import (
    BAD_HIGH,
    BUDGET,
    NEUTRAL,
    SP,
    S,
    bargauge,
    column_unit,
    dashboard,
    gauge,
    organize,
    panel_link,
    piechart,
    query,
    stat,
    steps,
    table,
)

now = [
    stat(query(f"sum(llm_source_up{{{S}}})"), title="Sources up", unit="short", thresholds=NEUTRAL,
         description="Sources whose last poll succeeded at every endpoint (llm_source_up).",
         links=[panel_link("health", "Health")]),
    stat(query(f"count(llm_source_up{{{S}}} == 0) or vector(0)"), title="Sources down", unit="short",
         thresholds=BAD_HIGH, color_mode="background",
         description="Sources whose last poll failed at some endpoint. The health dashboard shows the reason.",
         links=[panel_link("health", "Health")]),
    stat(query('count(ALERTS{alertstate="firing"}) or vector(0)'), title="Firing alerts", unit="short",
         thresholds=BAD_HIGH, color_mode="background",
         description="Alerts of the bundle's rules firing now, from Prometheus's ALERTS series."),
    stat(query(f"sum(llm_models{{{SP}}})"), title="Models", unit="short",
         description="Models in the catalogs of the selected sources and providers (llm_models).",
         links=[panel_link("capability", "Capability")]),
    stat(query(f"sum(llm_models_free{{{SP}}})"), title="Free models", unit="short", thresholds=steps(("green", None)),
         description="Models that cost nothing (llm_models_free). Free models come and go; the capability "
                     "dashboard shows when.",
         links=[panel_link("capability", "Capability")]),
    stat(query(f"max(time() - llm_source_last_success_timestamp_seconds{{{S}}})"), title="Oldest data",
         unit="s", thresholds=steps(("green", None), ("orange", 900), ("red", 3600)),
         description="Age of the oldest last successful poll among the selected sources."),
]

health = [
    piechart(query(f"sum by (state) (llm_provider_health{{{SP}}})", "{{state}}", instant=True),
             title="Providers by health state", unit="short", w=8, donut=True,
             description="Providers in each health state (llm_provider_health). Down or degraded ones are on the "
                         "health dashboard."),
    bargauge(query(f"llm_account_balance{{{S}}} / on (source, currency) llm_account_balance_alert_threshold",
                   "{{source}} ({{currency}})"),
             title="Balance over its alert threshold", unit="percentunit", w=8, low=0, high=3,
             thresholds=steps(("red", None), ("orange", 1), ("green", 1.5)),
             description="Each balance as a share of its source's balance_alert_threshold: below 100% the "
                         "LLMBalanceLow alert fires. Sources without a threshold are not shown."),
    table(query(f"llm_account_balance{{{S}}}", table=True),
          query(f"llm_account_balance_alert_threshold{{{S}}}", table=True),
          title="Balances", unit="short", w=8,
          transformations=[{"id": "merge", "options": {}},
                           organize({"Value #A": "Balance", "Value #B": "Alert threshold", "source": "Source",
                                     "currency": "Currency"}, hide=("Time",),
                                    order=("source", "currency", "Value #A", "Value #B"))],
          sort_by="Balance",
          description="Remaining balance or credit per source and currency, next to its alert threshold "
                      "(empty where none is set)."),
]

money = [
    gauge(query('llm_budget_spent_usd{period="day"} / on (budget, period) llm_budget_limit_usd', "{{budget}}"),
          title="Spend today against budget", unit="percentunit", w=8, thresholds=BUDGET, high=1,
          description="Spend of each daily budget so far this UTC day, as a share of its limit."),
    gauge(query('llm_budget_spent_usd{period="month"} / on (budget, period) llm_budget_limit_usd', "{{budget}}"),
          title="Spend month to date against budget", unit="percentunit", w=8, thresholds=BUDGET, high=1,
          description="Spend of each monthly budget so far this UTC month, as a share of its limit.",),
    stat(query(f'sum(llm_spend_usd{{{S},window="month"}})'), title="Vendor-reported spend this month",
         unit="currencyUSD", w=8, h=6, links=[panel_link("cost", "Cost")], decimals=2,
         description="This month's spend as the vendors' own usage and cost APIs report it (llm_spend_usd)."),
]

cheapest = [
    table(query("class_model:llm_cheapest_price_usd_per_token:fleet_min * 1e6", table=True),
          title="Cheapest model per class", unit="currencyUSD", w=24, h=7,
          transformations=[organize({"class": "Class", "source": "Source", "provider": "Provider",
                                     "model": "Model", "Value": "Weighted price per 1M tokens"},
                                    hide=("Time", "__name__", "job", "instance"),
                                    order=("class", "model", "source", "provider"))],
          overrides=[column_unit("Weighted price per 1M tokens", "currencyUSD", decimals=3)],
          sort_by="Class",
          description="The cheapest eligible model of each capability class, among healthy providers, and its "
                      "weighted price (see the README's catalog intelligence): fleet-wide, over every shard's "
                      "winner when shards split the sources (recording rule "
                      "class_model:llm_cheapest_price_usd_per_token:fleet_min)."),
]

dashboard = dashboard(
    "fleet",
    description="The whole LLM fleet at a glance: sources, provider health, balances, budgets, the cheapest "
                "models and firing alerts.",
    sections=[(None, now), ("Health and money", health), ("Budgets", money), ("Routing", cheapest)],
)
