"""The container image's health check: `python -m exporter.web.healthcheck [host:port]`.

It needs no settings. It asks /readyz over HTTPS first (TLS from the web config; the
certificate is not checked, since it names the service, not 127.0.0.1), and over plain HTTP
when the port does not speak TLS. /readyz needs no credentials even with basic auth on.
Exit status 0 when the exporter is ready, 1 otherwise (not ready, nothing listening, or a
client certificate required).
"""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

DEFAULT_ADDRESS = "127.0.0.1:8001"
TIMEOUT = 4.0


def ready(address: str) -> bool:
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    for scheme in ("https", "http"):
        try:
            with urllib.request.urlopen(f"{scheme}://{address}/readyz", timeout=TIMEOUT,
                                        context=unverified if scheme == "https" else None) as answer:
                return bool(answer.status == 200)
        except urllib.error.HTTPError:
            return False  # it answered: 503 until the first round of polls is over
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if scheme == "https" and isinstance(reason, ssl.SSLError):
                continue  # the port speaks plain HTTP
            return False
    return False


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    return 0 if ready(args[0] if args else DEFAULT_ADDRESS) else 1


if __name__ == "__main__":
    sys.exit(main())
