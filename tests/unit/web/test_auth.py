"""Basic auth: an unknown user costs the same bcrypt work as a known one."""

from __future__ import annotations

import bcrypt
import pytest


def test_an_unknown_user_costs_the_same_bcrypt_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Timing must not tell user names apart: an unknown user is checked against a real hash
    of the configured users' cost, like a known user with a wrong password."""
    from exporter.web.auth import BasicAuth

    known = bcrypt.hashpw(b"right", bcrypt.gensalt(rounds=6))
    guard = BasicAuth(lambda e, s: [b""], {"prometheus": known})
    checked: list[bytes] = []
    real = bcrypt.checkpw
    def counted(pw: bytes, h: bytes) -> bool:
        checked.append(h)
        return real(pw, h)

    monkeypatch.setattr(bcrypt, "checkpw", counted)
    import base64

    for user in ("prometheus", "nobody"):
        header = "Basic " + base64.b64encode(f"{user}:wrong".encode()).decode()
        assert not guard._allowed(guard._current(), header)
    assert [h[:7] for h in checked] == [b"$2b$06$", b"$2b$06$"]
    assert checked[1] != known
