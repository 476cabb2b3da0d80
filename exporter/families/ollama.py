"""Ollama: which installed models are loaded, and which run on ollama.com."""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from exporter.families.base import CACHED, Family, Part, Same, Sample
from exporter.views import FleetView, SourceView

F = Family
FAMILIES = (
    F("llm_ollama_model_loaded", "gauge", "0/1", ("source", "model"),
      "1 when the installed model is loaded in memory (/api/ps)." + CACHED),
    F("llm_ollama_model_vram_bytes", "gauge", "bytes", ("source", "model"),
      "VRAM the loaded model occupies, in bytes." + CACHED),
    F("llm_ollama_model_cloud", "gauge", "0/1", ("source", "model"),
      "1 when the installed model runs on ollama.com (remote_host set), 0 when it runs locally; cloud models are "
      "not counted as free." + CACHED),
)


def _key(view: FleetView, s: SourceView) -> Hashable:
    snap = s.snapshot
    if s.type != "ollama" or snap is None:
        return None
    return (Same(snap.ollama_installed), Same(snap.ollama_cloud), Same(snap.ollama_loaded))


def _samples(view: FleetView, s: SourceView) -> Iterator[Sample]:
    snap = s.snapshot
    if s.type != "ollama" or snap is None:
        return
    loaded = {m.model: m for m in snap.ollama_loaded}
    # A model in /api/ps that /api/tags does not list is still loaded: it is reported.
    for model in dict.fromkeys([*snap.ollama_installed, *loaded]):
        yield "llm_ollama_model_loaded", (s.name, model), model in loaded
    for model, m in loaded.items():
        if m.vram_bytes is not None:
            yield "llm_ollama_model_vram_bytes", (s.name, model), m.vram_bytes
    for model in snap.ollama_installed:
        yield "llm_ollama_model_cloud", (s.name, model), model in snap.ollama_cloud


PARTS = (Part("ollama", "source", _key, _samples),)
