"""gzip bodies every client reads whole: one gzip member per body, read by curl --compressed
and by requests exactly as the uncompressed body, in both formats."""

from __future__ import annotations

import shutil
import subprocess
import zlib

import pytest
import requests
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter.collector import deflate_piece, gzip_member

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def one_member(body: bytes) -> bytes:
    """The plain bytes of a gzip body that must be exactly one member, nothing after it."""
    reader = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    plain = reader.decompress(body)
    assert reader.eof, "the gzip member does not end"
    assert reader.unused_data == b"", f"{len(reader.unused_data)} bytes after the first gzip member"
    return plain


def test_pieces_join_into_one_member_in_any_order() -> None:
    pieces = [b"# HELP a x\n", b"a 1\n" * 1000, b"", "é\n".encode() * 7, b"# EOF\n"]
    for order in (pieces, pieces[::-1]):
        body = gzip_member(order, [deflate_piece(p) for p in order])
        assert one_member(body) == b"".join(order)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.support.processes import Exporter

    exporter = Exporter("--demo")
    try:
        exporter.wait_ready(30)
        yield exporter
    finally:
        exporter.stop()


def families(text: str, openmetrics: bool) -> set[str]:
    parse = parse_openmetrics if openmetrics else parse_text
    return {f.name for f in parse(text)}


@pytest.mark.parametrize("accept", ["text/plain", OPENMETRICS], ids=["text", "openmetrics"])
def test_curl_compressed_reads_every_family(demo, accept: str) -> None:  # type: ignore[no-untyped-def]
    curl = shutil.which("curl")
    assert curl, "curl is needed"
    openmetrics = accept != "text/plain"
    plain = demo.get("/metrics", headers={"Accept": accept, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    zipped = subprocess.run([curl, "-s", "--compressed", "-H", f"Accept: {accept}", demo.url + "/metrics"],
                            capture_output=True, timeout=30, check=True).stdout.decode()
    if openmetrics:
        assert zipped.endswith("# EOF\n")
    # the same families (values move between the two scrapes; names do not)
    assert families(zipped, openmetrics) == families(plain.text, openmetrics)
    assert len(families(zipped, openmetrics)) > 50


def test_every_requests_scrape_decodes_whole(demo) -> None:  # type: ignore[no-untyped-def]
    raw = requests.get(demo.url + "/metrics", headers={"Accept": OPENMETRICS, "Accept-Encoding": "gzip"},
                       stream=True, timeout=5)
    assert raw.headers["Content-Encoding"] == "gzip"
    one_member(raw.raw.read(decode_content=False))
    session = requests.Session()
    for _ in range(50):
        body = session.get(demo.url + "/metrics", headers={"Accept": OPENMETRICS}, timeout=5).text
        assert body.endswith("# EOF\n")
        list(parse_openmetrics(body))  # strict: a truncated body is missing its EOF
