"""Ollama: the models installed on a local server and the ones loaded in memory."""

from __future__ import annotations

from exporter import units
from exporter.http import Client
from exporter.snapshot import LoadedModel, Model, Snapshot
from exporter.sources.base import Source, listing, records
from exporter.sources.catalog import self_provider


class OllamaSource(Source):
    type_name = "ollama"
    default_url = "http://localhost:11434"
    needs_key = False
    endpoints = ("tags", "ps")
    auth = "none"

    def poll(self, client: Client) -> Snapshot:
        response, tags = client.fetch_json("tags", self.url("/api/tags"), headers=self.headers())
        installed = list(records(listing(tags, "models")))
        loaded = list(records(listing(client.get_json("ps", self.url("/api/ps")), "models")))
        contexts = {_name(item): units.integer(item.get("context_length")) for item in loaded}
        names = [_name(item) for item in installed]
        # Local models cost nothing per token: they are free, and have no price.
        models = tuple(
            Model(provider=self.name, id=name, name=name, context_length=contexts.get(name), free=True)
            for name in names
        )
        return Snapshot(
            providers=(self_provider(self, response, name="Ollama"),),
            models=models,
            catalog=True,
            ollama_installed=tuple(names),
            ollama_loaded=tuple(
                LoadedModel(model=_name(item), vram_bytes=units.integer(item.get("size_vram"))) for item in loaded
            ),
        )


def _name(item: dict[str, object]) -> str:
    name = item.get("name") or item.get("model")
    if not isinstance(name, str) or not name:
        raise ValueError("model without a name")
    return name
