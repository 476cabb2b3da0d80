"""The routes: every page stays whole whatever the vendors' ids hold."""

from __future__ import annotations

import requests

from exporter.web.app import App
from exporter.web.server import Server
from tests.support.catalogs import http_source
from tests.support.clients import get_json as get
from tests.support.clock import Clock
from tests.support.engines import engine
from tests.support.fakeserver import FakeServer


def test_hostile_ids_keep_every_page_whole(fake: FakeServer) -> None:
    """A lone surrogate in a model id and a key-looking query string in another: the JSON
    documents stay valid (redaction runs on the strings, before encoding), the unencodable
    character becomes U+FFFD, and the landing page answers 200."""
    body = (b'{"data": [{"id": "lone-\\ud800-id", "in": "1", "out": "2"},'
            b' {"id": "leak?key=abc\\"def", "in": "1", "out": "2"}]}')
    from tests.support.fakeserver import Reply

    fake.routes["/acme/models"] = Reply(body=body)
    e = engine(http_source(fake, "acme"), Clock())
    e.run_once()
    server = Server(App(e), "127.0.0.1:0")
    server.start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        models = {m["model"] for m in get(url, "/api/models")["models"]}
        assert models == {"lone-\ufffd-id", 'leak?key=<redacted>"def'}
        assert get(url, "/api/summary")["sources"][0]["up"] is True
        page = requests.get(url + "/", timeout=5)
        assert page.status_code == 200 and "lone-\ufffd-id" in page.text and "abc" not in page.text
    finally:
        server.stop()
        e.stop()
