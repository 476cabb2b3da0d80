"""The demo's keys: OpenRouter pages them by two and hides disabled ones unless asked; the batch
key is past 80% of its limit and expires in 5 days; LiteLLM lists full rows only when asked."""

from __future__ import annotations

from exporter.demo import keys
from tests.support.clock import NOW


def test_openrouter_s_keys_page_and_the_batch_key_crosses_80_percent() -> None:
    first = keys.openrouter_keys(NOW, 0, 0)["data"]
    batch = next(k for k in first if k["name"] == "batch-jobs")
    assert 0.8 < batch["usage"] / batch["limit"] < 0.95
    assert batch["expires_at"].startswith("2026-11-23")  # 5 days after NOW
    later = next(k for k in keys.openrouter_keys(NOW + 3600, 3600, 0)["data"] if k["name"] == "batch-jobs")
    assert later["limit_remaining"] < batch["limit_remaining"]  # it keeps spending
    pages = [keys.openrouter_keys(NOW, 0, offset)["data"] for offset in (0, 2, 4)]
    assert [len(p) for p in pages] == [2, 2, 0]


def test_litellm_lists_full_rows_only_when_asked() -> None:
    status, body = keys.litellm_key_list({"page": ["1"], "size": ["100"]})
    assert status == 200 and all(isinstance(k, str) for k in body["keys"])
    status, body = keys.litellm_key_list({"page": ["1"], "size": ["100"], "return_full_object": ["true"]})
    assert {k["key_alias"] for k in body["keys"]} == {"prod-backend", "research", None}
    assert keys.litellm_key_list({"size": ["1000"]})[0] == 422
