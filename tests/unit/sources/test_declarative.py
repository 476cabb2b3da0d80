"""The http type: a vendor described in the config, and a path that does not resolve named in its error."""

from __future__ import annotations

from typing import Any

import pytest

from exporter.http import FetchError
from exporter.snapshot import Money
from tests.support.adapters import D, poll
from tests.support.fakeserver import FakeServer, Reply, json_reply


# -- http (declarative) ---------------------------------------------------------------------
def declarative(url: str) -> dict[str, Any]:
    return {
        "health": {"url": f"{url}/health", "expect_status": 204},
        "balance": {"url": f"{url}/balance", "headers": {"X-Token": "declared-header-secret"},
                    "amount": "data.balance", "currency_path": "data.currency", "scale": 0.0001},
        "models": {"url": f"{url}/models", "items": "data", "id": "id", "name": "name",
                   "input_price": "pricing.prompt", "output_price": "pricing.completion", "price_scale": 1e-6,
                   "context_length": "context_length"},
    }


def test_http_source(fake: FakeServer) -> None:
    fake.routes["/health"] = Reply(status=204, body=b"")
    fake.routes["/balance"] = json_reply({"data": {"balance": "250000", "currency": "usd"}})
    fake.routes["/models"] = json_reply({"data": [
        {"id": "acme-1", "name": "Acme One", "pricing": {"prompt": "0.5", "completion": 1.5}, "context_length": "8192"},
        {"id": "acme-free", "pricing": {"prompt": 0, "completion": 0}},
    ]})
    snap, rec = poll("http", fake.url, key=None, **declarative(fake.url))
    assert snap.balances == (Money("USD", D("25.0000")),)
    one, free = snap.models
    assert dict(one.prices) == {"input": D("5E-7"), "output": D("0.0000015")}
    assert (one.name, one.context_length, one.free) == ("Acme One", 8192, False)
    assert (free.name, free.free) == ("acme-free", True)
    assert fake.requests_to("/balance")[0].headers["X-Token"] == "declared-header-secret"
    assert rec.requests == {"health": 1, "balance": 1, "models": 1}


def test_http_source_bad_path_names_the_path(fake: FakeServer) -> None:
    fake.routes["/health"] = Reply(status=204, body=b"")
    fake.routes["/balance"] = json_reply({"result": {"balance": 1}})
    with pytest.raises(FetchError) as err:
        poll("http", fake.url, key=None, **declarative(fake.url))
    assert (err.value.endpoint, err.value.reason) == ("balance", "invalid_response")
    assert "'data.balance'" in err.value.message


def test_http_source_wrong_health_status(fake: FakeServer) -> None:
    fake.routes["/health"] = json_reply({"ok": True})  # 200, but 204 is expected
    with pytest.raises(FetchError) as err:
        poll("http", fake.url, key=None, **declarative(fake.url))
    assert (err.value.endpoint, err.value.reason) == ("health", "http_error")
