"""An HTTP client as a poll gets one: a total deadline, a recorder, a short backoff."""

from __future__ import annotations

import time
from typing import Any

import requests

from exporter.http import Client, PollRecorder


def client(timeout: float = 2.0, budget: float = 30.0, **kwargs: Any) -> Client:
    return Client(timeout=timeout, deadline=time.monotonic() + budget, recorder=PollRecorder(), backoff=0.01,
                  **kwargs)


def get_json(url: str, path: str, status: int = 200) -> Any:
    """A JSON document of the exporter's web API, asserting its status and content type."""
    response = requests.get(url + path, timeout=5)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()
