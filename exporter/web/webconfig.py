"""`--web.config.file`: TLS and basic auth for the exporter's own endpoint, in the file format
of the Prometheus exporter-toolkit, so operators configure this exporter like every other one.

    tls_server_config:
      cert_file: /etc/llm-fleet-exporter/tls.crt
      key_file: /etc/llm-fleet-exporter/tls.key
      client_auth_type: RequireAndVerifyClientCert   # or NoClientCert, VerifyClientCertIfGiven
      client_ca_file: /etc/llm-fleet-exporter/clients.pem
      min_version: TLS12
    basic_auth_users:
      prometheus: $2y$10$...   # bcrypt hashes only, never passwords
    http_server_config:
      headers:                 # added to every response, over the defaults below
        Strict-Transport-Security: max-age=31536000

Basic auth protects every path but /healthz and /readyz (Kubernetes probes and Docker health
checks carry no credentials). As in Go's
bcrypt, a password longer than 72 bytes never matches (a 401, like any wrong password).

As exporter-toolkit does, the file and the certificates it names are read again while the
exporter runs (LiveWebConfig): a renewed certificate or a changed user applies to the next
connection, and a broken new file is logged and the one in force kept.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporter.config import ConfigError, read_yaml

log = logging.getLogger(__name__)

TLS_KEYS = {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version", "max_version"}
VERSIONS = {"TLS10": ssl.TLSVersion.TLSv1, "TLS11": ssl.TLSVersion.TLSv1_1, "TLS12": ssl.TLSVersion.TLSv1_2,
            "TLS13": ssl.TLSVersion.TLSv1_3}
# The toolkit's client_auth_type values Python's ssl module can honour exactly. Request- and
# RequireAny- ask for a certificate without verifying it, which ssl cannot do.
CLIENT_AUTH = {"NoClientCert": ssl.CERT_NONE, "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
               "RequireAndVerifyClientCert": ssl.CERT_REQUIRED}


# http_server_config.headers: the headers exporter-toolkit lets a user set, and the values it
# accepts for the two that take a keyword.
HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "X-XSS-Protection",
           "Strict-Transport-Security")
HEADER_VALUES = {"X-Frame-Options": ("deny", "sameorigin"), "X-Content-Type-Options": ("nosniff",)}


@dataclass(frozen=True)
class WebConfig:
    tls: ssl.SSLContext | None = None
    users: dict[str, bytes] = field(default_factory=dict, repr=False)  # user -> bcrypt hash
    headers: tuple[tuple[str, str], ...] = ()  # http_server_config.headers
    files: tuple[str, ...] = ()  # what it was read from: the file, then the certificates it names


def load(path: str) -> WebConfig:
    """Reads and checks the file; every problem is one line naming its key, raised together."""
    where = f"{path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{where}: cannot read web config: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{where}: not a YAML web config: {str(exc).splitlines()[0]}"]) from None
    doc = read_yaml(text, where) or {}
    if not isinstance(doc, dict):
        raise ConfigError([f"{where}: expected a mapping with tls_server_config and basic_auth_users"])
    known = ("tls_server_config", "basic_auth_users", "http_server_config")
    problems = [f"{where}: {key}: unknown key (this exporter reads {', '.join(known)})"
                for key in doc if key not in known]
    users = _users(doc.get("basic_auth_users"), where, problems)
    raw_tls = doc.get("tls_server_config")
    tls = _tls(raw_tls, where, problems)
    headers = _http(doc.get("http_server_config"), where, problems)
    if problems:
        raise ConfigError(problems)
    named = [raw_tls.get(k) for k in ("cert_file", "key_file", "client_ca_file")] if isinstance(raw_tls, dict) else []
    return WebConfig(tls=tls, users=users, headers=headers, files=(path, *(str(f) for f in named if f)))


def _http(raw: Any, where: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    key = f"{where}: http_server_config"
    if not isinstance(raw, dict):
        problems.append(f"{key}: expected a mapping")
        return ()
    problems.extend(f"{key}.{k}: unknown key" for k in raw if k not in ("headers", "http2"))
    # http2: accepted so exporter-toolkit files load as they are; this server speaks HTTP/1.1.
    if "http2" in raw and not isinstance(raw["http2"], bool):
        problems.append(f"{key}.http2: expected true or false")
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict):
        problems.append(f"{key}.headers: expected a mapping of header names to values")
        return ()
    out = []
    for name, value in headers.items():
        canonical = next((h for h in HEADERS if h.lower() == str(name).lower()), None)
        if canonical is None:
            problems.append(f"{key}.headers.{name}: not a header this file may set (one of: {', '.join(HEADERS)})")
            continue
        if value is None or value == "":
            continue  # blank: unset, as exporter-toolkit reads it
        if not isinstance(value, str) or any(c in value for c in "\r\n"):
            problems.append(f"{key}.headers.{name}: expected a one-line string")
            continue
        allowed = HEADER_VALUES.get(canonical)
        if allowed and value.lower() not in allowed:
            problems.append(f"{key}.headers.{name}: {value!r} is not one of {', '.join(allowed)}")
            continue
        out.append((canonical, value))
    return tuple(out)


def _users(raw: Any, where: str, problems: list[str]) -> dict[str, bytes]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: basic_auth_users: expected a mapping of user names to bcrypt hashes")
        return {}
    users = {}
    for user, hashed in raw.items():
        if not isinstance(hashed, str) or not hashed.startswith(("$2a$", "$2b$", "$2y$")) or len(hashed) != 60:
            # Never echo the value: it may be a password pasted where a hash belongs.
            problems.append(f"{where}: basic_auth_users.{user}: not a bcrypt hash (the file holds hashes only)")
            continue
        users[str(user)] = hashed.encode()
    return users


def _tls(raw: Any, where: str, problems: list[str]) -> ssl.SSLContext | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{where}: tls_server_config: expected a mapping")
        return None
    key = f"{where}: tls_server_config"
    problems.extend(f"{key}.{k}: unknown key" for k in raw if k not in TLS_KEYS)
    for needed in ("cert_file", "key_file"):
        if not raw.get(needed):
            problems.append(f"{key}.{needed}: required for TLS")
    auth = raw.get("client_auth_type", "NoClientCert")
    if auth not in CLIENT_AUTH:
        problems.append(f"{key}.client_auth_type: {auth!r} is not supported (one of: {', '.join(CLIENT_AUTH)})")
    elif auth != "NoClientCert" and not raw.get("client_ca_file"):
        problems.append(f"{key}.client_ca_file: required with client_auth_type {auth}")
    versions = {}
    for bound in ("min_version", "max_version"):
        if bound in raw:
            if raw[bound] not in VERSIONS:
                problems.append(f"{key}.{bound}: {raw[bound]!r} is not one of {', '.join(VERSIONS)}")
            else:
                versions[bound] = VERSIONS[raw[bound]]
    if problems:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = versions.get("min_version", ssl.TLSVersion.TLSv1_2)
    if "max_version" in versions:
        context.maximum_version = versions["max_version"]
    try:
        context.load_cert_chain(raw["cert_file"], raw["key_file"])
    except (OSError, ssl.SSLError) as exc:
        problems.append(f"{key}.cert_file: cannot load the certificate and key: {_reason(exc)}")
        return None
    context.verify_mode = CLIENT_AUTH[auth]
    if raw.get("client_ca_file"):
        try:
            context.load_verify_locations(cafile=raw["client_ca_file"])
        except (OSError, ssl.SSLError) as exc:
            problems.append(f"{key}.client_ca_file: cannot load: {_reason(exc)}")
            return None
    return context


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__


class LiveWebConfig:
    """The web config in force, read again when it changes: on reload() (SIGHUP), and when a
    request or a new connection arrives and the file or a certificate it names has changed on
    disk (checked at most once a second), as a renewed certificate from cert-manager or certbot
    is. The same with and without TLS: a user removed from the file loses access at the next
    request either way. A new file that does not load is logged in one line and the one in force
    stays; so is a change that would turn TLS on or off, which needs a restart (the listening
    socket's kind is fixed)."""

    CHECK_EVERY = 1.0  # seconds between looks at the files' modification times

    def __init__(self, path: str, current: WebConfig):
        self.path = path
        self.current = current
        self._stamp = _stamp(current.files)
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def fresh(self) -> WebConfig:
        """The web config in force, after a look at the files if one is due."""
        if time.monotonic() - self._checked >= self.CHECK_EVERY:
            try:
                self.refresh()
            except Exception:  # the accept loop and the requests must outlive any surprise here
                log.exception("checking the web config for changes failed")
        return self.current

    def tls(self) -> ssl.SSLContext | None:
        """The TLS context for a new connection."""
        return self.fresh().tls

    def refresh(self) -> bool:
        """Reloads when a file changed since the last load (or the last failed attempt)."""
        with self._lock:
            self._checked = time.monotonic()
            stamp = _stamp(self.current.files)
            if stamp == self._stamp:
                return False
            self._stamp = stamp
        return self.reload()

    def reload(self) -> bool:
        """Reads the file again; True when the new one is in force."""
        with self._lock:
            self._stamp = _stamp(self.current.files)
            try:
                new = load(self.path)
            except ConfigError as err:
                log.error("web config reload failed, keeping the one in force: %s", "; ".join(err.problems),
                          extra={"fields": {"file": self.path, "problems": len(err.problems)}})
                return False
            if (new.tls is None) != (self.current.tls is None):
                log.error("web config reload refused, keeping the one in force: turning TLS %s needs a restart",
                          "on" if new.tls else "off", extra={"fields": {"file": self.path}})
                return False
            self.current = new
            self._stamp = _stamp(new.files)
        log.info("reloaded web config %s", self.path,
                 extra={"fields": {"file": self.path, "tls": new.tls is not None, "users": len(new.users)}})
        return True


def _stamp(files: tuple[str, ...]) -> tuple[tuple[int, int, int] | None, ...]:
    """What tells a replaced file from the one read: inode, size and modification time (a
    Kubernetes secret volume swaps a symlink; certbot rewrites in place)."""
    out: list[tuple[int, int, int] | None] = []
    for name in files:
        try:
            st = os.stat(name)
        except OSError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)
