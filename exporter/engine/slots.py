"""The per-source slots: each source's state between polls (its last good snapshot, its
counters, its place in the schedule, its HTTP session) and the stale policy.

Stale policy: a failing source reports llm_source_up 0 at once (unless it failed only for
credit: the vendor answered, the account is empty), keeps its last good values
through `stale_after` failed intervals, and then its provider, model and balance series are
dropped, so a dead source does not pretend to be current forever.

Everything here runs with the engine's lock held; the engine decides when.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace

import schedule
from requests import Session

from exporter.engine.outcomes import Outcomes, counts_as_outage
from exporter.engine.poll import PollResult
from exporter.http import PollRecorder
from exporter.jobs import Job, stale_window
from exporter.snapshot import Snapshot
from exporter.sources.base import Source
from exporter.views import SourceView

log = logging.getLogger(__name__)


@dataclass
class Slot:
    source: Source
    view: SourceView
    job: Job
    good: Snapshot | None = None
    scheduled: schedule.Job | None = None
    requests: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    folded: Counter[str] = field(default_factory=Counter)
    # The source's HTTP session, kept across polls (connections and TLS sessions are reused);
    # closed when the source is removed or its settings change.
    session: Session | None = None
    outcomes: Outcomes = field(default_factory=Outcomes)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def count(self) -> None:
        """Known series exist at 0 before the first call or fold."""
        for endpoint in self.source.endpoint_names():
            self.requests[endpoint] += 0
        for family in self.source.folds():
            self.folded[family] += 0
        self.view = replace(self.view, requests=tuple(sorted(self.requests.items())),
                            folded=tuple(sorted(self.folded.items())))

    def account(self, recorder: PollRecorder) -> None:
        """Adds the requests and failures of calls made for this source (its polls, and reads
        made apart from them, such as its usage feed) to its counters."""
        self.requests.update(recorder.requests)
        self.failures.update(recorder.failures)

    def fold(self, result: PollResult, snapshot: Snapshot | None, finished: float, dropped: tuple[int, int]) -> None:
        """A finished poll: its counters, and the source up with `snapshot` or down."""
        source = self.source
        self.account(result.recorder)
        self.outcomes.record(finished, counts_as_outage(snapshot is None, result.reason))
        view = self.view
        if snapshot is not None:
            self.good = snapshot
            self.folded.update(dict(snapshot.folded))
            if not view.up and view.polled:
                log.info("%s: recovered", source.name, extra={"fields": {"source": source.name}})
            view = replace(view, up=True, last_success=finished, last_error=None, blocked_until=None)
        else:
            log.warning("%s: poll failed: %s", source.name, result.error, extra={"fields": {
                "source": source.name, "endpoint": result.endpoint, "reason": result.reason,
                "duration_seconds": round(result.duration, 3)}})
            # An empty account is money, not an outage: the vendor answered, so the source
            # stays up (LLMCreditExhausted says what is wrong); its values still go stale.
            up = result.reason == "credit_exhausted"
            view = replace(view, up=up, last_error=result.error, failed_polls=view.failed_polls + 1,
                           blocked_until=finished + result.retry_after if result.retry_after else None)
        self.view = replace(view, polled=True, last_poll=finished, poll_duration=result.duration,
                            models_dropped=view.models_dropped + dropped[0],
                            providers_dropped=view.providers_dropped + dropped[1])

    def publish(self, now: float, stale_after: int) -> None:
        """Recomputes the view (counters, stale window) after every poll or skipped poll."""
        view = self.view
        snapshot = None
        if self.good is not None and view.last_success is not None:
            if now - view.last_success <= stale_window(self.source.config.interval, stale_after):
                snapshot = self.good
            else:
                if view.snapshot is not None:
                    log.warning("%s: stale for %d intervals, dropping its series", view.name, stale_after,
                                extra={"fields": {"source": view.name}})
                self.good = None
        self.view = replace(view, snapshot=snapshot, requests=tuple(sorted(self.requests.items())),
                            failures=tuple(sorted(self.failures.items())),
                            skipped=tuple(sorted(self.skipped.items())), folded=tuple(sorted(self.folded.items())),
                            observed=self.outcomes.window(now), failure_streaks=self.outcomes.streaks)


def empty_view(source: Source) -> SourceView:
    return SourceView(name=source.name, type=source.config.type, endpoints=source.endpoint_names(),
                      interval=source.config.interval)
