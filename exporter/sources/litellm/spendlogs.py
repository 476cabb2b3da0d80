"""LiteLLM's spend logs: one row per call the proxy made, read page by page into usage rows
that the spend runner counts exactly once (spend/feeds.py).

How a real proxy answers (litellm/proxy/spend_tracking/spend_management_endpoints.py):

- `GET /spend/logs/v2` (LiteLLM 1.80.8 and later): `start_date` and `end_date` required
  (`YYYY-MM-DD HH:MM:SS`, UTC, both ends inclusive), `page` from 1 and `page_size` (100: older
  versions answer 422 above it), `sort_by=startTime&sort_order=asc`. The answer is
  `{data, total, page, page_size, total_pages, total_is_capped}` with light columns only;
  `total` stops counting at 10,000 (`total_is_capped`), so paging goes on until a page comes
  back short or empty. JSON columns such as `request_tags` may arrive as JSON-encoded strings.
- `GET /spend/logs` (deprecated): dates only (`YYYY-MM-DD`, compared at 00:00 UTC, so today
  needs tomorrow's date), one unpaged answer of whole rows (prompts and responses included),
  newest first and capped at the 10,000 newest, which only the header
  `x-litellm-spend-logs-truncated: true` says. Without `summarize=false` it answers daily
  totals; proxies from before mid-2025 answer daily totals whatever is asked, which hold no
  single call: counted as `unsupported`, never as usage.
- LiteLLM tags every call with `User-Agent: <product>` and `User-Agent: <full agent>`; those
  are not tasks.

Only what the usage families need is read. `user`, `end_user`, `api_key` (a hash of the
caller's key), `team_id` and `metadata` are never read: they are unbounded or sensitive, and
none of them may become a label or reach a log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from exporter import money, units
from exporter.http import Client, FetchError
from exporter.snapshot import Deployment, Event, FeedPage, Snapshot, Sweep, UsageRow
from exporter.sources.base import listing, records

if TYPE_CHECKING:
    from exporter.sources.base import Source

log = logging.getLogger(__name__)

ENDPOINT = "spend_logs"
UNTAGGED = "untagged"
MAX_LABEL = 200
PAGE_SIZE = 100
V2_RETRY = 3600.0  # seconds before a proxy without /spend/logs/v2 is asked for it again
TRUNCATED_HEADER = "x-litellm-spend-logs-truncated"
USER_AGENT_TAG = "user-agent:"


class SpendLogReader:
    """The spend log of one LiteLLM source. Remembers whether the proxy has /spend/logs/v2,
    and what it has already said once (the fallback, a truncated read)."""

    def __init__(self, source: Source):
        self.source = source
        self._legacy_until: float | None = None  # engine time until which v2 is not asked again
        self._truncated = False
        self._served: Mapping[str, frozenset[str]] = {}

    def read(self, client: Client, sweep: Sweep, snapshot: Snapshot | None) -> Iterator[FeedPage]:
        providers: dict[str, str] = {}
        self._served = served_by(snapshot.deployments if snapshot is not None else ())
        for deployment in snapshot.deployments if snapshot is not None else ():
            if deployment.provider:
                providers.setdefault(deployment.group, deployment.provider)  # a group's first deployment
        if self._legacy_until is None or client.now() >= self._legacy_until:
            pages = self._v2(client, sweep, providers)
            first = next(pages, None)
            if first is not None:
                yield first
                yield from pages
                return
        yield self._deprecated(client, sweep, providers)

    # -- /spend/logs/v2 ---------------------------------------------------------------------
    def _v2(self, client: Client, sweep: Sweep, providers: Mapping[str, str]) -> Iterator[FeedPage]:
        page = sweep.page
        while True:
            params = {"start_date": moment(sweep.start), "end_date": moment(sweep.end), "page": page,
                      "page_size": PAGE_SIZE, "sort_by": "startTime", "sort_order": "asc"}
            response = client.get(ENDPOINT, self.source.url("/spend/logs/v2"), headers=self.source.headers(),
                                  params=params, quiet=(404,))
            if response is None:  # a proxy older than 1.80.8
                if self._legacy_until is None:
                    log.info("%s: this LiteLLM has no /spend/logs/v2 (1.80.8 or later); reading the deprecated "
                             "/spend/logs?summarize=false, which holds at most the newest 10,000 calls of a day",
                             self.source.name, extra={"fields": {"source": self.source.name, "endpoint": ENDPOINT}})
                self._legacy_until = client.now() + V2_RETRY
                return
            if self._legacy_until is not None:
                log.info("%s: /spend/logs/v2 answers now; reading it", self.source.name)
                self._legacy_until = None
            body = client.decode_json(response)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise client.invalid(ENDPOINT, "expected {data: [...], total, page, ...} from /spend/logs/v2")
            rows = self._rows(client, data, providers)
            size = units.integer(body.get("page_size")) or PAGE_SIZE
            pages = units.integer(body.get("total_pages"))
            # `total` stops at 10,000: past it only a short or empty page says the window ended.
            done = len(data) < min(size, PAGE_SIZE) or (
                body.get("total_is_capped") is not True and pages is not None and page >= pages)
            yield FeedPage(rows, None if done else Sweep(sweep.start, sweep.end, page + 1))
            if done:
                return
            page += 1

    # -- /spend/logs (deprecated) -------------------------------------------------------------
    def _deprecated(self, client: Client, sweep: Sweep, providers: Mapping[str, str]) -> FeedPage:
        params = {"start_date": day(sweep.start), "end_date": day(sweep.end + 86400), "summarize": "false"}
        response = client.get(ENDPOINT, self.source.url("/spend/logs"), headers=self.source.headers(), params=params)
        assert response is not None  # no quiet statuses were asked for
        body = client.decode_json(response)
        try:
            items = listing(body)
        except ValueError as exc:
            raise client.invalid(ENDPOINT, str(exc)) from None
        if any(aggregate(item) for item in items):
            client.recorder.failure(ENDPOINT, "unsupported")
            raise FetchError(ENDPOINT, "unsupported", "this LiteLLM answers /spend/logs with daily totals only: it is "
                             "too old for per-call spend logs (1.80.8 or later has /spend/logs/v2); no usage is "
                             "counted from it")
        rows = self._rows(client, items, providers)
        hold = None
        if response.headers.get(TRUNCATED_HEADER, "").strip().lower() == "true" and rows:
            hold = rows[0].event.ts
            if not self._truncated:
                log.warning("%s: this proxy logs more than 10,000 calls a day: /spend/logs answered only the newest "
                            "10,000, so older calls are missed; LiteLLM 1.80.8 or later (/spend/logs/v2) is read "
                            "whole", self.source.name, extra={"fields": {"source": self.source.name,
                                                                        "endpoint": ENDPOINT, "reason": "truncated"}})
        self._truncated = hold is not None
        return FeedPage(rows, None, hold)

    def _rows(self, client: Client, items: list[Any], providers: Mapping[str, str]) -> tuple[UsageRow, ...]:
        now = client.now()
        rows = self.source.each(client, ENDPOINT, records(items),
                                lambda item: parse_row(item, providers, self.source.name, now, self._served))
        return tuple(sorted(rows, key=lambda r: (r.event.ts, r.request_id)))


def moment(ts: float) -> str:
    """A v2 date: `YYYY-MM-DD HH:MM:SS`, UTC, to the second (LiteLLM compares both ends
    inclusively; a call in the second after `end` is read by the next window)."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d %H:%M:%S")


def day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def aggregate(item: Any) -> bool:
    """A daily total (what /spend/logs answers without summarize=false, or always on old
    proxies): spend and per-model totals, and no request_id."""
    return isinstance(item, dict) and "request_id" not in item and "spend" in item and "models" in item


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value.strip()[:MAX_LABEL] if isinstance(value, str) and value.strip() else None


def tags(value: Any) -> list[str]:
    """request_tags as a list, whether it came as one or as a JSON-encoded string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def task(value: Any) -> str:
    """The first tag the caller set; LiteLLM's own `User-Agent: ...` tags are not tasks."""
    for tag in tags(value):
        text = tag.strip()
        if text and not text.lower().startswith(USER_AGENT_TAG):
            return text[:MAX_LABEL]
    return UNTAGGED


def served_by(deployments: Iterable[Deployment]) -> dict[str, frozenset[str]]:
    """Model group -> the models its deployments call, each also without its provider prefix
    (/model/info says `openai/gpt-4o`, a spend-log row `gpt-4o`)."""
    out: dict[str, set[str]] = {}
    for d in deployments:
        out.setdefault(d.group, set()).update({d.model, unprefixed(d.model)})
    return {group: frozenset(models) for group, models in out.items()}


def unprefixed(model: str) -> str:
    """`groq/llama3-8b-8192` -> `llama3-8b-8192`: the provider segment LiteLLM writes first."""
    return model.split("/", 1)[1] if "/" in model else model


def parse_row(item: Mapping[str, Any], providers: Mapping[str, str], source: str, now: float,
              served: Mapping[str, frozenset[str]] | None = None) -> UsageRow:
    """One spend-log row. `providers` maps a model group to the litellm_provider that the
    proxy's /model/info gives for it; the row's own custom_llm_provider wins over it. A call
    dated later than now (plus units.FUTURE_SKEW) is rejected: a replica whose clock runs fast
    or garbage, and taken as a fact it would move the feed's cursor past every real call.
    `served` maps a model group to the models its deployments call: a row answered by another
    model (a fallback, a misroute) is a substitution; one of them is just the alias at work."""
    request_id = _text(item, "request_id")
    if request_id is None:
        raise ValueError("a row without a request_id")  # e.g. an aggregate, not a call
    start = units.iso_to_epoch_seconds(item.get("startTime"))
    if start is None:
        raise ValueError("startTime is not a time")
    if start > now + units.FUTURE_SKEW:
        raise units.OutOfRange(f"startTime {str(item.get('startTime'))[:40]} is in the future")
    end = units.iso_to_epoch_seconds(item.get("endTime"))
    model = _text(item, "model_group") or _text(item, "model")
    if model is None:
        raise ValueError("a row without a model")
    spend = money.amount(item.get("spend"))
    if spend is not None and spend < 0:
        raise units.OutOfRange("a negative spend")
    # LiteLLM sets completionStartTime to endTime for a call that was not streamed: no first token
    first = units.iso_to_epoch_seconds(item.get("completionStartTime"))
    ttft = units.duration(round(first - start, 3)) if first is not None and end is not None and first != end else None
    answered = _text(item, "model")
    group = _text(item, "model_group")
    deployed = (served or {}).get(group or "")
    substituted = (group is not None and answered is not None and deployed is not None and answered != group
                   and answered not in deployed and unprefixed(answered) not in deployed)
    duration = units.duration(round(end - start, 3)) if end is not None else None
    if duration is None and (ms := units.number(item.get("request_duration_ms"))) is not None:
        duration = units.duration(round(ms / 1000, 3))
    return UsageRow(request_id, Event(
        ts=start,
        provider=_text(item, "custom_llm_provider") or providers.get(model) or source,
        model=model,
        task=task(item.get("request_tags")),
        input_tokens=units.count(item.get("prompt_tokens"), "prompt_tokens"),
        output_tokens=units.count(item.get("completion_tokens"), "completion_tokens"),
        cost_usd=spend,
        success=item.get("status") != "failure",
        # LiteLLM writes milliseconds; rounded, so 1.2 s is not 1.2000000476837158 (two
        # epoch times subtracted)
        duration_seconds=duration,
        ttft_seconds=ttft,
        cache_hit=_truth(item.get("cache_hit")),
        requested_model=group if substituted else None,
        served_model=answered if substituted else None,
    ))


def _truth(value: Any) -> bool | None:
    """cache_hit as LiteLLM writes it: a bool, or the string "True"/"False"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
