"""Cost: where the money goes and where it could go instead. Spend by model, provider and task
from the usage ledger, budgets and their forecasts, the vendors' own spend reports, prices,
the cheapest model per class over time, and the savings the recommender finds."""

from house import (
    BUDGET,
    NEUTRAL,
    SP,
    P,
    S,
    bargauge,
    column_unit,
    dashboard,
    gauge,
    merge,
    organize,
    query,
    state_timeline,
    steps,
    table,
    timeseries,
    value_map,
)

PER_HOUR = 3600
PER_MILLION = "1e6"


def spend_rate(by: str) -> str:
    return f"sum by ({by}) (rate(llm_usage_cost_usd_total{{{P}}}[$__rate_interval])) * {PER_HOUR}"


over_time = [
    timeseries(query(spend_rate("model"), "{{model}}"), title="Spend rate by model", unit="currencyUSD", w=8,
               stacked=True, legend_calcs=("mean", "max"),
               description="Spend in USD per hour, by model, of the calls the usage ledger and LiteLLM's spend logs "
                           "recorded: the call's own cost, else priced from the catalog when read."),
    timeseries(query(spend_rate("provider"), "{{provider}}"), title="Spend rate by provider", unit="currencyUSD",
               w=8, stacked=True, legend_calcs=("mean", "max"),
               description="Ledger spend in USD per hour, by the provider that served the call."),
    timeseries(query(spend_rate("task"), "{{task}}"), title="Spend rate by task", unit="currencyUSD", w=8,
               stacked=True, legend_calcs=("mean", "max"),
               description="Ledger spend in USD per hour, by the task your application tagged the call with."),
    timeseries(query(f"sum by (provider, model) (rate(llm_usage_failures_total{{{P}}}[$__rate_interval])) "
                     f"/ sum by (provider, model) (rate(llm_usage_requests_total{{{P}}}[$__rate_interval]))",
                     "{{provider}} / {{model}}"),
               title="Ledger call failure ratio by model", unit="percentunit", w=24, h=7,
               description="Share of the ledger's calls that failed (success: false), per provider and model; "
                           "no value where a model had no calls. LLMHighFailureRatio fires over 10%."),
]

totals = [
    bargauge(query(f"sum by (model) (provider_model:llm_usage_cost_usd:increase1d{{{P}}})", "{{model}}"),
             title="Spend by model, last 24 hours", unit="currencyUSD", w=6, h=9, thresholds=NEUTRAL,
             description="Ledger spend per model over the last 24 hours (recording rule "
                         "provider_model:llm_usage_cost_usd:increase1d)."),
    bargauge(query(f"sum by (provider) (provider_model:llm_usage_cost_usd:increase1d{{{P}}})", "{{provider}}"),
             title="Spend by provider, last 24 hours", unit="currencyUSD", w=6, h=9, thresholds=NEUTRAL,
             description="Ledger spend per provider over the last 24 hours."),
    bargauge(query("task:llm_usage_cost_usd:increase1d", "{{task}}"),
             title="Spend by task, last 24 hours", unit="currencyUSD", w=6, h=9, thresholds=NEUTRAL,
             description="Ledger spend per task over the last 24 hours (recording rule "
                         "task:llm_usage_cost_usd:increase1d)."),
    bargauge(query(f'llm_spend_usd{{{S},window="month"}}', "{{source}}"),
             title="Vendor-reported spend this month", unit="currencyUSD", w=6, h=9, thresholds=NEUTRAL,
             description="This UTC month's spend as the vendors' own usage and cost APIs report it "
                         "(llm_spend_usd): a check on the ledger."),
]

# OpenRouter's activity: what the account spent per model this month, over completed days.
activity = [
    bargauge(query(f'sum by (model) (llm_vendor_model_spend_usd{{{S},kind="credits"}})', "{{model}}"),
             title="OpenRouter spend by model this month", unit="currencyUSD", w=8, h=9, thresholds=NEUTRAL,
             description="USD of OpenRouter credits spent per model over this UTC month's completed days "
                         "(OpenRouter's /activity, read with a management key; today is not in it yet)."),
    bargauge(query(f'sum by (model) (llm_vendor_model_spend_usd{{{S},kind="byok"}})', "{{model}}"),
             title="OpenRouter BYOK inference by model this month", unit="currencyUSD", w=8, h=9,
             thresholds=NEUTRAL,
             description="USD of inference billed to your own provider keys (BYOK) through OpenRouter, per model, "
                         "this month's completed days."),
    bargauge(query(f"sum by (model) (llm_vendor_usage_requests{{{S}}})", "{{model}}"),
             title="OpenRouter requests by model this month", unit="short", w=8, h=9, thresholds=NEUTRAL,
             description="Requests per model over this UTC month's completed days, from OpenRouter's activity."),
]

balances = [
    bargauge(query(f"llm_account_balance{{{S}}} / on (source, currency) llm_account_balance_alert_threshold",
                   "{{source}} ({{currency}})"),
             title="Balance over its alert threshold", unit="percentunit", w=8, h=8, low=0, high=3,
             thresholds=steps(("red", None), ("orange", 1), ("green", 1.5)),
             description="Each balance as a share of its source's balance_alert_threshold: below 100% "
                         "LLMBalanceLow fires. Sources without a threshold are not shown."),
    timeseries(query(f"llm_account_balance{{{S}}}", "{{source}} ({{currency}})"),
               title="Balances over time", unit="short", w=16, h=8,
               description="Remaining balance or credit per source, in its currency. The slope is what "
                           "LLMBalanceExhaustionForecast projects; a jump up is a top-up."),
]

keys = [
    bargauge(query(f"1 - llm_key_limit_remaining_usd{{{S}}} / (llm_key_limit_usd{{{S}}} > 0)",
                   "{{source}} {{kind}} {{key}}"),
             title="Key credit used", unit="percentunit", w=8, h=8, low=0, high=1,
             thresholds=steps(("green", None), ("yellow", 0.5), ("orange", 0.8), ("red", 0.95)),
             description="Share of each key's (or LiteLLM team's) limit used. LLMKeyCreditLow fires at the highest "
                         "threshold crossed (50%, 80%, 95% by default), once per key."),
    table(query(f"llm_key_limit_usd{{{S}}}", table=True), query(f"llm_key_limit_remaining_usd{{{S}}}", table=True),
          query(f"llm_key_expiry_timestamp_seconds{{{S}}} - time()", table=True),
          title="Keys: limit, left and expiry", unit="none", w=16, h=8,
          transformations=[merge(), organize({"source": "Source", "kind": "Kind", "key": "Key", "Value #A": "Limit",
                                              "Value #B": "Left", "Value #C": "Expires in"},
                                             hide=("Time", "__name__"))],
          overrides=[column_unit("Limit", "currencyUSD"), column_unit("Left", "currencyUSD"),
                     column_unit("Expires in", "s")],
          sort_by="Left",
          description="Every key and team of the sources with keys: true: its limit, what is left and when it "
                      "expires. A key without a limit shows none; LLMKeyExpiringSoon fires 7 days ahead."),
    timeseries(query(f"source_model:llm_live_cache_hits:ratio_rate1h{{{S}}}", "{{source}} / {{model}}"),
               title="Cache-hit ratio of real calls", unit="percentunit", w=24, h=7,
               description="Share of real calls a cache answered over the last hour (spend-log rows' cache_hit, "
                           "ledger lines' cache_hit): calls that cost nothing and came back at once."),
]

budgets = [
    gauge(query('llm_budget_spent_usd{period="month"} / on (budget, period) llm_budget_limit_usd', "{{budget}}"),
          title="Month to date against budget", unit="percentunit", w=8, thresholds=BUDGET, high=1,
          description="Spend of each monthly budget so far this UTC month, as a share of its limit. "
                      "LLMBudgetExceeded fires at 100%."),
    gauge(query('llm_budget_forecast_usd / on (budget, period) llm_budget_limit_usd', "{{budget}} ({{period}})"),
          title="Forecast against budget", unit="percentunit", w=8, thresholds=BUDGET, high=1,
          description="Each budget's linear projection to the end of its period, as a share of its limit "
                      "(absent in a period's first hour). LLMBudgetForecastExceeded fires above 100%."),
    table(query("llm_budget_spent_usd", table=True), query("llm_budget_forecast_usd", table=True),
          query("llm_budget_limit_usd", table=True),
          title="Budgets", unit="currencyUSD", w=8, h=6,
          transformations=[merge(), organize({"Value #A": "Spent", "Value #B": "Forecast", "Value #C": "Limit",
                                              "budget": "Budget", "period": "Period"},
                                             order=("budget", "period", "Value #A", "Value #B", "Value #C"))],
          sort_by="Budget",
          description="Spent, forecast and limit of every budget in its current UTC period."),
    timeseries(query("llm_budget_forecast_usd", "{{budget}} forecast"),
               query("llm_budget_limit_usd", "{{budget}} limit"),
               title="Budget forecasts over time", unit="currencyUSD", w=24, h=8,
               description="How each budget's end-of-period forecast moved, against its limit."),
]

prices = [
    table(query(f'max by (source, provider, model) (llm_model_price_usd_per_token{{{SP},token_type="input"}}) '
                f"* {PER_MILLION}", table=True),
          query(f'max by (source, provider, model) (llm_model_price_usd_per_token{{{SP},token_type="output"}}) '
                f"* {PER_MILLION}", table=True),
          title="Model prices", unit="currencyUSD", w=24, h=10,
          transformations=[merge(), organize({"Value #A": "Input per 1M tokens", "Value #B": "Output per 1M tokens",
                                              "source": "Source", "provider": "Provider", "model": "Model"},
                                             order=("model", "provider", "source", "Value #A", "Value #B"))],
          overrides=[column_unit("Input per 1M tokens", "currencyUSD", decimals=3),
                     column_unit("Output per 1M tokens", "currencyUSD", decimals=3)],
          sort_by="Input per 1M tokens",
          description="Input and output price of every priced model, in USD per million tokens. Click a column "
                      "header to sort; models with dynamic or unknown prices are not listed."),
]

routing = [
    state_timeline(query("llm_cheapest_model_info", "{{class}}: {{model}} @ {{source}}"),
                   title="Cheapest model per class over time", unit="none", h=9,
                   mappings=value_map({1: ("cheapest", "green")}),
                   description="Which (source, model) was the cheapest eligible one of each capability class, "
                               "and when it changed. A provider's outage hands the class to the next cheapest."),
    timeseries(query(f"llm_cheapest_price_usd_per_token * {PER_MILLION}", "{{class}}"),
               title="Cheapest weighted price per class", unit="currencyUSD", w=12,
               description="The winning model's weighted price per class, in USD per million tokens."),
    timeseries(query("sum by (class) (increase(llm_cheapest_model_changes_total[$__rate_interval]))", "{{class}}"),
               title="Cheapest-model changes", unit="short", w=12, bars=True,
               description="How often the cheapest model of each class changed (LLMCheapestModelChanged)."),
    table(query("llm_recommendation_savings_usd_per_month", table=True),
          title="Savings recommendations", unit="currencyUSD", w=24, h=7,
          transformations=[organize({"Value": "Savings per month", "task": "Task", "current_model": "Current model",
                                     "suggested_model": "Suggested model"}, hide=("Time", "__name__"),
                                    order=("task", "current_model", "suggested_model", "Value"))],
          sort_by="Savings per month", descending=True,
          description="For each task, the cheaper model the recommender suggests and what switching would save "
                      "per month at the current volume. /api/recommendations explains each one."),
]

dashboard = dashboard(
    "cost",
    description="Spend, balances, budgets, prices, the cheapest model per class, and savings recommendations.",
    sections=[("Spend over time (usage ledger and LiteLLM spend logs)", over_time), ("Totals", totals),
              ("OpenRouter activity", activity), ("Balances", balances), ("API keys and cache", keys),
              ("Budgets", budgets),
              ("Prices", prices), ("Routing and savings", routing)],
)
