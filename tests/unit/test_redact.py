"""Redaction: no key in an error, a header, a query or anywhere a registered value appears."""

from __future__ import annotations

import secrets

import pytest

from exporter import redact
from exporter.http import FetchError
from tests.support.clients import client
from tests.support.processes import free_port


def test_errors_never_carry_keys() -> None:
    registered = "registered-" + secrets.token_hex(8)
    redact.register(registered)
    c = client()
    url = f"http://127.0.0.1:{free_port()}/v1/models?key=AIzaQueryParamSecret&x=1"
    with pytest.raises(FetchError) as err:
        c.get("models", url, headers={"Authorization": f"Bearer {registered}"})
    text = str(err.value) + err.value.message
    assert "AIzaQueryParamSecret" not in text
    assert "key=<redacted>" in text


def test_redact_masks_headers_query_and_registered_values() -> None:
    redact.register("registered-secret-value")
    text = redact.redact(
        "Authorization: Bearer abcdefghijkl x-api-key: zzzyyyxxx https://h/p?api_key=qqq&token=ttt "
        "and registered-secret-value"
    )
    for secret in ("abcdefghijkl", "zzzyyyxxx", "qqq", "ttt", "registered-secret-value"):
        assert secret not in text
