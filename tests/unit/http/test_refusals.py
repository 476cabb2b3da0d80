"""What vendors' refusals say, read from the recorded answers: credit exhaustion told apart
from a rate limit or a bad request, and a dead model told apart from a wrong path, a routing
mismatch or an entitlement."""

from __future__ import annotations

import json

import pytest

from exporter.http.refusals import credit_exhausted, read, retirement, unservable
from tests.support.clock import utc
from tests.support.fakeserver import fixture

# LiteLLM 1.110's ProxyException for BudgetExceededError: status 422 (429 before), type budget_exceeded.
LITELLM_BUDGET = json.dumps({"error": {"message": "Budget has been exceeded! Current cost: 10.02, Max budget: 10.0",
                                       "type": "budget_exceeded", "param": None, "code": "422"}}).encode()
# GatewayZ's pre-flight check: 402 with type insufficient_credits.
GATEWAYZ_CREDITS = json.dumps({"error": {"type": "insufficient_credits", "message": "Insufficient credits for this "
                                         "request", "code": "INSUFFICIENT_CREDITS"}}).encode()


@pytest.mark.parametrize(("status", "body"), [
    (402, fixture("openrouter__error_402.json")),
    (402, fixture("openrouter__error_402_insufficient_credits.json")),
    (402, fixture("deepseek__error_402.json")),
    (429, fixture("openai__error_429_insufficient_quota.json")),
    (400, fixture("anthropic__error_400_credit_balance.json")),
    (422, LITELLM_BUDGET),
    (429, LITELLM_BUDGET.replace(b'"422"', b'"429"')),  # proxies before the 422 change
    (402, GATEWAYZ_CREDITS),
], ids=["openrouter-afford", "openrouter-never-funded", "deepseek", "openai-quota", "anthropic", "litellm",
        "litellm-429", "gatewayz"])
def test_credit_exhaustion_in_every_vendor_s_words(status: int, body: bytes) -> None:
    assert credit_exhausted(read(status, body))


@pytest.mark.parametrize(("status", "body"), [
    (429, fixture("openrouter__error_429.json")),  # a rate limit is not money
    (400, b'{"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}}'),
    (503, b'{"error": {"message": "overloaded"}}'),
])
def test_a_rate_limit_or_a_bad_request_is_not_credit(status: int, body: bytes) -> None:
    assert not credit_exhausted(read(status, body))


@pytest.mark.parametrize(("status", "fixture_name", "model", "reason"), [
    (404, "openai__error_404_model_not_found.json", "chatgpt-4o-latest", "not_found"),
    (404, "openai__error_404_model_deprecated.json", "davinci", "end_of_life"),
    (404, "anthropic__error_404_model_not_found.json", "claude-sonnet-4-20250514", "not_found"),
    (404, "gemini__error_404_model_not_found.json", "gemini-1.0-pro", "not_found"),
    (404, "openrouter__error_404_no_endpoints.json", "deepseek/deepseek-chat-v3.1:free", "not_found"),
    (410, "nvidia_nim__error_410_end_of_life.json", "deepseek-ai/deepseek-v4-pro", "end_of_life"),
])
def test_each_vendor_s_dead_model(status: int, fixture_name: str, model: str, reason: str) -> None:
    found = unservable(read(status, fixture(fixture_name)), model)
    assert found is not None and found.reason == reason


def test_the_end_of_life_instant_is_read_from_the_text() -> None:
    found = unservable(read(410, fixture("nvidia_nim__error_410_end_of_life.json")), "deepseek-ai/deepseek-v4-pro")
    assert found is not None and found.retires_at == utc(2026, 8, 7, 9)
    assert retirement("The model has reached its end of life on 2026-08-07 and is no longer available.") == \
        utc(2026, 8, 7)  # a bare date is 00:00 UTC
    assert retirement("gpt-x was deprecated on 2026-01-05") == utc(2026, 1, 5)
    assert retirement("the model was shut down on 2025-10-01T12:30:00+02:00") == utc(2025, 10, 1, 10, 30)
    assert retirement("end of life soon") is None and retirement("end of life on 9999-01-01") is None


def test_a_410_without_words_is_gone() -> None:
    found = unservable(read(410, b'{"error": {"message": "gone"}}'), "m")
    assert found is not None and (found.reason, found.retires_at) == ("gone", None)


@pytest.mark.parametrize(("status", "body"), [
    # a routing or capability mismatch on OpenRouter, not a dead model
    (404, b'{"error": {"message": "No endpoints found that support tool use.", "code": 404}}'),
    (404, b'{"error": {"message": "No endpoints found matching your guardrail restrictions and data policy.", '
          b'"code": 404}}'),
    # NVIDIA NIM's entitlement 404
    (404, b'{"status": 404, "title": "Not Found", "detail": "Function abc: Not found for account xyz"}'),
    # a wrong path on a proxy: names no model
    (404, b'{"detail": "Not Found"}'),
    # a 400 about a parameter, even one that says deprecated
    (400, b'{"error": {"message": "max_tokens is too large: 9999. This model supports at most 4096.", '
          b'"type": "invalid_request_error", "param": "max_tokens", "code": null}}'),
    (400, b'{"error": {"message": "max_tokens is deprecated for this model, use max_completion_tokens", '
          b'"type": "invalid_request_error"}}'),
    # money, and everything that is not a refusal of the model
    (400, fixture("anthropic__error_400_credit_balance.json")),
    (402, fixture("openrouter__error_402.json")),
    (500, b'{"error": {"message": "The model m failed"}}'),
    (429, b'{"error": {"message": "Rate limit reached for model m"}}'),
])
def test_what_says_nothing_about_the_model(status: int, body: bytes) -> None:
    assert unservable(read(status, body), "m") is None


def test_a_400_that_names_the_model_as_missing_is_not_found() -> None:
    body = b'{"error": {"message": "The model `m-old` does not exist", "type": "invalid_request_error"}}'
    found = unservable(read(400, body), "m-old")
    assert found is not None and found.reason == "not_found"


def test_bodies_that_are_not_envelopes() -> None:
    assert read(502, b"<html>Bad gateway</html>").text == ""
    assert read(500, b"upstream connect error").text == "upstream connect error"
    assert read(500, b"x" * 70000).text == ""  # too large to be an error envelope
    assert read(500, b'{"error": ' * 300 + b"1" + b"}" * 300).text == ""  # deeper than JSON reads
