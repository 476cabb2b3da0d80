"""Source types by their config `type`."""

from __future__ import annotations

from exporter.sources.base import Source
from exporter.sources.gatewayz import GatewayzSource
from exporter.sources.openrouter import OpenRouterSource
from exporter.sources.statuspage import StatuspageSource

SOURCE_TYPES: dict[str, type[Source]] = {
    cls.type_name: cls
    for cls in (
        GatewayzSource,
        OpenRouterSource,
        StatuspageSource,
    )
}


def build(config) -> Source:  # type: ignore[no-untyped-def]
    return SOURCE_TYPES[config.type](config)
