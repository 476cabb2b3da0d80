"""Content negotiation of /metrics per RFC 9110: q-values decide, not substrings."""

from __future__ import annotations

import pytest

from exporter.web.negotiate import OPENMETRICS, TEXT, media_type, wants_gzip

PROMETHEUS_242 = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


@pytest.mark.parametrize(("header", "gzip"), [
    ("", False),
    ("identity", False),
    ("gzip;q=0", False),
    ("gzip; q=0.000", False),
    ("*;q=0", False),
    ("deflate", False),
    ("gzip, identity;q=0", True),
    ("gzip", True),
    ("GZIP", True),
    ("*", True),
    ("br, gzip;q=0.8", True),
    ("gzip, deflate, br", True),
    ("x-gzip", True),
    ("gzip;q=0.2, identity;q=0.9", False),  # the client ranks plain above gzip
    ("*;q=0.5, gzip;q=0", False),  # the named coding overrides the wildcard
    ("gzip;q=oops", False),  # a garbled weight is no weight
])
def test_accept_encoding(header: str, gzip: bool) -> None:
    assert wants_gzip(header) is gzip


@pytest.mark.parametrize(("header", "chosen"), [
    ("", TEXT),
    ("*/*", TEXT),
    (PROMETHEUS_242, OPENMETRICS),
    ("application/openmetrics-text; version=1.0.0", OPENMETRICS),
    ("application/openmetrics-text;q=0.5, text/plain", TEXT),
    ("text/plain;q=0.9, application/openmetrics-text;q=0.3", TEXT),
    ("text/plain;q=0.3, application/openmetrics-text;q=0.9", OPENMETRICS),
    ("text/*;q=0.6, application/*;q=0.7", OPENMETRICS),
    ("application/openmetrics-text;q=0, */*", TEXT),
    ("text/plain;q=0, */*", OPENMETRICS),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", TEXT),  # a browser
    ("application/json", TEXT),  # nothing acceptable: the default, not a 406
    ("application/openmetrics-text, text/plain", OPENMETRICS),  # equal q: the earlier range
])
def test_accept(header: str, chosen: str) -> None:
    assert media_type(header) == chosen
