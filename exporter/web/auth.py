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

    def __init__(self, app: Callable[..., Iterable[bytes]],
                 users: dict[str, bytes] | Callable[[], dict[str, bytes]]):
        """users: user -> bcrypt hash, or what gives the ones in force (a reloadable web config).
        With no users every request passes."""
        import bcrypt  # only deployments with basic auth need it loaded

        self._bcrypt = bcrypt
        self.app = app
        self._users = users if callable(users) else (lambda: users)
        # bcrypt is slow on purpose; a scrape every few seconds should not pay it each time.
        # Remembered as keyed digests, so the cache never holds a password, and forgotten when
        # the users change, so a password taken away stops working at once.
        self._key = os.urandom(32)
        self._verified: set[bytes] = set()
        self._lock = threading.Lock()
        self._seen: dict[str, bytes] | None = None
        self._dummy = b""

    def _current(self) -> dict[str, bytes]:
        users = self._users()
        with self._lock:
            if users is not self._seen:
                self._seen = users
                self._verified.clear()
                self._dummy = b""
        return users

    def _dummy_hash(self, users: dict[str, bytes]) -> bytes:
        """What an unknown user is checked against: a real hash at the users' highest cost."""
        with self._lock:
            dummy = self._dummy
        if not dummy:
            cost = max((int(h[4:6]) for h in users.values()), default=10)
            dummy = self._bcrypt.hashpw(os.urandom(18), self._bcrypt.gensalt(rounds=cost))
            with self._lock:
                if self._seen is users:
                    self._dummy = dummy
        return dummy

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        users = self._current()
        if not users or environ.get("PATH_INFO") in OPEN_PATHS or self._allowed(
                users, environ.get("HTTP_AUTHORIZATION", "")):
            return self.app(environ, start_response)
        body = b"401 Unauthorized\n"
        start_response("401 Unauthorized", [("Content-Type", "text/plain; charset=utf-8"),
                                             ("Content-Length", str(len(body))),
                                             ("WWW-Authenticate", f'Basic realm="{REALM}"')])
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def _allowed(self, users: dict[str, bytes], header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        hashed = users.get(user)
        digest = hmac.new(self._key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            if digest in self._verified:
                return True
        secret = password.encode()
        # bcrypt reads 72 bytes at most, and the bcrypt module refuses more (a ValueError, which
        # was a 500). Go's bcrypt, which exporter-toolkit uses, refuses such passwords too: they
        # never match, after the same work as any other check.
        matched = self._bcrypt.checkpw(secret[:72], hashed if hashed is not None else self._dummy_hash(users))
        if not matched or hashed is None or len(secret) > 72:
            return False
        with self._lock:
            if self._seen is users:  # not a password the users in force no longer hold
                self._verified.add(digest)
        return True
