"""The total deadline of a request, on real sockets and real time: a server that drips its body
(with a Content-Length, chunked, or ended by closing the connection) or sends its headers late."""

from __future__ import annotations

import time

import pytest

from exporter.http import Client, FetchError, PollRecorder
from tests.support.fakeserver import FakeServer, Reply, StreamReply, json_reply


def client(timeout: float = 2.0, budget: float = 30.0, **kwargs: object) -> Client:
    return Client(timeout=timeout, deadline=time.monotonic() + budget, recorder=PollRecorder(),
                  backoff=0.01, **kwargs)  # type: ignore[arg-type]


def test_dripping_server_hits_the_total_deadline(fake: FakeServer) -> None:
    # 200 bytes at one byte per 0.05 s would take 10 s; every single read is fast, so only a
    # deadline over the whole request can stop it.
    fake.routes["/drip"] = Reply(body=b"[" + b"1," * 99 + b"1]", drip=0.05)
    c = client(timeout=1.0)
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        c.get("drip", fake.url + "/drip")
    assert err.value.reason == "timeout"
    assert time.monotonic() - started < 4.0
    assert c.recorder.failures == {("drip", "timeout"): 1}


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
