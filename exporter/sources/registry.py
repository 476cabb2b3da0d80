"""Source types by their config `type`: the one list of what the exporter can poll."""

from __future__ import annotations

from exporter.sources.anthropic import AnthropicSource
from exporter.sources.balances import DeepSeekSource, MoonshotSource, SiliconFlowSource
from exporter.sources.base import Source, SourceConfig
from exporter.sources.ccflare import CcflareSource
from exporter.sources.costs import AnthropicCostsSource, OpenAICostsSource
from exporter.sources.declarative import HttpSource
from exporter.sources.gatewayz import GatewayzSource
from exporter.sources.gemini import GeminiSource
from exporter.sources.litellm import LitellmSource
from exporter.sources.ollama import OllamaSource
from exporter.sources.openai import OpenAISource
from exporter.sources.openrouter import OpenRouterSource
from exporter.sources.statuspage import StatuspageSource

SOURCE_TYPES: dict[str, type[Source]] = {
    cls.type_name: cls
    for cls in (
        GatewayzSource,
        OpenRouterSource,
        StatuspageSource,
        OpenAISource,
        AnthropicSource,
        GeminiSource,
        OllamaSource,
        DeepSeekSource,
        MoonshotSource,
        SiliconFlowSource,
        CcflareSource,
        LitellmSource,
        HttpSource,
        OpenAICostsSource,
        AnthropicCostsSource,
    )
}


def build(config: SourceConfig) -> Source:
    return SOURCE_TYPES[config.type](config)
