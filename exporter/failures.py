"""Why a call failed: the one vocabulary of the `reason` label of
llm_source_request_failures_total. http classifies every failed call into it, the probes add
their own reasons to it, and the families export it, without importing http.

- timeout, connection: no full answer in time, or no connection at all
- auth: 401 or 403
- rate_limited: 429
- http_error: any other status that is not an answer (5xx, 404, ...)
- invalid_response: an answer, but not one that can be used (not JSON, the wrong shape, a body
  over limits.max_response_bytes, values that cannot be true)
- credit_exhausted: the account, key or budget has no money left for the call (402, OpenAI's
  429 insufficient_quota, Anthropic's 400 "credit balance is too low", LiteLLM's
  budget_exceeded): money, not an outage; never retried, and a source stays up for it
- unsupported: the vendor answered, but in a form that cannot give what is asked (a LiteLLM too
  old for per-call spend logs): a fact about its version, not a fault to retry
"""

REASONS = ("timeout", "connection", "auth", "rate_limited", "http_error", "invalid_response", "unsupported",
           "credit_exhausted")
# Failures that say nothing about whether the vendor serves: a limit we hit, an account out of
# money, a version that lacks a feature. The observed failure ratio and streaks leave them out.
NOT_OUTAGES = ("rate_limited", "credit_exhausted", "unsupported")
# A failure streak (the exporter's own polls and probes of a source failing) ends after this
# many seconds without a failure: one outage's failures come in bursts, and a burst within
# five minutes of the last belongs to the same outage.
STREAK_GAP = 300.0
