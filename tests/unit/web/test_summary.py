"""/api/summary and the landing page show each probe's last result."""

from __future__ import annotations

from exporter.config import load_text
from exporter.engine import Engine
from exporter.web import landing, summary
from tests.support.fakeserver import FakeServer, StreamReply
from tests.support.probes import catalog, openai_stream, stream_config, timed


def test_summary_and_landing_page_show_the_last_result(fake: FakeServer) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(done=False)))
    engine = Engine(load_text(stream_config(fake), env={}))
    try:
        view = engine.run_once()
    finally:
        engine.stop()
    (entry,) = summary.build(view)["probes"]
    assert entry == {**entry, "source": "oai", "model": "gpt-4o-mini", "success": False,
                     "reason": "invalid_response", "last_success": None, "consecutive_failures": 1}
    assert entry["error"] == "the stream ended without its end marker" and entry["last_probe"] > 0
    page = landing.render(view)
    assert '<section id="probes">' in page and "invalid_response" in page and "without its end marker" in page
