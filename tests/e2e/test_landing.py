"""The landing page as a person sees it: a running demo exporter rendered in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.browser import Browser
from tests.support.processes import Exporter, StartExporter, tool
from tests.support.wait import wait_for

SECTIONS = ["sources", "outages", "providers", "balances", "cheapest", "free-models", "retiring", "unservable",
            "changes", "probes"]
FACTS = """JSON.stringify({
  width: document.documentElement.scrollWidth,
  viewport: window.innerWidth,
  title: document.title,
  refresh: (document.querySelector('meta[http-equiv="refresh"]') || {}).content,
  external: [...document.querySelectorAll('script,link[rel=stylesheet],img,iframe')].length,
  sections: Object.fromEntries([...document.querySelectorAll('section')].map(s => [s.id, {
      heading: (s.querySelector('h2') || {}).textContent,
      rows: [...s.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.textContent.trim())),
  }])),
})"""


def test_landing_page_in_headless_chromium(exporter_process: StartExporter, tmp_path: Path) -> None:
    chromium = tool("chromium")
    proc: Exporter = exporter_process("--demo")
    proc.wait_ready()
    # The demo's blinking free model is listed from 10 s after the start, so the second poll
    # (at 15 s) finds it: then every section has something to show.
    wait_for(lambda: proc.get("/api/changes").json()["total"] > 0, 40, "the first catalog change", every=0.5,
             detail=proc.log)
    # Probes start spread over their 30 s interval: wait until each model has had its first.
    wait_for(lambda: all(p["last_probe"] for p in proc.get("/api/summary").json()["probes"]), 40,
             "every model's first probe", every=0.5, detail=proc.log)
    # And Mistral's refusals from 10 s: two failed polls of three make an unacknowledged outage,
    # shown while its last poll failed. The page is opened just after a failed poll lands (the
    # outage's count of calls moves and its last error stands), so the next poll, which may
    # answer, is an interval away however slowly the browser starts.
    counted: list[int | None] = [None]

    def mistral_failed_just_now() -> bool:
        outage = next((o for o in proc.get("/api/summary").json()["unacknowledged_outages"]
                       if o["source"] == "mistral"), None)
        calls = None if outage is None else outage["calls"]
        moved, counted[0] = counted[0] is not None and calls is not None and calls != counted[0], calls
        return moved and outage is not None and outage["last_error"] is not None

    wait_for(mistral_failed_just_now, 60, "a failed poll in Mistral's outage", every=0.25, detail=proc.log)

    with Browser(chromium) as browser:
        browser.open(proc.url + "/", width=1280, height=800)
        facts = json.loads(browser.evaluate(FACTS))
        shot = browser.screenshot(tmp_path / "landing.png")
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000

    assert facts["title"] == "llm-fleet-exporter"
    assert facts["refresh"] == "30"
    assert facts["external"] == 0  # no scripts, stylesheets or images to fetch: it works offline
    assert facts["width"] <= 1280 == facts["viewport"]  # no sideways scrolling on a laptop
    sections = facts["sections"]
    assert list(sections) == SECTIONS
    for name in SECTIONS:
        assert sections[name]["rows"], f"section {name} is empty"
    assert len(sections["sources"]["rows"]) == 21
    # Moonshot fails for the demo's first 2.5 minutes; Mistral fails two polls in three from 10 s
    # (its first answer comes at the third, about 45 s in), and its last one failed (demo/outages.py)
    assert {row[0] for row in sections["sources"]["rows"] if row[2] != "up"} == {"mistral", "moonshot"}
    # Mistral's page stays green through it: an unacknowledged outage; Moonshot's admits its own
    (outage,) = sections["outages"]["rows"]
    assert outage[:2] == ["mistral", "status-mistral"] and "% of " in outage[2]
    assert "HTTP 503" in outage[4]
    # NIM still lists a model that answers 410: end of life, on the date its refusal names
    (dead,) = sections["unservable"]["rows"]
    assert dead[:3] == ["deepseek-ai/deepseek-v4-pro", "nim", "end_of_life"] and dead[3].endswith("09:00:00 UTC")
    assert "HTTP 410" in dead[5]
    # each direct vendor by the name people know it by, never the demo's loopback host
    names = {row[0]: row[2] for row in sections["providers"]["rows"]}
    assert {names[s] for s in ("openai", "mistral", "together", "anthropic", "gemini", "deepseek", "litellm")} == {
        "OpenAI", "Mistral", "Together", "Anthropic", "Google Gemini", "DeepSeek", "LiteLLM"}
    assert not [row for row in sections["providers"]["rows"] if "127.0.0.1" in row[2]]
    assert [row[0] for row in sections["cheapest"]["rows"]] == ["chat", "tools", "vision", "long_context",
                                                                "reasoning"]
    assert sections["cheapest"]["rows"][0][1] == "acme-small (acme)"
    free = [row[0] for row in sections["free-models"]["rows"]]
    assert free[0] == "meta-llama/llama-3.3-70b-instruct:free"  # the newest free model comes first
    assert "deepseek/deepseek-r1:free" in free
    # soonest first: OpenRouter's Sonnet 4 in three weeks, then Mistral's codestral-2405 with its replacement
    assert [row[0] for row in sections["retiring"]["rows"]] == ["anthropic/claude-sonnet-4", "codestral-2405"]
    assert sections["retiring"]["rows"][1][4] == "codestral-latest"
    change = sections["changes"]["rows"][0]
    assert change[1:4] == ["openrouter", "meta-llama/llama-3.3-70b-instruct:free", "added"]
    assert {row[0] for row in sections["balances"]["rows"]} == {"openrouter", "deepseek", "siliconflow", "acme"}
    # each probed model's last result: the first answer of each demo model is a quick one
    probes = sections["probes"]["rows"]
    assert [row[:2] for row in probes] == [
        ["anthropic", "claude-haiku-4-5"], ["openai", "gpt-4o-mini"],
        ["openrouter", "openai/gpt-4o-mini"], ["openrouter", "deepseek/deepseek-r1:free"],
        ["gemini", "gemini-2.5-flash"], ["ollama", "llama3.2:3b"], ["deepseek", "deepseek-chat"]]
    assert all(row[2] == "ok" and row[3].endswith(" s") for row in probes), probes
