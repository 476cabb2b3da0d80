"""The one HTTP client: requests and retries counted, bounded and inside the poll, Retry-After,
failure reasons, quiet statuses, garbage, body caps."""

from __future__ import annotations

import time

import pytest

from exporter.http import Client, FetchError, PollRecorder, parse_retry_after
from tests.support.clients import client
from tests.support.fakeserver import FakeServer, Reply, json_reply
from tests.support.present import present
from tests.support.processes import free_port


def test_json_ok_counts_one_request(fake: FakeServer) -> None:
    fake.routes["/x"] = json_reply({"a": 1})
    c = client()
    assert c.get_json("x", fake.url + "/x") == {"a": 1}
    assert c.recorder.requests == {"x": 1}
    assert not c.recorder.failures


def test_5xx_is_retried_with_every_attempt_counted(fake: FakeServer) -> None:
    fake.routes["/flaky"] = [json_reply({}, status=503), json_reply({}, status=502), json_reply({"ok": True})]
    c = client()
    assert c.get_json("flaky", fake.url + "/flaky") == {"ok": True}
    assert c.recorder.requests == {"flaky": 3}
    assert c.recorder.failures == {("flaky", "http_error"): 2}


def test_retries_are_bounded(fake: FakeServer) -> None:
    fake.routes["/down"] = json_reply({}, status=500)
    c = client()
    with pytest.raises(FetchError) as err:
        c.get("down", fake.url + "/down")
    assert err.value.reason == "http_error"
    assert c.recorder.requests == {"down": 3}


def test_no_retry_that_would_outlast_the_poll(fake: FakeServer) -> None:
    fake.routes["/down"] = json_reply({}, status=500)
    c = Client(timeout=2.0, deadline=time.monotonic() + 0.5, recorder=PollRecorder(), backoff=1.0)
    with pytest.raises(FetchError):
        c.get("down", fake.url + "/down")
    assert c.recorder.requests == {"down": 1}


def test_connection_refused_is_retried_then_reported() -> None:
    c = client()
    with pytest.raises(FetchError) as err:
        c.get("x", f"http://127.0.0.1:{free_port()}/x")
    assert err.value.reason == "connection"
    assert c.recorder.failures == {("x", "connection"): 3}


def test_429_honours_retry_after_without_retrying(fake: FakeServer) -> None:
    fake.routes["/limited"] = Reply(status=429, body=b'{"error":{"code":429}}',
                                    headers={"Retry-After": "120", "Content-Type": "application/json"})
    c = client()
    with pytest.raises(FetchError) as err:
        c.get("limited", fake.url + "/limited")
    assert (err.value.reason, err.value.retry_after) == ("rate_limited", 120.0)
    assert c.recorder.requests == {"limited": 1}


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412420.0) == 60.0
    assert parse_retry_after("garbage", now=0.0) is None
    assert parse_retry_after(None, now=0.0) is None


@pytest.mark.parametrize(("status", "reason"), [(401, "auth"), (403, "auth"), (404, "http_error")])
def test_status_reasons(fake: FakeServer, status: int, reason: str) -> None:
    fake.routes["/x"] = json_reply({}, status=status)
    c = client()
    with pytest.raises(FetchError) as err:
        c.get("x", fake.url + "/x")
    assert err.value.reason == reason
    assert c.recorder.requests == {"x": 1}


def test_quiet_status_is_not_a_failure(fake: FakeServer) -> None:
    fake.routes["/credits"] = json_reply({"error": {"code": 403}}, status=403)
    c = client()
    assert c.get_json("credits", fake.url + "/credits", quiet=(403,)) is None
    assert c.recorder.requests == {"credits": 1} and not c.recorder.failures


@pytest.mark.parametrize(
    "reply",
    [Reply(body=b"<html>moved</html>", headers={"Content-Type": "text/html"}), Reply(body=b'{"trunc'),
     Reply(body=b"\xff\xfe")],
    ids=["html", "truncated-json", "not-utf8"],
)
def test_garbage_is_invalid_response(fake: FakeServer, reply: Reply) -> None:
    fake.routes["/x"] = reply
    c = client()
    with pytest.raises(FetchError) as err:
        c.get_json("x", fake.url + "/x")
    assert err.value.reason == "invalid_response"
    assert c.recorder.failures == {("x", "invalid_response"): 1}


def test_body_cap(fake: FakeServer) -> None:
    fake.routes["/big"] = Reply(body=b"[" + b"0," * 5000 + b"0]")
    c = client(max_body=1000)
    with pytest.raises(FetchError) as err:
        c.get("big", fake.url + "/big")
    assert err.value.reason == "invalid_response"
    assert c.recorder.failures == {("big", "invalid_response"): 1}


def test_invalid_utf8_inside_a_json_string_is_replaced_not_fatal(fake: FakeServer) -> None:
    fake.routes["/x"] = Reply(body=b'{"data": [{"id": "model-\xff\xfe-1"}]}')
    assert client().get_json("x", fake.url + "/x") == {"data": [{"id": "model-\ufffd\ufffd-1"}]}


def test_the_body_cap_is_per_source_config(fake: FakeServer) -> None:
    """limits.max_response_bytes reaches the engine's client: a 4 KB catalog over a 2 KB cap
    fails that source as invalid_response, and a source without the cap is fine."""
    from exporter.config import load_text
    from exporter.engine import Engine

    page = json_reply({"page": {"id": "x", "name": "x", "url": "u"}, "status": {"indicator": "none",
                                                                                 "description": "ok"},
                       "components": [{"id": f"c{i}", "name": "c" * 40, "status": "operational"} for i in range(60)]})
    fake.routes["/a/api/v2/summary.json"] = page
    fake.routes["/b/api/v2/summary.json"] = page
    engine = Engine(load_text(f"""
sources:
  - {{name: capped, type: statuspage, url: "{fake.url}/a", limits: {{max_response_bytes: 2048}}}}
  - {{name: free, type: statuspage, url: "{fake.url}/b"}}
""", env={}), backoff=0.01)
    try:
        view = engine.run_once()
    finally:
        engine.stop()
    capped, free = view.sources
    assert len(page.body) > 4096
    assert (capped.up, free.up) == (False, True)
    assert dict(capped.failures)[("summary", "invalid_response")] == 1
    assert "larger than 2048 bytes" in present(capped.last_error)
