"""Why a call failed: the one vocabulary of the `reason` label of
llm_source_request_failures_total. http classifies every failed call into it, the probes add
their own reasons to it, and the families export it, without importing http.

- timeout, connection: no full answer in time, or no connection at all
- auth: 401 or 403
- rate_limited: 429
- http_error: any other status that is not an answer (5xx, 404, ...)
- invalid_response: an answer, but not one that can be used (not JSON, the wrong shape, a body
  over limits.max_response_bytes, values that cannot be true)
- unsupported: the vendor answered, but in a form that cannot give what is asked (a LiteLLM too
  old for per-call spend logs): a fact about its version, not a fault to retry
"""

REASONS = ("timeout", "connection", "auth", "rate_limited", "http_error", "invalid_response", "unsupported")
