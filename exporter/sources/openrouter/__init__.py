"""OpenRouter: the source (source.py) and what it reads: the catalog (catalog.py), the watched
models' upstream endpoints (upstreams.py) and the account's activity (activity.py)."""

from exporter.sources.openrouter.source import OpenRouterSource

__all__ = ["OpenRouterSource"]
