"""Each vendor's stream format: what counts as content."""

from __future__ import annotations

from exporter.probes import streams
from tests.support.probes import openai_stream


# -- reading, unit level ------------------------------------------------------------------------
def test_role_only_and_empty_chunks_do_not_count_as_content() -> None:
    lines = [(line, float(i)) for i, chunk in enumerate(openai_stream(("", "OK")))
             for line in chunk.split(b"\n")]
    reading = streams.read("openai", lines)
    assert reading.content_chunks == 1 and reading.first_content_at == 2.0 and reading.ended
