from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
import requests

from exporter.config import load_text
from exporter.engine import Engine
from exporter.web.app import App
from exporter.web.server import Server
from tests.support.fakeserver import FakeServer, fixture_reply


@pytest.fixture
def served(fake: FakeServer) -> Iterator[tuple[str, Engine]]:
    fake.routes["/gw/providers"] = fixture_reply("gatewayz__providers.json")
    fake.routes["/gw/providers/stats"] = fixture_reply("gatewayz__providers_stats.json")
    fake.routes["/or/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/or/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/or/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    fake.routes["/sp/api/v2/summary.json"] = fixture_reply("statuspage__summary.json")
    engine = Engine(load_text(
        "sources:\n"
        f"  - {{name: gw, type: gatewayz, url: '{fake.url}/gw', api_key: k-0000-0000}}\n"
        f"  - {{name: or, type: openrouter, url: '{fake.url}/or', api_key: k-0000-0000}}\n"
        f"  - {{name: sp, type: statuspage, url: '{fake.url}/sp'}}\n", env={}))
    server = Server(App(engine), "127.0.0.1:0")
    server.start()
    yield f"http://127.0.0.1:{server.port}", engine
    server.stop()
    engine.stop()


def test_readyz_waits_for_first_round(served: tuple[str, Engine]) -> None:
    url, engine = served
    assert requests.get(url + "/readyz").status_code == 503
    assert requests.get(url + "/healthz").status_code == 200
    engine.run_once()
    assert requests.get(url + "/readyz").status_code == 200


def test_metrics_formats_share_one_render(served: tuple[str, Engine]) -> None:
    url, engine = served
    engine.run_once()
    plain = requests.get(url + "/metrics", headers={"Accept-Encoding": "identity"})
    assert plain.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "Content-Encoding" not in plain.headers
    assert 'gatewayz_providers_total{source="gw"} 5.0' in plain.text
    zipped = requests.get(url + "/metrics", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.raw.read()) == plain.content
    om = requests.get(url + "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert om.headers["Content-Type"].startswith("application/openmetrics-text")
    assert om.text.endswith("# EOF\n")
    assert "llm_source_requests_total" in om.text
    # Same generation: the cached bytes are returned, not re-rendered.
    app_exposition = engine.view().generation
    assert requests.get(url + "/metrics").content == plain.content
    assert engine.view().generation == app_exposition


def test_metrics_negotiation_honours_q_values(served: tuple[str, Engine]) -> None:
    """Over real HTTP: a refused gzip is not sent, the preferred format is served."""
    url, engine = served
    engine.run_once()

    def get(**headers: str) -> requests.Response:
        return requests.get(url + "/metrics", headers=headers, stream=True)

    refused = get(**{"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    assert refused.raw.read(decode_content=False).startswith(b"# HELP")
    assert get(**{"Accept-Encoding": "br, gzip;q=0.8"}).headers["Content-Encoding"] == "gzip"
    assert get(**{"Accept-Encoding": "*"}).headers["Content-Encoding"] == "gzip"
    text = get(Accept="text/plain;q=0.9, application/openmetrics-text;q=0.5")
    assert text.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    prometheus = get(Accept="application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                            "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
    assert prometheus.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    assert prometheus.headers["Vary"] == "Accept, Accept-Encoding"


def test_render_is_cached_per_generation(served: tuple[str, Engine]) -> None:
    _, engine = served
    engine.run_once()
    from exporter.collector import Exposition

    exposition = Exposition(engine.view)
    first = exposition.render()
    assert exposition.render() is first
    engine.run_once()
    assert exposition.render() is not first


def test_summary(served: tuple[str, Engine]) -> None:
    url, engine = served
    engine.run_once()
    doc = requests.get(url + "/api/summary").json()
    assert [(s["name"], s["type"], s["up"]) for s in doc["sources"]] == [
        ("gw", "gatewayz", True), ("or", "openrouter", True), ("sp", "statuspage", True)]
    providers = {(p["source"], p["provider"]): p for p in doc["providers"]}
    assert providers[("gw", "openai")]["response_time_seconds"] == pytest.approx(0.245)
    assert providers[("gw", "openai")]["capabilities"] == ["function_calling", "streaming", "vision"]
    assert providers[("or", "or")]["health"] == "healthy"
    assert doc["balances"] == [{"source": "or", "currency": "USD", "balance": 74.5, "credit_limit": 100.0}]
    assert doc["model_counts"] == [{"source": "or", "provider": "or", "models": 4, "free": 1}]
    assert [m["model"] for m in doc["cheapest_paid_models"]] == ["google/gemini-2.5-pro", "openai/gpt-4o"]
    assert [m["model"] for m in doc["free_models"]] == ["deepseek/deepseek-r1:free"]


def test_landing_page(served: tuple[str, Engine]) -> None:
    url, engine = served
    engine.run_once()
    page = requests.get(url + "/")
    assert page.headers["Content-Type"].startswith("text/html")
    assert "llm-fleet-exporter 0.1.0" in page.text and 'href="/metrics"' in page.text
    assert "<td>gw</td><td>gatewayz</td>" in page.text


def test_unknown_path_and_method(served: tuple[str, Engine]) -> None:
    url, _ = served
    assert requests.get(url + "/nope").status_code == 404
    assert requests.get(url + "/metrics/extra").status_code == 404
    response = requests.post(url + "/metrics", data=b"x")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
    head = requests.head(url + "/healthz")
    assert head.status_code == 200 and head.content == b""


def test_summary_is_valid_json_before_first_poll(served: tuple[str, Engine]) -> None:
    url, _ = served
    doc = json.loads(requests.get(url + "/api/summary").text)
    assert doc["exporter"]["ready"] is False
    assert all(not s["polled"] for s in doc["sources"])
