"""LiteLLM: the proxy (proxy.py: readiness, the model groups and their deployments, prices and
capabilities) and its spend logs (spendlogs.py: the calls it made, a usage feed)."""

from exporter.sources.litellm.proxy import LitellmSource

__all__ = ["LitellmSource"]
