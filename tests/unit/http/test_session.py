"""The sessions: credentials stay on their origin across redirects; the deadline watchdog cuts a
request whatever its body's framing."""

from __future__ import annotations

import time

import pytest

from exporter.http import FetchError
from tests.support.clients import client
from tests.support.fakeserver import FakeServer, Reply, StreamReply, json_reply

CREDENTIALS = {"Authorization": "Bearer k-auth-0000", "x-api-key": "k-anthropic-0000",
               "x-goog-api-key": "k-gemini-0000", "X-Acme-Key": "k-acme-0000"}


def test_a_cross_origin_redirect_carries_no_credential(fake: FakeServer) -> None:
    other = FakeServer().start()
    try:
        other.routes["/landed"] = json_reply({"ok": True})
        fake.routes["/moved"] = Reply(status=302, body=b"", headers={"Location": other.url + "/landed"})
        assert client().get_json("x", fake.url + "/moved", headers=dict(CREDENTIALS)) == {"ok": True}
        (seen,) = other.requests_to("/landed")
        sent = {k.lower() for k in seen.headers}
        assert not sent & {k.lower() for k in CREDENTIALS}, seen.headers
        assert seen.headers["User-Agent"].startswith("llm-fleet-exporter/")
    finally:
        other.stop()


def test_a_same_origin_redirect_keeps_them(fake: FakeServer) -> None:
    fake.routes["/landed"] = json_reply({"ok": True})
    fake.routes["/moved"] = Reply(status=302, body=b"", headers={"Location": "/landed"})
    client().get_json("x", fake.url + "/moved", headers=dict(CREDENTIALS))
    (seen,) = fake.requests_to("/landed")
    assert {k: seen.headers[k] for k in CREDENTIALS} == CREDENTIALS



@pytest.mark.parametrize("framing", ["content-length", "chunked", "close-delimited"])
def test_every_body_framing_is_cut_at_the_deadline(fake: FakeServer, framing: str) -> None:
    """One byte per 0.5 s for 30 s. A body without Content-Length (HTTP/1.0-style, ended by
    closing the connection) hands the socket from the connection to the response: the
    watchdog must still reach it."""
    body = b"[" + b"1," * 30 + b"1]"
    if framing == "content-length":
        fake.routes["/drip"] = Reply(body=body, drip=0.5)
    else:
        fake.routes["/drip"] = StreamReply([(0.0, body)], headers={"Content-Type": "application/json"},
                                           chunked=framing == "chunked", drip=0.5)
    c = client(timeout=1.0, budget=1.5)
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        c.get("drip", fake.url + "/drip")
    assert err.value.reason == "timeout"
    assert time.monotonic() - started < 2.5
    assert c.recorder.failures == {("drip", "timeout"): 1}


def test_slow_headers_time_out(fake: FakeServer) -> None:
    fake.routes["/slow"] = json_reply({}, delay=3)
    c = client(timeout=0.5)
    with pytest.raises(FetchError) as err:
        c.get("slow", fake.url + "/slow")
    assert err.value.reason == "timeout"
    assert c.recorder.requests == {"slow": 1}  # timeouts are not retried
