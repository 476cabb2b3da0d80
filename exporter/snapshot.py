"""Immutable records that a source's poll produces.

A snapshot is built once by a source and never changed; the engine swaps whole snapshots,
so collectors and JSON endpoints can read one without locks and never see half a poll.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

HEALTH_STATES = ("healthy", "degraded", "down", "unknown")
PROVIDER_CAPABILITIES = ("streaming", "function_calling", "vision", "image_generation")
MODEL_CAPABILITIES = ("tools", "vision", "image_generation", "reasoning", "structured_output")
TOKEN_TYPES = ("input", "output", "cache_read")
STATUS_INDICATORS = ("none", "minor", "major", "critical", "maintenance")
COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
SPEND_WINDOWS = ("day", "week", "month", "total")
PROXY_ACCOUNT_STATES = ("available", "paused", "rate_limited")


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    health: str = "unknown"
    active: bool = True
    response_time_seconds: float | None = None
    # Only the capabilities the source can tell; a missing key means "not reported".
    capabilities: tuple[tuple[str, bool], ...] = ()
    # A provider named after its source has no health of its own: it is healthy while
    # the source answers and down while it does not.
    follows_source: bool = False

    def state(self, source_up: bool) -> str:
        """The health to report: a provider that follows its source is healthy exactly while
        the source's last poll succeeded."""
        if self.follows_source:
            return "healthy" if source_up else "down"
        return self.health


@dataclass(frozen=True, slots=True)
class Model:
    provider: str
    id: str
    name: str
    # USD per token by token type; dynamic or unknown prices are simply absent.
    prices: tuple[tuple[str, Decimal], ...] = ()
    context_length: int | None = None
    free: bool = False
    # Only the capabilities the source can tell; a missing key means "not reported".
    capabilities: tuple[tuple[str, bool], ...] = ()
    # False only when the catalog says the model's output has no text (embeddings, image or
    # audio models); a catalog that does not say counts as text.
    text_output: bool = True
    # When the vendor says the model will be retired (unix seconds), and the model it names
    # as the replacement, where the catalog carries them.
    retires_at: float | None = None
    replacement: str | None = None

    def price(self, token_type: str) -> Decimal | None:
        return dict(self.prices).get(token_type)

    def capability(self, name: str) -> bool | None:
        """True or False as reported, None when the source does not report it."""
        return dict(self.capabilities).get(name)


def _preference(m: Model) -> tuple[int, int, int]:
    return (
        m.context_length if m.context_length is not None else -1,
        sum(1 for _, ok in m.capabilities if ok),
        len(m.prices),
    )


def unique_models(models: tuple[Model, ...]) -> tuple[Model, ...]:
    """One entry per (provider, id). Vendors sometimes list an id twice (Mistral lists
    `voxtral-mini-latest` as a chat and as a transcription model). The entry with the larger
    context wins, then the one with more supported capabilities, then more known prices, then
    the smaller display name: a rule that ignores list order, so a vendor that reshuffles its
    list cannot make the winner flap. The id keeps the position of its first entry."""
    best: dict[tuple[str, str], Model] = {}
    for m in models:
        key = (m.provider, m.id)
        held = best.get(key)
        if held is None:
            best[key] = m
            continue
        mine, theirs = _preference(m), _preference(held)
        if mine > theirs or (mine == theirs and m.name < held.name):
            best[key] = m
    return models if len(best) == len(models) else tuple(best.values())


@dataclass(frozen=True, slots=True)
class Money:
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BalancePart:
    currency: str
    kind: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Incident:
    """An unresolved incident a status page reports (Atlassian's incidents[])."""

    id: str
    name: str
    impact: str  # none, minor, major, critical (the vendor's own grading, free of the indicator)
    created_at: float  # unix seconds: when the vendor declared it


@dataclass(frozen=True, slots=True)
class StatusPage:
    indicator: str
    components: tuple[tuple[str, str], ...] = ()
    incidents: tuple[Incident, ...] = ()

    @property
    def green(self) -> bool:
        """Whether the page admits nothing: no indicator and every component operational."""
        return self.indicator == "none" and all(state == "operational" for _, state in self.components)


@dataclass(frozen=True, slots=True)
class GatewayzStats:
    """GatewayZ's own counts from /providers/stats, kept verbatim for the gatewayz_* family."""

    total: int
    active: int
    inactive: int
    healthy: int
    degraded: int
    down: int
    unknown: int
    # slug -> average response time in milliseconds as GatewayZ reports it
    response_times_ms: tuple[tuple[str, float], ...] = ()
    # slug -> unix seconds of GatewayZ's last health check of that provider, where it reports one
    last_health_checks: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class ProxyAccount:
    name: str
    state: str
    rate_limited_until: float | None = None
    token_expires_at: float | None = None
    total_requests: int | None = None


@dataclass(frozen=True, slots=True)
class ProxyStatus:
    up: bool
    accounts: tuple[ProxyAccount, ...] = ()
    window_days: int = 30
    requests: float | None = None
    tokens: float | None = None
    cost_usd: Decimal | None = None
    success_ratio: float | None = None
    response_time_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class LoadedModel:
    model: str
    vram_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class Upstream:
    """One upstream provider serving a model behind a router (an OpenRouter endpoint)."""

    id: str  # the `upstream` label: the endpoint's tag, e.g. deepinfra/fp8
    provider_name: str
    quantization: str = ""
    status: int | None = None  # the router's raw status: 0 serving, negative not
    uptime: tuple[tuple[str, float], ...] = ()  # (window, ratio 0-1); null windows absent
    latency_seconds: tuple[tuple[str, float], ...] = ()  # (quantile, seconds)
    throughput: tuple[tuple[str, float], ...] = ()  # (quantile, tokens per second)
    prices: tuple[tuple[str, Decimal], ...] = ()  # (input | output, USD per token)

    @property
    def up(self) -> bool:
        return self.status is None or self.status >= 0


@dataclass(frozen=True, slots=True)
class UpstreamModel:
    """A watched model and the upstream endpoints the router lists for it."""

    model: str
    upstreams: tuple[Upstream, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    """One LLM call for the usage book: a ledger line (spend/events.py reads those) or a row
    of a gateway's log."""

    ts: float
    provider: str
    model: str
    task: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: Decimal | None = None
    success: bool = True
    duration_seconds: float | None = None
    # What the call's user felt, where the log says it (the llm_live_* families): the time to
    # the first token of a streamed call, and whether a cache answered.
    ttft_seconds: float | None = None
    cache_hit: bool | None = None
    # The model the caller asked for and the one that answered, when they differ by more than
    # an alias (a fallback, a misroute): a substitution.
    requested_model: str | None = None
    served_model: str | None = None


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One call a gateway logged (a LiteLLM spend-log row): its event and the gateway's id."""

    request_id: str
    event: Event


@dataclass(frozen=True, slots=True)
class Sweep:
    """One read of the calls a usage feed logged that started within [start, end] (unix
    seconds), page by page; `page` is the next page to ask for (from 1)."""

    start: float
    end: float
    page: int = 1


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of a usage feed's answer, its rows oldest first."""

    rows: tuple[UsageRow, ...]
    next: Sweep | None  # None: the sweep's window is read to its end
    # Set when the answer held only the newest calls of its window (LiteLLM's deprecated path
    # caps a read at 10,000 rows): the oldest call it held, which the feed's cursor must not pass.
    hold: float | None = None


@dataclass(frozen=True, slots=True)
class Deployment:
    """A deployment a proxy routes a model group to (a row of LiteLLM's /model/info): the
    group callers name, the model it calls upstream (`openai/gpt-4o`) and that model's provider."""

    group: str
    model: str
    provider: str  # "" when /model/info does not say


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key (or LiteLLM team) and its credit, as the vendor reports it. `name` is what
    the vendor shows for it (its name, label or alias): never the key, never its hash."""

    kind: str  # key | team
    name: str
    limit_usd: Decimal | None = None  # None: no limit (or a sentinel for none)
    usage: tuple[tuple[str, Decimal], ...] = ()  # window (total, day, week, month, budget_period) -> USD
    remaining_usd: Decimal | None = None
    disabled: bool = False
    expires_at: float | None = None
    limit_reset: str | None = None  # how often the limit resets (OpenRouter: daily, weekly, monthly)
    budget_reset_at: float | None = None  # when the budget period's spend resets next (LiteLLM)


@dataclass(frozen=True, slots=True)
class Snapshot:
    providers: tuple[Provider, ...] = ()
    models: tuple[Model, ...] = ()
    balances: tuple[Money, ...] = ()
    credit_limits: tuple[Money, ...] = ()
    balance_breakdown: tuple[BalancePart, ...] = ()
    account_available: bool | None = None
    # USD spent per window as the vendor reports it
    spend: tuple[tuple[str, Decimal], ...] = ()
    # Tokens this month by (model, token_type), from a vendor's usage report
    vendor_usage: tuple[tuple[tuple[str, str], int], ...] = ()
    # Requests and USD by (model, kind: credits | byok) this month, from OpenRouter's activity
    vendor_requests: tuple[tuple[str, int], ...] = ()
    vendor_model_spend: tuple[tuple[tuple[str, str], Decimal], ...] = ()
    # The deployments behind a proxy's model groups (LiteLLM), for what its usage feed logs
    deployments: tuple[Deployment, ...] = ()
    # Every API key (and LiteLLM team) and its credit, where the source reads them (keys: true)
    keys: tuple[ApiKey, ...] = ()
    status_page: StatusPage | None = None
    gatewayz: GatewayzStats | None = None
    proxy: ProxyStatus | None = None
    ollama_installed: tuple[str, ...] = ()
    # Installed models that run on ollama.com rather than on this machine.
    ollama_cloud: tuple[str, ...] = ()
    ollama_loaded: tuple[LoadedModel, ...] = ()
    # True when the source lists a model catalog, so an empty one is reported as 0 models.
    catalog: bool = False
    # Watched models' upstream endpoints (OpenRouter), each as of its last good answer, and
    # how many models to watch were over the cap.
    upstreams: tuple[UpstreamModel, ...] = ()
    upstream_models_skipped: int | None = None
    # Items this poll left out, or folded into "other", to keep a family's series bounded, by
    # family (the `family` label of llm_exporter_series_folded_total); summed over polls.
    folded: tuple[tuple[str, int], ...] = ()

    def provider_state(self, provider: str, source_up: bool) -> str:
        """The health of a provider this snapshot names (a model's, say). A provider it does not
        list follows the source, as the self-named providers of direct vendors do."""
        p = next((p for p in self.providers if p.id == provider), None)
        if p is None:
            return "healthy" if source_up else "down"
        return p.state(source_up)

    def __post_init__(self) -> None:
        # The one place duplicate model ids are resolved: every consumer (families, counts,
        # /api/*, change detection) sees the same single entry per id.
        object.__setattr__(self, "models", unique_models(self.models))


def carry_over(old: Snapshot | None, new: Snapshot) -> Snapshot:
    """`new`, with every field that equals `old`'s replaced by `old`'s object (and `old`
    itself when nothing changed). Downstream caches key on identity: an unchanged catalog of
    a thousand models is then recognised without being compared or rendered again."""
    if old is None:
        return new
    changes = {}
    same = True
    for name in Snapshot.__dataclass_fields__:
        before, after = getattr(old, name), getattr(new, name)
        if after is before:
            continue
        if after == before:
            changes[name] = before
        else:
            same = False
    if same:
        return old
    return replace(new, **changes) if changes else new


@dataclass(frozen=True, slots=True)
class Histogram:
    """A Prometheus histogram's state: per-bucket counts (cumulative ones are made at render
    time), sum and count, over the bucket bounds of its family (the usage ledger's durations,
    the probes' latencies)."""

    buckets: tuple[int, ...] = ()  # empty: every bucket at 0
    total: float = 0.0
    count: int = 0
    bounds: tuple[float, ...] = ()

    def observe(self, seconds: float) -> Histogram:
        index = next((i for i, bound in enumerate(self.bounds) if seconds <= bound), None)
        buckets = list(self.buckets or (0,) * len(self.bounds))
        if index is not None:
            buckets[index] += 1
        return Histogram(tuple(buckets), self.total + seconds, self.count + 1, self.bounds)

    def cumulative(self) -> list[tuple[str, int]]:
        out, running = [], 0
        for bound, n in zip(self.bounds, self.buckets or (0,) * len(self.bounds), strict=True):
            running += n
            out.append((f"{bound:g}", running))
        out.append(("+Inf", self.count))
        return out
