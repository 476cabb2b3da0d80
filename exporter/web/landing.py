"""The landing page: what a person opens first when Grafana is not at hand.

Server-rendered from the current view, with no scripts and no external assets, so it works
offline; it refreshes itself every 30 s and fits a laptop screen without sideways scrolling.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal

from exporter import __version__, money
from exporter.catalog.capabilities import Candidate
from exporter.redact import redact
from exporter.views import FleetView
from exporter.web.documents import liveness_document, model_document, outage_documents, probe_document

NONE = "&ndash;"  # shown where a value is unknown
REFRESH_SECONDS = 30
FREE_SHOWN = 50
CHANGES_SHOWN = 20
RETIRING_SHOWN = 20

STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;padding:1em 1.5em;max-width:1200px;color:#222}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.4em 0 .4em}
table{border-collapse:collapse;width:100%;table-layout:auto}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f4f4f4}td.num{text-align:right;white-space:nowrap}
.healthy,.up{color:#070}.degraded{color:#a60}.down,.unknown{color:#b00}.muted{color:#777}
nav a{margin-right:1em}
"""


def _e(value: object) -> str:
    # Redacted before escaping: escaping first could split a secret the redactor must see whole.
    return html.escape(redact("" if value is None else str(value)))


def _time(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)) + " UTC" if ts else "never"


def _usd_per_million(price: Decimal | None) -> str:
    value = money.per_million_tokens(price)
    return NONE if value is None else f"${value:.4f}".rstrip("0").rstrip(".") + " / 1M"


def _table(section: str, title: str, headers: Sequence[str], rows: Iterable[str], empty: str,
           note: str = "") -> str:
    body = "\n".join(rows)
    if not body:
        return f'<section id="{section}"><h2>{_e(title)}</h2><p class="muted empty">{_e(empty)}</p></section>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    note_html = f'<p class="muted">{note}</p>' if note else ""
    return (f'<section id="{section}"><h2>{_e(title)}</h2><table><thead><tr>{head}</tr></thead>'
            f"<tbody>\n{body}\n</tbody></table>{note_html}</section>")


def _sources(view: FleetView) -> Iterable[str]:
    for s in view.sources:
        state = "up" if s.up else ("not polled yet" if not s.polled else "down")
        yield (f"<tr><td>{_e(s.name)}</td><td>{_e(s.type)}</td><td class=\"{'up' if s.up else 'down'}\">{state}</td>"
               f"<td>{_time(s.last_success)}</td><td>{_e(s.last_error)}</td></tr>")


def _providers(view: FleetView) -> Iterable[str]:
    for s, snap in view.fresh():
        for p in snap.providers:
            health = p.state(s.up)
            latency = NONE if p.response_time_seconds is None else f"{p.response_time_seconds * 1000:.0f} ms"
            yield (f"<tr><td>{_e(s.name)}</td><td>{_e(p.id)}</td><td>{_e(p.name)}</td>"
                   f'<td class="{health}">{health}</td><td class="num">{latency}</td></tr>')


def _balances(view: FleetView) -> Iterable[str]:
    for s, snap in view.fresh():
        for b in snap.balances:
            limit = next((c.amount for c in snap.credit_limits if c.currency == b.currency), None)
            yield (f"<tr><td>{_e(s.name)}</td><td>{_e(b.currency)}</td><td class=\"num\">{b.amount:,.2f}</td>"
                   f"<td class=\"num\">{NONE if limit is None else f'{limit:,.2f}'}</td></tr>")


def _choice(c: Candidate | None) -> str:
    if c is None:
        return '<span class="muted">none eligible</span>'
    where = c.source if c.provider == c.source else f"{c.source}/{c.provider}"
    return f"{_e(c.model)} <span class=\"muted\">({_e(where)})</span>"


def _cheapest(view: FleetView) -> Iterable[str]:
    catalog = view.catalog
    for cls in catalog.settings.classes:
        route = catalog.routes.get(cls.name, ())
        winner = route[0] if route else None
        fallback = route[1] if len(route) > 1 else None
        price = _usd_per_million(winner.price) if winner else NONE
        yield (f'<tr><td><a href="/api/route?class={_e(cls.name)}">{_e(cls.name)}</a></td>'
               f'<td>{_choice(winner)}</td><td class="num">{price}</td><td>{_choice(fallback)}</td></tr>')


def _free_models(view: FleetView) -> tuple[list[str], int]:
    found = [model_document(s.name, snap, m, s.up, view) for s, snap in view.fresh() for m in snap.models if m.free]
    found.sort(key=lambda d: (-(d["first_seen"] or 0.0), d["source"], d["model"]))
    rows = [f"<tr><td>{_e(d['model'])}</td><td>{_e(d['source'])}</td><td>{_e(d['provider'])}</td>"
            f"<td>{_time(d['first_seen'])}</td><td class=\"num\">{_e(d['context_length_tokens']) or NONE}</td></tr>"
            for d in found[:FREE_SHOWN]]
    return rows, len(found)


def _retiring(view: FleetView) -> Iterable[str]:
    """Every model whose catalog gives a retirement date, soonest first: vendors announce
    them weeks to months ahead, so the list is short and each entry is news."""
    found = sorted((model_document(s.name, snap, m, s.up, view) for s, snap in view.fresh() for m in snap.models
                    if m.retires_at is not None), key=lambda d: (d["retires_at"], d["source"], d["model"]))
    for d in found[:RETIRING_SHOWN]:
        replacement = _e(d["replacement"]) if d["replacement"] else NONE
        yield (f"<tr><td>{_e(d['model'])}</td><td>{_e(d['source'])}</td><td>{_e(d['provider'])}</td>"
               f"<td>{_time(d['retires_at'])}</td><td>{replacement}</td></tr>")


def _changes(view: FleetView) -> Iterable[str]:
    def prices(inp: Decimal | None, out: Decimal | None) -> str:
        return f"{_usd_per_million(inp)} in, {_usd_per_million(out)} out"

    for c in view.catalog.log[:CHANGES_SHOWN]:
        old = "" if c.change == "added" else prices(c.old_input, c.old_output)
        new = "" if c.change == "removed" else prices(c.new_input, c.new_output)
        yield (f"<tr><td>{_time(c.time)}</td><td>{_e(c.source)}</td><td>{_e(c.model)}</td><td>{_e(c.change)}</td>"
               f"<td>{old}</td><td>{new}</td></tr>")


def _probes(view: FleetView) -> Iterable[str]:
    for d in map(probe_document, view.probes.entries):
        if d["success"] is None:
            outcome = '<span class="muted">not probed yet</span>'
        else:
            outcome = ('<span class="up">ok</span>' if d["success"] else
                       f'<span class="down">{_e(d["reason"])}</span> <span class="muted">{_e(d["error"])}</span>')
        ttft, tps, when = d["ttft_seconds"], d["tokens_per_second"], d["last_probe"]
        yield (f"<tr><td>{_e(d['source'])}</td><td>{_e(d['model'])}</td><td>{outcome}</td>"
               f'<td class="num">{NONE if ttft is None else f"{ttft:.2f} s"}</td>'
               f'<td class="num">{NONE if tps is None else f"{tps:.0f}"}</td>'
               f"<td>{NONE if when is None else _time(when)}</td></tr>")


def _outages(view: FleetView) -> Iterable[str]:
    for d in outage_documents(view):
        yield (f'<tr><td>{_e(d["source"])}</td><td>{_e(d["page"])}</td>'
               f'<td class="num down">{d["failed_ratio"]:.0%} of {d["calls"]}</td><td>{_time(d["since"])}</td>'
               f'<td>{_e(d["last_error"])}</td></tr>')


def _unservable(view: FleetView) -> Iterable[str]:
    for d in map(liveness_document, view.liveness.models):
        if d["servable"] is False:
            retires = NONE if d["retires_at"] is None else _time(d["retires_at"])
            yield (f'<tr><td>{_e(d["model"])}</td><td>{_e(d["source"])}</td><td class="down">{_e(d["reason"])}</td>'
                   f'<td>{retires}</td><td>{_time(d["last_check"])}</td><td>{_e(d["error"])}</td></tr>')


def render(view: FleetView) -> str:
    free_rows, free_total = _free_models(view)
    more = (f'Showing the {FREE_SHOWN} newest of {free_total}: <a href="/api/models?free=true&amp;limit=1000">'
            "all free models</a>." if free_total > FREE_SHOWN else "")
    sections = [
        _table("sources", "Sources", ["Source", "Type", "Up", "Last success", "Last error"], _sources(view),
               "No sources configured."),
        _table("outages", "Unacknowledged outages", ["Source", "Status page", "Failed (5 min)", "Failing since",
                                                     "Last error"], _outages(view),
               "No covered source is failing while its status page shows nothing.",
               note="What the exporter's own polls and probes saw (rate limits and credit refusals left out) "
                    "while the page that covers the source reports no incident and every component operational."),
        _table("providers", "Providers", ["Source", "Provider", "Name", "Health", "Response time"],
               _providers(view), "No provider has reported yet."),
        _table("balances", "Balances", ["Source", "Currency", "Balance", "Credit limit"], _balances(view),
               "No source reports a balance."),
        _table("cheapest", "Cheapest now", ["Class", "Winner", "Weighted price", "Next fallback"], _cheapest(view),
               "No capability classes.",
               note=f"Weighted price: ({view.catalog.settings.input_output_ratio} &times; input + output) / "
                    f"({view.catalog.settings.input_output_ratio} + 1). Only models on a healthy provider of a "
                    "source whose last poll succeeded compete."),
        _table("free-models", "Free models, newest first", ["Model", "Source", "Provider", "First seen", "Context"],
               free_rows, "No free models in any catalog.", note=more),
        _table("retiring", "Retiring soon", ["Model", "Source", "Provider", "Retires", "Replacement"],
               _retiring(view), "No catalog gives a retirement date for any model.",
               note="From the vendors' catalogs (OpenRouter expiration_date, OpenAI shutdown_date, Mistral "
                    "deprecation, LiteLLM deprecation_date), soonest first."),
        _table("unservable", "Models that no longer serve", ["Model", "Source", "Reason", "Retired", "Checked",
                                                             "What the vendor said"], _unservable(view),
               "Every model the liveness checks call still answers.",
               note="Listed by their source, but refused as end_of_life, not_found or gone (liveness: in the "
                    "config); routes never pick them."),
        _table("changes", f"Last {CHANGES_SHOWN} catalog changes",
               ["Time", "Source", "Model", "Change", "Before", "After"], _changes(view),
               "No catalog changes since the first poll of each source."),
        _table("probes", "Probes", ["Source", "Model", "Last result", "First token", "Tokens/s", "Last probe"],
               _probes(view), "No probes configured.",
               note=f"Today's probe budget: ${view.probes.budget_remaining_usd:.4f} of "
                    f"${view.probes.daily_budget_usd:.2f} left."),
    ]
    ready = "Ready" if view.ready else "Waiting for the first round of polls"
    shard = view.shard
    if shard.count > 1:
        ready += (f". Shard {shard.index} of {shard.count}: it polls {len(shard.owned)} of the config's "
                  f"{shard.configured} sources" + ("" if not shard.fleet_wide else ", and runs the fleet-wide usage, "
                                                    "budgets and recommendations"))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>llm-fleet-exporter</title><style>{STYLE}</style></head><body>
<h1>llm-fleet-exporter {_e(__version__)}</h1>
<nav><a href="/metrics">Metrics</a><a href="/api/summary">Summary</a><a href="/api/models">Models</a>
<a href="/api/changes">Changes</a><a href="/healthz">healthz</a><a href="/readyz">readyz</a></nav>
<p>{ready}. Everything here is served from the last poll of each source; opening this page never calls a
provider. It refreshes every {REFRESH_SECONDS} s.</p>
{chr(10).join(sections)}
</body></html>
"""
