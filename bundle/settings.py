"""The bundle's settings: every value a team changes when it renders the rules, the
Alertmanager config and the notification templates for its own setup, declared once with its
default and meaning. docs/alerts.md's settings table and the renderer both read KNOBS.

A settings file is YAML and names only what differs from the defaults:

    job: llm-exporter
    runbook_url: https://wiki.example.com/llm-fleet-exporter/runbook
    grafana_url: https://grafana.example.com
    alerts:
      LLMProviderSlow: {seconds: 8, for: 15m}
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class SettingsError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Knob:
    key: str  # its dotted path in the settings file
    default: Any
    kind: str  # one of CHECKS
    meaning: str


PROM_DURATION = re.compile(r"(?=\d)((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?")


def _duration(value: Any) -> str | None:
    return None if isinstance(value, str) and PROM_DURATION.fullmatch(value) else \
        "expected a Prometheus duration such as 30s, 10m, 1h or 1h30m"


def _url(value: Any) -> str | None:
    # No braces: the URLs land inside Go templates (alert annotations, Alertmanager's
    # notification templates), where `{{end}}` in a URL stops Alertmanager from starting.
    if isinstance(value, str) and re.fullmatch(r"https?://[^\s\"'#<>\\{}]+", value):
        return None
    return "expected an http(s) URL without spaces, quotes, braces or a #fragment"


def _job(value: Any) -> str | None:
    # A plain YAML scalar in prometheus.yml (where ` #` starts a comment and a trailing space is
    # dropped) and a label value in every rule: anything else and the two name different jobs.
    return None if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.:/@-]{0,127}", value) else \
        "expected a job name of letters, digits and . _ : / @ - (no spaces, quotes or #)"


def _target(value: Any) -> str | None:
    return None if isinstance(value, str) and re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}", value) \
        else "expected host:port"


def _channel(value: Any) -> str | None:
    # Alertmanager renders the channel as a template when it sends: `{{` in it passes
    # amtool check-config and then fails every Slack notification.
    return None if isinstance(value, str) and re.fullmatch(r"[#@]?[A-Za-z0-9._-]{1,80}", value) else \
        "expected a Slack channel (#name, @user or a channel id): letters, digits, . _ -"


def _email(value: Any) -> str | None:
    return None if isinstance(value, str) and re.fullmatch(r"[^@\s\"\\{}]+@[^@\s\"\\{}]+", value) else \
        "expected an email address"


def _positive(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1e9
    return None if ok else "expected a number > 0"


def _ratio(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1
    return None if ok else "expected a number > 0 and at most 1"


def _ratios(value: Any) -> str | None:
    ok = (isinstance(value, list) and 1 <= len(value) <= 5 and _ladder_ok(value))
    return None if ok else "expected 1 to 5 increasing numbers > 0 and at most 1, such as [0.5, 0.8, 0.95]"


def _ladder_ok(values: list[Any]) -> bool:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1]
    return len(numbers) == len(values) and all(a < b for a, b in itertools.pairwise(numbers))


def _count(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1_000_000
    return None if ok else "expected a whole number ≥ 1"


CHECKS = {"duration": _duration, "url": _url, "email": _email, "number": _positive,
          "ratio": _ratio, "ratios": _ratios, "count": _count, "job": _job, "target": _target, "channel": _channel}


def _alert(name: str, for_: str, **thresholds: tuple[Any, str, str]) -> list[Knob]:
    knobs = [Knob(f"alerts.{name}.for", for_, "duration", f"how long {name}'s condition holds before it fires")]
    knobs += [Knob(f"alerts.{name}.{key}", default, kind, meaning)
              for key, (default, kind, meaning) in thresholds.items()]
    return knobs


KNOBS: tuple[Knob, ...] = (
    Knob("job", "llm-fleet-exporter", "job", "the scrape job of the exporter: every rule selects it and "
                                                "prometheus.yml scrapes it under this name"),
    Knob("runbook_url", "https://runbooks.example/llm-fleet-exporter", "url",
         "where docs/runbook.md is published: every alert's runbook_url is this plus #<alert name in lower case> "
         "(the default is a placeholder host: render with your own)"),
    Knob("grafana_url", "http://localhost:3000", "url",
         "your Grafana: notifications link to <grafana_url>/d/<dashboard uid>"),
    Knob("exporter_target", "llm-fleet-exporter:8001", "target", "host:port prometheus.yml scrapes the exporter at"),
    Knob("alertmanager_target", "alertmanager:9093", "target", "host:port prometheus.yml sends alerts to"),
    Knob("slack_channel", "#llm-fleet-alerts", "channel", "Slack channel of critical and warning alerts"),
    Knob("slack_digest_channel", "#llm-fleet-digest", "channel", "Slack channel of the hourly digest of info alerts"),
    Knob("email_to", "oncall@example.com", "email", "who critical alerts are emailed to"),
    *_alert("LLMExporterDown", "5m"),
    *_alert("LLMExporterShardMissing", "5m"),
    *_alert("LLMExporterShardingMismatch", "10m"),
    *_alert("LLMSourceDown", "10m"),
    *_alert("LLMSourceDataStale", "5m", intervals=(3, "count", "poll intervals without a successful poll")),
    *_alert("LLMProviderDown", "5m"),
    *_alert("LLMProviderDegraded", "10m"),
    *_alert("LLMProviderSlow", "10m", seconds=(5, "number", "average response time over 10 minutes, in seconds")),
    *_alert("LLMStatusPageIncident", "5m"),
    *_alert("LLMUnacknowledgedOutage", "5m",
            ratio=(0.5, "ratio", "share of a covered source's polls and probes that failed over 5 minutes (rate "
                                 "limits and credit left out) while its status page shows nothing")),
    *_alert("LLMCreditExhausted", "1m",
            window=("10m", "duration", "how far back a refusal for credit keeps it firing")),
    *_alert("LLMKeyCreditLow", "5m",
            thresholds=([0.5, 0.8, 0.95], "ratios", "the ladder: shares of a key's limit used; only the highest "
                                                   "crossed one fires for a key")),
    *_alert("LLMKeyExhaustionSoon", "15m",
            hours=(24, "number", "fire when a key runs out of credit within this many hours at its measured rate")),
    *_alert("LLMKeyExpiringSoon", "1h", days=(7, "number", "fire when a key expires within this many days")),
    *_alert("LLMBalanceLow", "10m"),
    *_alert("LLMBalanceExhaustionForecast", "30m",
            days=(3, "number", "fire when the last 6 hours' trend empties the balance within this many days")),
    *_alert("LLMBudgetExceeded", "5m"),
    *_alert("LLMBudgetForecastExceeded", "30m",
            ratio=(1, "ratio", "fire when the forecast exceeds this share of the budget's limit")),
    *_alert("LLMCheapestModelChanged", "1m"),
    *_alert("LLMFreeModelAdded", "1m"),
    *_alert("LLMFreeModelRemoved", "1m"),
    *_alert("LLMProxyAccountRateLimited", "5m"),
    *_alert("LLMProxyAccountTokenExpiring", "1h",
            days=(3, "number", "fire when an account's token expires within this many days")),
    *_alert("LLMHighFailureRatio", "10m", ratio=(0.1, "ratio", "share of a model's ledger calls that failed over "
                                                              "15 minutes"),
            min_calls=(10, "count", "fewest calls in those 15 minutes for the ratio to count")),
    *_alert("LLMProbeFailing", "1m", failures=(3, "count", "failed probes of a model in a row")),
    *_alert("LLMProbeSlowFirstToken", "10m"),
    *_alert("LLMUpstreamAllEndpointsDown", "10m"),
    *_alert("LLMUpstreamUptimeLow", "15m", ratio=(0.9, "ratio", "the best upstream's 30-minute uptime under which "
                                                               "it fires")),
    *_alert("LLMRateLimitHeadroomLow", "10m", ratio=(0.1, "ratio", "share of a rate limit left under which it fires")),
    *_alert("LLMModelRetiringInUse", "15m",
            warning_days=(30, "number", "a model in use retiring within this many days is a warning"),
            critical_days=(7, "number", "and within this many days, critical")),
    *_alert("LLMModelListedButDead", "30m"),
    *_alert("LLMLiveLatencyHigh", "15m",
            seconds=(5, "number", "95th percentile of real calls' time to the first token over 5 minutes, in seconds")),
    *_alert("LLMModelSubstituted", "1m"),
    *_alert("LLMModelResponseChanged", "1m"),
)
BY_KEY = {k.key: k for k in KNOBS}
# Thresholds that are not settings here, because the exporter's config sets them per source,
# budget or probe target (the rules compare with the series that carry them).
CONFIG_THRESHOLDS = {
    "LLMBalanceLow": "each source's `balance_alert_threshold` (`llm_account_balance_alert_threshold`)",
    "LLMBudgetExceeded": "each budget's `limit_usd` (`llm_budget_limit_usd`)",
    "LLMProbeSlowFirstToken": "each probe target's `slow_first_token` (`llm_probe_ttft_threshold_seconds`)",
}


def defaults() -> dict[str, Any]:
    return {k.key: k.default for k in KNOBS}


def load(path: str | None) -> dict[str, Any]:
    """The settings: the defaults, overridden by the file at `path` (when given). Every
    problem is one line naming its key; they are raised together."""
    values = defaults()
    if path is None:
        return values
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError([f"{path}: cannot read: {exc.strerror}"]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise SettingsError([f"{where}: not YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    if doc is None:
        return values
    if not isinstance(doc, dict):
        raise SettingsError([f"{path}: expected a mapping of settings"])
    problems: list[str] = []
    for key, value in _flatten(doc):
        knob = BY_KEY.get(key)
        if knob is None:
            problems.append(f"{path}: {key}: unknown setting (see docs/alerts.md#bundle-settings)")
            continue
        wrong = CHECKS[knob.kind](value)
        if wrong:
            problems.append(f"{path}: {key}: {wrong}, got {value!r}"[:300])
            continue
        values[key] = value
    if problems:
        raise SettingsError(problems)
    return values


def _flatten(node: dict[Any, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, value) in the file's order; a mapping no setting lives under is one entry,
    which the caller reports as unknown."""
    out: list[tuple[str, Any]] = []
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and any(k.key.startswith(dotted + ".") for k in KNOBS):
            out.extend(_flatten(value, dotted + "."))
        else:
            out.append((dotted, value))
    return out
