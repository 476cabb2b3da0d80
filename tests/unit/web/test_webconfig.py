"""LiveWebConfig and the middlewares that read it: a changed web config applies to the next
request, a remembered password stops working once its user changes, a broken file changes
nothing."""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from exporter.web import webconfig
from exporter.web.app import Headers
from exporter.web.auth import BasicAuth
from exporter.web.webconfig import LiveWebConfig


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(doc))


def _hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


def _status(app: Any, password: str | None) -> str:
    environ = {"PATH_INFO": "/metrics", "REQUEST_METHOD": "GET"}
    if password is not None:
        environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"prometheus:{password}".encode()).decode()
    seen: list[str] = []
    app(environ, lambda status, headers, exc_info=None: seen.append(status))
    return seen[0]


def test_users_and_headers_follow_the_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "web.yml"
    _write(path, {"basic_auth_users": {"prometheus": _hash("first")}})
    live = LiveWebConfig(str(path), webconfig.load(str(path)))
    inner = lambda environ, start: start("200 OK", []) or [b"ok"]  # noqa: E731
    app = Headers(BasicAuth(inner, lambda: live.current.users), lambda: live.current.headers)
    assert _status(app, "first").startswith("200")
    assert _status(app, "first").startswith("200")  # now from the remembered digest

    _write(path, {"basic_auth_users": {"prometheus": _hash("second")}, "http_server_config": {
        "headers": {"X-Frame-Options": "sameorigin"}}})
    assert live.reload()
    assert _status(app, "first").startswith("401")  # the remembered digest is forgotten
    assert _status(app, "second").startswith("200")
    assert ("X-Frame-Options", "sameorigin") in app.headers

    path.write_text("basic_auth_users: [what]\n")
    with caplog.at_level(logging.INFO):
        assert not live.reload()
        assert not live.refresh()  # the broken file is not read again until it changes again
    failures = [r for r in caplog.records if "reload failed" in r.getMessage()]
    assert len(failures) == 1 and failures[0].levelno == logging.ERROR
    assert _status(app, "second").startswith("200")

    _write(path, {})  # no users at all: the endpoint is open again, as without the file
    assert live.refresh()
    assert _status(app, None).startswith("200")
