"""Ollama: the models installed on a local server and the ones loaded in memory."""

from __future__ import annotations

from typing import Any

from exporter import units
from exporter.http import Client
from exporter.snapshot import LoadedModel, Model, Snapshot
from exporter.sources.base import Source, listing, records, self_provider


class OllamaSource(Source):
    type_name = "ollama"
    vendor = "Ollama"
    probe_api = ("openai", "/v1/chat/completions")  # Ollama's OpenAI-compatible API
    default_url = "http://localhost:11434"
    needs_key = False
    endpoints = ("tags", "ps")
    auth = "none"

    def poll(self, client: Client) -> Snapshot:
        response, tags = client.fetch_json("tags", self.url("/api/tags"), headers=self.headers())
        installed = self.each(client, "tags", records(listing(tags, "models")), lambda item: (_name(item), item))
        loaded = self.each(client, "ps", records(listing(client.get_json("ps", self.url("/api/ps")), "models")),
                           lambda item: (_name(item),
                                         units.optional_count(item.get("context_length"), "context_length"),
                                         units.optional_count(item.get("size_vram"), "size_vram")))
        contexts = {name: context for name, context, _ in loaded}
        names = [name for name, _ in installed]
        cloud = tuple(name for name, item in installed if is_cloud(item))
        # Local models cost nothing per token: they are free, and have no price. Cloud models
        # run on ollama.com under its plans, so they are not free (and their price is unknown).
        models = tuple(
            Model(provider=self.name, id=name, name=name, context_length=contexts.get(name), free=name not in cloud)
            for name in names
        )
        return Snapshot(
            providers=(self_provider(self, response),),
            models=models,
            catalog=True,
            ollama_installed=tuple(names),
            ollama_cloud=cloud,
            # A model in /api/ps that /api/tags does not list is still loaded: it is reported.
            ollama_loaded=tuple(LoadedModel(model=name, vram_bytes=vram) for name, _, vram in loaded),
        )


def is_cloud(item: dict[str, Any]) -> bool:
    """Ollama lists its cloud models (`gpt-oss:120b-cloud`) among the installed ones, with
    `remote_host`/`remote_model` set and a body of a few hundred bytes."""
    return bool(item.get("remote_host") or item.get("remote_model"))


def _name(item: dict[str, object]) -> str:
    name = item.get("name") or item.get("model")
    if not isinstance(name, str) or not name:
        raise ValueError("model without a name")
    return name
