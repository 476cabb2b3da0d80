"""Capability: what the fleet can do and what it offers for free. Which providers and models
have tools, vision, reasoning or image generation, how large their context windows are, and
how the catalogs change, free models above all."""

from house import (
    NEUTRAL,
    PROVIDER_CAPABILITIES,
    SP,
    YES_NO,
    S,
    bargauge,
    dashboard,
    matrix,
    organize,
    piechart,
    query,
    steps,
    table,
    timeseries,
)

MODEL_CAPABILITIES = "tools|vision|reasoning|image_generation"
# Context-window bands, in tokens, for the distribution
BANDS = ((None, 8192, "up to 8k"), (8192, 32768, "8k to 32k"), (32768, 131072, "32k to 128k"),
         (131072, 524288, "128k to 512k"), (524288, None, "over 512k"))


def band(low: int | None, high: int | None) -> str:
    series = f"llm_model_context_length_tokens{{{SP}}}"
    if low is not None:
        series = f"({series} > {low})"
    if high is not None:
        series = f"{series} <= {high}"
    return f"count({series}) or vector(0)"


matrices = [
    table(query(f'label_join(max by (source, provider, capability) (llm_provider_capability{{{SP}}}), '
                f'"provider_at", " @ ", "provider", "source")', table=True),
          title="Provider capabilities by provider", unit="none", w=10, h=10, mappings=YES_NO, cell="color-text",
          transformations=[matrix("provider_at", "capability")],
          description="Streaming, function calling, vision and image generation per provider, as each source "
                      "reports them (llm_provider_capability)."),
    table(query(f'label_join(max by (source, model, capability) (llm_model_capability{{{SP},'
                f'capability=~"{MODEL_CAPABILITIES}"}}), "model_at", " @ ", "model", "source")', table=True),
          title="Model capabilities by model", unit="none", w=14, h=10, mappings=YES_NO, cell="color-text",
          transformations=[matrix("model_at", "capability")],
          description="Tools, vision, reasoning and image generation per model, as far as its source can tell "
                      "(llm_model_capability). An empty cell means the source does not say."),
]

pies = [
    piechart(query(f'sum(llm_provider_capability{{{SP},capability="{cap}"}})', "supported"),
             query(f'count(llm_provider_capability{{{SP},capability="{cap}"}}) - '
                   f'sum(llm_provider_capability{{{SP},capability="{cap}"}})', "not supported"),
             title=f"{name} support", unit="short", w=6,
             description=f"Providers that support {name.lower()} and those that do not.")
    for cap, name in PROVIDER_CAPABILITIES
]

catalog = [
    bargauge(*(query(band(low, high), label) for low, high, label in BANDS),
             title="Context lengths", unit="short", w=8, h=9, thresholds=NEUTRAL,
             description="How many models have a context window in each band (llm_model_context_length_tokens)."),
    bargauge(query(f"sum by (source) (llm_models_free{{{SP}}})", "{{source}} free"),
             query(f"sum by (source) (llm_models{{{SP}}}) - sum by (source) (llm_models_free{{{SP}}})",
                   "{{source}} paid"),
             title="Free and paid models per source", unit="short", w=8, h=9, thresholds=NEUTRAL,
             description="Models in each source's catalog, split into free and paid."),
    table(query(f"llm_model_first_seen_timestamp_seconds{{{SP}}} "
                f"and on (source, provider, model) (llm_model_free{{{SP}}} == 1)", table=True),
          title="Free models and when they appeared", unit="dateTimeFromNow", w=8, h=9,
          transformations=[{"id": "organize", "options": {
              "excludeByName": {"Time": True, "__name__": True},
              "renameByName": {"Value": "First seen", "source": "Source", "provider": "Provider",
                               "model": "Model"}}}],
          sort_by="First seen", descending=True,
          description="Every free model now in a catalog, newest first, with the time this exporter first saw "
                      "it (kept across restarts)."),
    timeseries(query(f"sum by (change) (increase(llm_catalog_changes_total{{{S}}}[$__rate_interval]))", "{{change}}"),
               title="Catalog changes", unit="short", bars=True, stacked=True,
               description="Models added, removed, repriced, made free or no longer free, between consecutive "
                           "successful polls."),
    timeseries(query(f"sum by (change) (increase(llm_catalog_free_changes_total{{{S}}}[$__rate_interval]))",
                     "free {{change}}"),
               title="Free-model changes", unit="short", bars=True, stacked=True,
               description="Free models added (new, or became free) and removed (delisted, or no longer free): "
                           "what LLMFreeModelAdded and LLMFreeModelRemoved announce."),
]

DAY = 86400
retirements = [
    table(query(f"llm_model_retirement_timestamp_seconds{{{SP}}} * 1000", table=True),
          title="Retiring models", unit="dateTimeAsIso", w=12, h=8,
          transformations=[{"id": "organize", "options": {
              "excludeByName": {"Time": True, "__name__": True},
              "renameByName": {"Value": "Retires", "source": "Source", "provider": "Provider", "model": "Model"}}}],
          sort_by="Retires",
          description="Every model whose catalog gives a retirement date (OpenRouter expiration_date, OpenAI "
                      "shutdown_date, Mistral deprecation, LiteLLM deprecation_date), soonest first. "
                      "LLMModelRetiringInUse fires for those with traffic or a fleet role."),
    bargauge(query(f"llm_model_retirement_timestamp_seconds{{{SP}}} - time()", "{{source}} / {{model}}"),
             title="Time left before retirement", unit="s", w=6, h=8,
             thresholds=steps(("red", None), ("orange", 7 * DAY), ("green", 30 * DAY)),
             description="Time until each dated model is retired: red within a week, orange within 30 days."),
    table(query(f"llm_model_replacement_info{{{SP}}}", table=True),
          title="Replacements named by the vendor", unit="none", w=6, h=8,
          transformations=[{"id": "organize", "options": {
              "excludeByName": {"Time": True, "__name__": True, "Value": True},
              "renameByName": {"source": "Source", "provider": "Provider", "model": "Model",
                               "replacement": "Move to"}}}],
          description="The model a vendor names as the replacement of a retiring one (Mistral's "
                      "deprecation_replacement_model). Others: the vendor's deprecation page, or /api/route."),
]

liveness = [
    table(query(f"llm_model_unservable_reason_info{{{S}}}", table=True),
          title="Listed but not servable", unit="none", w=12, h=7,
          transformations=[organize({"source": "Source", "model": "Model", "reason": "Why"},
                                    hide=("Time", "__name__", "Value"))],
          description="Models a source still lists whose liveness checks are refused: end_of_life (the refusal "
                      "says end of life, deprecated, retired or shut down), not_found, gone (410). Routes never "
                      "pick them; LLMModelListedButDead fires for those in use."),
    timeseries(query(f"sum by (source) (increase(llm_liveness_checks_total{{{S}}}[$__rate_interval]))",
                     "{{source}}"),
               query(f"sum by (source, reason) (increase(llm_liveness_checks_skipped_total{{{S}}}[$__rate_interval]))",
                     "skipped {{source}} ({{reason}})"),
               title="Liveness checks", unit="short", w=12, h=7, bars=True,
               description="Liveness checks made (one call with max_tokens 1 per model every liveness.interval), "
                           "and those skipped: budget (the probes' daily budget is spent) or source_down."),
]

dashboard = dashboard(
    "capability",
    description="Capabilities of providers and models, context windows, free models and catalog changes.",
    sections=[("Capability matrix", matrices), ("Provider capabilities", pies), ("Catalog", catalog),
              ("Retirements", retirements), ("Models that no longer serve", liveness)],
)
