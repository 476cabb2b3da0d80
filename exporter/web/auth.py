"""Basic auth for the exporter's endpoint, from the web config's basic_auth_users: bcrypt
hashes, checked as exporter-toolkit checks them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

# Liveness and readiness say nothing but "up" and "ready": Kubernetes probes and Docker health
# checks carry no credentials. exporter-toolkit protects every path; this is the one deviation.
OPEN_PATHS = ("/healthz", "/readyz")
REALM = "llm-fleet-exporter"


class BasicAuth:
    """WSGI middleware: every path but OPEN_PATHS needs one of the configured users. A request
    without valid credentials learns nothing but 401 and the realm, and not even whether the
    user exists: an unknown user costs the same bcrypt work as a wrong password."""

    def __init__(self, app: Callable[..., Iterable[bytes]], users: dict[str, bytes]):
        import bcrypt  # only deployments with basic auth need it loaded

        self._bcrypt = bcrypt
        self.app = app
        self.users = users
        # bcrypt is slow on purpose; a scrape every few seconds should not pay it each time.
        # Remembered as keyed digests, so the cache never holds a password.
        self._key = os.urandom(32)
        self._verified: set[bytes] = set()
        self._lock = threading.Lock()
        # What an unknown user is checked against: a real hash at the users' highest cost.
        cost = max((int(h[4:6]) for h in users.values()), default=10)
        self._dummy = bcrypt.hashpw(os.urandom(18), bcrypt.gensalt(rounds=cost))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in OPEN_PATHS or self._allowed(environ.get("HTTP_AUTHORIZATION", "")):
            return self.app(environ, start_response)
        body = b"401 Unauthorized\n"
        start_response("401 Unauthorized", [("Content-Type", "text/plain; charset=utf-8"),
                                             ("Content-Length", str(len(body))),
                                             ("WWW-Authenticate", f'Basic realm="{REALM}"')])
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def _allowed(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        hashed = self.users.get(user)
        digest = hmac.new(self._key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            if digest in self._verified:
                return True
        secret = password.encode()
        # bcrypt reads 72 bytes at most, and the bcrypt module refuses more (a ValueError, which
        # was a 500). Go's bcrypt, which exporter-toolkit uses, refuses such passwords too: they
        # never match, after the same work as any other check.
        matched = self._bcrypt.checkpw(secret[:72], hashed if hashed is not None else self._dummy)
        if not matched or hashed is None or len(secret) > 72:
            return False
        with self._lock:
            self._verified.add(digest)
        return True
