"""Immutable records that a source's poll produces.

A snapshot is built once by a source and never changed; the engine swaps whole snapshots,
so collectors and JSON endpoints can read one without locks and never see half a poll.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Model:
    provider: str
    id: str
    name: str
    # USD per token by token type; dynamic or unknown prices are simply absent.
    prices: tuple[tuple[str, Decimal], ...] = ()
    context_length: int | None = None
    free: bool = False
    capabilities: tuple[tuple[str, bool], ...] = ()

    def price(self, token_type: str) -> Decimal | None:
        return dict(self.prices).get(token_type)


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
class StatusPage:
    indicator: str
    components: tuple[tuple[str, str], ...] = ()


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
class Snapshot:
    providers: tuple[Provider, ...] = ()
    models: tuple[Model, ...] = ()
    balances: tuple[Money, ...] = ()
    credit_limits: tuple[Money, ...] = ()
    balance_breakdown: tuple[BalancePart, ...] = ()
    account_available: bool | None = None
    # USD spent per window as the vendor reports it
    spend: tuple[tuple[str, Decimal], ...] = ()
    status_page: StatusPage | None = None
    gatewayz: GatewayzStats | None = None
    proxy: ProxyStatus | None = None
    ollama_installed: tuple[str, ...] = ()
    ollama_loaded: tuple[LoadedModel, ...] = ()
    # True when the source lists a model catalog, so an empty one is reported as 0 models.
    catalog: bool = False
