"""What every source type shares: its identity, auth, list envelopes and pagination.

A source fetches through http.Client and parses into a snapshot.Snapshot. It never imports
prometheus_client: turning snapshots into metrics is the collector's job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Protocol, TypeVar
from urllib.parse import urlsplit

from exporter.defaults import default
from exporter.http import Client, Response
from exporter.jobs import CPU_LANE
from exporter.redact import redact
from exporter.snapshot import FeedPage, Provider, Snapshot, Sweep
from exporter.units import OutOfRange

log = logging.getLogger(__name__)

T = TypeVar("T")
# What a parse function raises for an item it cannot use: a missing or mistyped field
# (KeyError, TypeError, ValueError, units.OutOfRange) or arithmetic a value breaks.
ITEM_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError)


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One entry of `sources:`, validated, with the global settings it inherits filled in."""

    name: str
    type: str
    url: str
    interval: float
    timeout: float
    max_pages: int
    api_key: str | None = field(default=None, repr=False)
    # Largest response body read (checked while it streams) and models kept per poll.
    max_response_bytes: int = default("limits.max_response_bytes")
    max_models: int = default("limits.max_models")
    max_providers: int = default("limits.max_providers")
    max_keys: int = default("limits.max_keys")
    # The type's own keys, parsed once at config time into its options dataclass
    # (Source.parse_options), defaults from the schema filled in; None for a type without any.
    options: Any = field(default=None, repr=False)
    # LLMBalanceLow fires under this balance, in the balance's currency.
    balance_alert_threshold: Decimal | None = None
    # The config's stale_after, and the fleet file's catalog ids (for what a source watches
    # beyond its own catalog, as openrouter's endpoints.fleet_models).
    stale_after: int = default("stale_after")
    fleet_models: tuple[str, ...] = ()
    # How the vendor is named where people read it (the landing page, /api/*); see self_provider.
    display_name: str | None = None


class Source:
    type_name: ClassVar[str]
    default_url: ClassVar[str | None] = None
    needs_key: ClassVar[bool] = True
    # Fixed short names for the `endpoint` label; each exists at 0 before its first call.
    endpoints: ClassVar[tuple[str, ...]] = ()
    # How the type authenticates, as docs/sources.md's source table says (a test holds them equal).
    auth: ClassVar[str] = "Authorization: Bearer <key>"
    # How a synthetic probe reaches a model through this source: (streams.py shape, path of
    # the streamed chat call under the source's url). None: the type cannot be probed.
    probe_api: ClassVar[tuple[str, str] | None] = None
    # The vendor behind every source of the type; None for a type many vendors speak (openai).
    vendor: ClassVar[str | None] = None

    def __init__(self, config: SourceConfig):
        self.config = config
        # Endpoints whose last answer had items left out, so that is logged once per streak.
        self._rejecting: set[str] = set()

    @classmethod
    def parse_options(cls, path: str, raw: Mapping[str, Any], problems: list[str]) -> Any:
        """The type's own keys of one `sources:` entry (already valid against the schema) as its
        options dataclass, with the schema's defaults for what is left out; problems the schema
        cannot see are appended to `problems`, one line each naming its path. Called once, when
        the config is read: a poll never looks a default up."""
        return None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def host(self) -> str:
        return urlsplit(self.config.url).hostname or ""

    def endpoint_names(self) -> tuple[str, ...]:
        return self.endpoints

    def folds(self) -> tuple[str, ...]:
        """The families this source may cap or fold (Snapshot.folded), so their counters exist
        at 0 from the start."""
        return ()

    @classmethod
    def warnings(cls, path: str, config: SourceConfig) -> list[str]:
        """Settings that are valid but will not do what the user likely wants; --check-config
        prints them and the exporter logs them at start."""
        return []

    @classmethod
    def check_references(cls, path: str, config: SourceConfig, types: Mapping[str, str], problems: list[str]) -> None:
        """Once every source is read: problems with the other sources this one names (`types`
        maps each configured source's name to its type)."""

    def covered(self) -> tuple[str, ...]:
        """The sources whose vendor this one reports on (a status page's covers)."""
        return ()

    def url(self, path: str) -> str:
        return self.config.url + path

    def headers(self) -> dict[str, str]:
        key = self.config.api_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def poll(self, client: Client) -> Snapshot:
        raise NotImplementedError

    @classmethod
    def lists_keys(cls, config: SourceConfig) -> bool:
        """Whether a source of this config reads every API key's credit (keys: true)."""
        return bool(getattr(config.options, "keys", False))

    @classmethod
    def feeds_usage(cls, config: SourceConfig) -> bool:
        """Whether a source of this config offers a usage feed (the config asks for one)."""
        return False

    def usage_feed(self) -> UsageFeed | None:
        """The calls this source logged, for the usage book (LiteLLM's spend logs), if it has
        such a log and the config asks for it."""
        return None

    def each(self, client: Client, endpoint: str, items: Iterable[Any], parse: Callable[[Any], T | None], *,
             whole: bool = False) -> list[T]:
        """parse() of every item of one answer, without the items it rejects: one item with
        a value of the wrong type or out of range must not cost the rest of the answer, the
        rest of the source or the exposition. An answer with rejected items counts once as
        the endpoint's invalid_response; the first such answer in a row is logged.
        parse() may return None for an item it skips on purpose. An answer whose every item
        is rejected fails the poll, as does any rejected item with whole=True (an answer only
        good whole, such as a total that would be wrong with a row left out)."""
        out: list[T] = []
        rejected = usable = 0
        first = ""
        with CPU_LANE:
            for item in items:
                try:
                    parsed = parse(item)
                except ITEM_ERRORS as exc:
                    rejected += 1
                    first = first or redact(f"{type(exc).__name__}: {exc}")[:200]
                    continue
                usable += 1
                if parsed is not None:
                    out.append(parsed)
        if rejected and (whole or not usable):
            # Not one usable item: the answer as a whole is garbage, not a catalog of none.
            raise client.invalid(endpoint, f"{rejected} unusable item(s), first: {first}")
        if rejected:
            client.recorder.failure(endpoint, "invalid_response")
            if endpoint not in self._rejecting:
                self._rejecting.add(endpoint)
                log.warning("%s: %s: left out %d unusable item(s) of the answer (first: %s)", self.name, endpoint,
                            rejected, first, extra={"fields": {"source": self.name, "endpoint": endpoint,
                                                               "reason": "invalid_response", "rejected": rejected}})
        elif endpoint in self._rejecting:
            self._rejecting.discard(endpoint)
            log.info("%s: %s: every item usable again", self.name, endpoint)
        return out


class UsageFeed(Protocol):
    """A log of the calls made through a source, read page by page over a window of time.
    The spend runner says which window (and counts each call once); a feed only reads."""

    def read(self, client: Client, sweep: Sweep, snapshot: Snapshot | None) -> Iterator[FeedPage]:
        """The pages of `sweep`, from sweep.page on, fetched one at a time as they are asked
        for; `snapshot` is the source's last good poll (what its rows are matched against)."""
        ...


# The source of a name and its last good snapshot (None while it is down or before its first
# successful poll); None for a source the config no longer has. How the engine lends its
# sources to the probe and spend runners.
SourceState = Callable[[str], tuple["Source", Snapshot | None] | None]


def value(source: Source, client: Client, endpoint: str, field: str, read: Callable[[], T | None]) -> T | None:
    """One value of a single-object answer (a key's spend, a proxy's success rate): read(), or
    None when it cannot be true (units.OutOfRange: a ratio of 150 %, a negative spend, a time
    in year 1). Such a value is never exported; it counts as the endpoint's invalid_response and
    is logged once per streak, and the rest of the answer is kept."""
    marker = f"{endpoint}.{field}"
    try:
        result = read()
    except OutOfRange as exc:
        client.recorder.failure(endpoint, "invalid_response")
        if marker not in source._rejecting:
            source._rejecting.add(marker)
            log.warning("%s: %s: %s cannot be true, left out: %s", source.name, endpoint, field, exc,
                        extra={"fields": {"source": source.name, "endpoint": endpoint, "field": field,
                                          "reason": "invalid_response"}})
        return None
    source._rejecting.discard(marker)
    return result


def listing(body: Any, *keys: str) -> list[Any]:
    """The item list of a response, whichever envelope the vendor uses:
    a bare list, {"data": [...]}, {"models": [...]} or another named key."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in (*keys, "data", "models"):
            value = body.get(key)
            if isinstance(value, list):
                return value
    raise ValueError(f"expected a list of items, got {type(body).__name__}")


def records(items: list[Any]) -> Iterator[dict[str, Any]]:
    """Only the dict entries; a vendor's stray null or string in a list is skipped."""
    return (item for item in items if isinstance(item, dict))


def paginate(
    fetch: Callable[[str | None], Any],
    next_cursor: Callable[[Any], str | None],
    *,
    max_pages: int,
    source: str,
) -> Iterator[Any]:
    """Yields page bodies, following cursors to the last page but never past max_pages,
    so a vendor that keeps answering with a cursor cannot hold a poll forever."""
    cursor: str | None = None
    for page in range(max_pages):
        body = fetch(cursor)
        yield body
        cursor = next_cursor(body)
        if not cursor:
            return
        if page + 1 == max_pages:
            log.warning("%s: stopped after limits.max_pages=%d pages; the catalog may be incomplete",
                        source, max_pages, extra={"fields": {"source": source, "max_pages": max_pages}})


def mapping(value: Any) -> dict[str, Any]:
    """A vendor's object, or an empty one where it sent something else (null, a string)."""
    return value if isinstance(value, dict) else {}


def flag(value: Any) -> bool:
    """Vendor booleans, including the occasional "true"/"false" string or 0/1."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


# Display names for the well-known OpenAI-compatible hosts; others show their host.
VENDOR_NAMES = {
    "api.openai.com": "OpenAI",
    "api.groq.com": "Groq",
    "api.together.xyz": "Together",
    "api.mistral.ai": "Mistral",
    "api.deepseek.com": "DeepSeek",
    "api.anthropic.com": "Anthropic",
    "generativelanguage.googleapis.com": "Google Gemini",
    "api.moonshot.ai": "Moonshot AI",
    "api.moonshot.cn": "Moonshot AI",
    "api.siliconflow.cn": "SiliconFlow",
    "api.siliconflow.com": "SiliconFlow",
    "api.x.ai": "xAI",
    "api.fireworks.ai": "Fireworks AI",
    "api.deepinfra.com": "DeepInfra",
    "api.perplexity.ai": "Perplexity",
    "api.cerebras.ai": "Cerebras",
    "router.huggingface.co": "Hugging Face",
}


def vendor_name(source: Source) -> str:
    """How a direct vendor is known to people: the source's display_name, else the vendor of a
    known host (api.mistral.ai is Mistral, whichever type reads it), else the type's own vendor,
    else the source's name (never a bare host: every vendor of the demo is 127.0.0.1)."""
    return (source.config.display_name or VENDOR_NAMES.get(source.host.lower()) or source.vendor
            or source.name)


def self_provider(source: Source, response: Response | None) -> Provider:
    """The one provider of a direct vendor: its id the source's name, healthy while it answers."""
    return Provider(
        id=source.name,
        name=vendor_name(source),
        health="healthy",
        active=True,
        response_time_seconds=response.elapsed if response is not None else None,
        follows_source=True,
    )


def paged_catalog(
    source: Source,
    client: Client,
    path: str,
    params: dict[str, Any],
    cursor_param: str,
    next_cursor: Callable[[Any], str | None],
) -> tuple[Response, list[dict[str, Any]]]:
    """Every model entry of a cursor-paged catalog, and the first page's response (whose
    latency stands for the provider's)."""
    responses: list[Response] = []

    def fetch(cursor: str | None) -> Any:
        page_params = {**params, cursor_param: cursor} if cursor else params
        response, body = client.fetch_json("models", source.url(path), headers=source.headers(), params=page_params)
        responses.append(response)
        return body

    items: list[dict[str, Any]] = []
    for body in paginate(fetch, next_cursor, max_pages=source.config.max_pages, source=source.name):
        items.extend(records(listing(body)))
        if len(items) > source.config.max_models:
            # Past the cap the rest would be dropped anyway: a catalog whose every page says
            # "more" is not held whole first. The engine counts what is over the cap.
            break
    return responses[0], items


def is_free(prices: dict[str, Any]) -> bool:
    return prices.get("input") == 0 and prices.get("output") == 0
