"""Content negotiation for /metrics, per RFC 9110 §12: which format (Accept) and whether to
gzip (Accept-Encoding), honouring q-values. Substring matching got both wrong: `gzip;q=0`
means "never gzip", and an Accept that ranks text/plain above OpenMetrics wants text."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

TEXT = "text/plain"
OPENMETRICS = "application/openmetrics-text"


def _items(header: str) -> Iterator[tuple[int, str, float]]:
    """(position, lower-cased value without parameters, q) for each element of a header list.
    An unparseable q counts as 0 (RFC 9110 allows 0 to 1 with at most three decimals): a
    client that garbles a weight gets the default, never a guess."""
    for position, element in enumerate(header.split(",")):
        value, *params = (part.strip() for part in element.split(";"))
        if not value:
            continue
        q = 1.0
        for param in params:
            name, _, raw = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(raw.strip())
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:
                    q = 0.0
        yield position, value.lower(), q


def media_type(accept: str, offers: Sequence[str] = (TEXT, OPENMETRICS)) -> str:
    """The offer the client ranks highest; the first offer when nothing is said or nothing
    acceptable is offered (a scraper that asks oddly still gets the text format, as every
    Prometheus client library answers).

    For each offer the most specific matching range decides its q (type/subtype over type/*
    over */*); ties go to the more specific match, then to the earlier range, then to the
    earlier offer."""
    ranges = list(_items(accept))
    best: tuple[float, int, int, int] | None = None
    chosen = offers[0]
    for index, offer in enumerate(offers):
        kind = offer.split("/")[0]
        match: tuple[int, int, float] | None = None  # (specificity, -position, q)
        for position, value, q in ranges:
            specificity = 3 if value == offer else 2 if value == f"{kind}/*" else 1 if value == "*/*" else 0
            if specificity and (match is None or (specificity, -position) > match[:2]):
                match = (specificity, -position, q)
        if match is None or match[2] <= 0:
            continue
        score = (match[2], match[0], match[1], -index)
        if best is None or score > best:
            best, chosen = score, offer
    return chosen


def wants_gzip(accept_encoding: str) -> bool:
    """True when gzip is acceptable (named with q > 0, or covered by `*` with q > 0) and the
    client does not rank identity above it. No header, `identity` alone, or `gzip;q=0` mean no."""
    gzip: float | None = None
    star: float | None = None
    identity: float | None = None
    for _, value, q in _items(accept_encoding):
        if value in ("gzip", "x-gzip"):
            gzip = q if gzip is None else max(gzip, q)
        elif value == "*":
            star = q
        elif value == "identity":
            identity = q
    chosen = gzip if gzip is not None else star
    if chosen is None or chosen <= 0:
        return False
    return identity is None or chosen >= identity
