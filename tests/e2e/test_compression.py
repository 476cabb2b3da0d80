"""Compressed scrapes read whole by real clients: curl --compressed and requests, in both formats."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
import requests

from tests.support.metrics import one_member, parse, types
from tests.support.processes import Exporter
from tests.support.wait import wait_for

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    exporter = Exporter("--demo")
    try:
        exporter.wait_ready(30)
        yield exporter
    finally:
        exporter.stop()


def families(text: str, openmetrics: bool) -> set[str]:
    return set(types(text, openmetrics))


@pytest.mark.parametrize("accept", ["text/plain", OPENMETRICS], ids=["text", "openmetrics"])
def test_curl_compressed_reads_every_family(demo: Exporter, accept: str) -> None:
    curl = shutil.which("curl")
    assert curl, "curl is needed"
    openmetrics = accept != "text/plain"

    def compared() -> tuple[set[str], set[str]]:
        plain = demo.get("/metrics", headers={"Accept": accept, "Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers
        zipped = subprocess.run([curl, "-s", "--compressed", "-H", f"Accept: {accept}", demo.url + "/metrics"],
                                capture_output=True, timeout=30, check=True).stdout.decode()
        if openmetrics:
            assert zipped.endswith("# EOF\n")
        return families(zipped, openmetrics), families(plain.text, openmetrics)

    # The same families: values move between two scrapes, and so can the set of names while the
    # demo's first checks land after ready (the liveness families, a source's first catalog), so
    # one pair of scrapes taken while nothing lands must agree. A truncated body never would.
    wait_for(lambda: (pair := compared())[0] == pair[1], 30, "a compressed and a plain scrape with the same "
             "families", detail=lambda: str([sorted(a ^ b) for a, b in [compared()]]))
    assert len(compared()[0]) > 50


def test_every_requests_scrape_decodes_whole(demo: Exporter) -> None:
    raw = requests.get(demo.url + "/metrics", headers={"Accept": OPENMETRICS, "Accept-Encoding": "gzip"},
                       stream=True, timeout=5)
    assert raw.headers["Content-Encoding"] == "gzip"
    one_member(raw.raw.read(decode_content=False))
    session = requests.Session()
    for _ in range(50):
        body = session.get(demo.url + "/metrics", headers={"Accept": OPENMETRICS}, timeout=5).text
        assert body.endswith("# EOF\n")
        list(parse(body, openmetrics=True))  # strict: a truncated body is missing its EOF
