"""The exposition from the fragment cache: a joined body equals a full render, a poll that changes
nothing renders only the status, a part that cannot render is left out alone, and gzip pieces
join into one member in any order."""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from exporter.collector import OPENMETRICS, TEXT, Exposition, deflate_piece, full_render, gzip_member
from exporter.config import load_text
from exporter.engine import Engine
from exporter.families import Sample
from exporter.views import FleetView, SourceView
from tests.support.clock import Clock
from tests.support.fakeserver import FakeServer, Reply, json_reply
from tests.support.metrics import one_member


def test_pieces_join_into_one_member_in_any_order() -> None:
    pieces = [b"# HELP a x\n", b"a 1\n" * 1000, b"", "é\n".encode() * 7, b"# EOF\n"]
    for order in (pieces, pieces[::-1]):
        body = gzip_member(order, [deflate_piece(p) for p in order])
        assert one_member(body) == b"".join(order)


def blocks(body: bytes) -> list[bytes]:
    text = body.removesuffix(b"# EOF\n")
    parts = text.split(b"\n# HELP ")
    return sorted([parts[0], *(b"# HELP " + p for p in parts[1:])])


def consistent(exposition: Exposition, fmt: str) -> tuple[bytes, bytes, FleetView]:
    """Both bodies and the view they were made from. A reload polls its new sources in the
    background, so a newer view can be prepared at any moment: retry until none was."""
    for _ in range(50):
        before = exposition.view
        joined = exposition.render(fmt)
        zipped = exposition.render(fmt, compressed=True)
        view = exposition.view
        if view is not None and view is before:
            return joined, zipped, view
    raise AssertionError("the view kept changing")


class Vendors:
    """A fleet whose answers change at random: catalogs gain, lose and reprice models,
    gateways move provider health, sources fail now and then."""

    def __init__(self, fake: FakeServer, rng: random.Random):
        self.fake, self.rng = fake, rng
        self.models = {f"v{i}": {f"m{j}": [rng.randint(1, 9), rng.randint(1, 9)] for j in range(rng.randint(0, 8))}
                       for i in range(3)}

    def step(self) -> None:
        rng = self.rng
        for name, models in self.models.items():
            roll = rng.random()
            if roll < 0.2 and models:
                models.pop(rng.choice(sorted(models)))
            elif roll < 0.4:
                models[f"m{rng.randint(0, 20)}"] = [rng.randint(0, 9), rng.randint(0, 9)]
            elif roll < 0.6 and models:
                models[rng.choice(sorted(models))][0] = rng.randint(0, 9)
            data = [{"id": m, "in": str(p[0]), "out": str(p[1])} for m, p in models.items()]
            failing = rng.random() < 0.15
            self.fake.routes[f"/{name}/models"] = json_reply({"error": "down"}, status=500) if failing else \
                json_reply({"data": data})
        health = [rng.choice(["healthy", "degraded", "down", "unknown"]) for _ in range(3)]
        providers: list[dict[str, Any]] = [{"id": i, "name": f"P{i}", "slug": f"p{i}", "is_active": rng.random() < 0.8,
                      "supports_streaming": True, "supports_function_calling": rng.random() < 0.5,
                      "supports_vision": False, "supports_image_generation": False,
                      "average_response_time_ms": rng.choice([None, rng.randint(50, 900)]),
                      "health_status": h} for i, h in enumerate(health)]
        self.fake.routes["/gw/providers"] = json_reply(providers)
        stats = {"total": 3, "active": sum(p["is_active"] for p in providers)}
        stats["inactive"] = 3 - stats["active"]
        for state in ("healthy", "degraded", "down", "unknown"):
            stats[state] = health.count(state)
        self.fake.routes["/gw/providers/stats"] = json_reply(stats)
        indicator = rng.choice(["none", "minor", "major"])
        self.fake.routes["/sp/api/v2/summary.json"] = Reply(body=json.dumps({
            "status": {"indicator": indicator}, "components": [
                {"name": "API", "status": rng.choice(["operational", "major_outage"]), "group": False}]}).encode())

    def config(self, names: list[str]) -> str:
        lines = ["timeout: 2s", "stale_after: 1", "sources:"]
        for name in names:
            if name.startswith("v"):
                lines.append(f"  - {{name: {name}, type: http, models: {{url: '{self.fake.url}/{name}/models', "
                             "items: data, id: id, input_price: in, output_price: out, price_scale: 1e-6}}")
            elif name == "gw":
                lines.append(f"  - {{name: gw, type: gatewayz, url: '{self.fake.url}/gw', api_key: k-00000000}}")
            else:
                lines.append(f"  - {{name: sp, type: statuspage, url: '{self.fake.url}/sp'}}")
        return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_joined_body_equals_a_full_render(fake: FakeServer, seed: int) -> None:
    rng = random.Random(seed)
    vendors = Vendors(fake, rng)
    vendors.step()
    names = ["v0", "v1", "gw", "sp"]
    clock = Clock()
    engine = Engine(load_text(vendors.config(names), env={}), clock=clock, backoff=0.01, retries=0)
    exposition = Exposition(engine.view, self_metrics=False)  # the process is read live
    engine.subscribe(exposition.prepare)
    try:
        for step in range(30):
            if rng.random() < 0.6:  # otherwise a quiet step: upstream answers as before
                vendors.step()
            if rng.random() < 0.2:  # a reload adds or removes a source
                pool = ["v0", "v1", "v2", "gw", "sp"]
                names = sorted(rng.sample(pool, rng.randint(1, len(pool))))
                engine.reload(load_text(vendors.config(names), env={}))
            clock.now += rng.choice([1, 30, 60, 200])  # sometimes past the stale window
            engine.run_once()
            for fmt in (TEXT, OPENMETRICS):
                joined, zipped, view = consistent(exposition, fmt)
                assert blocks(joined) == blocks(full_render(view, fmt, self_metrics=False)), (seed, step, fmt)
                reader = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # one gzip member, nothing after it
                assert reader.decompress(zipped) == joined and reader.eof and not reader.unused_data
            if fmt == OPENMETRICS:
                assert joined.endswith(b"# EOF\n")
    finally:
        engine.stop()


def test_a_poll_that_changes_nothing_renders_only_the_status(fake: FakeServer) -> None:
    body = {"data": [{"id": f"m{i}", "in": "1", "out": "2"} for i in range(500)]}
    fake.routes["/v/models"] = json_reply(body)
    engine = Engine(load_text(f"sources: [{{name: v, type: http, models: {{url: '{fake.url}/v/models', items: data, "
                              "id: id, input_price: in, output_price: out}}]\n", env={}), backoff=0.01)
    exposition = Exposition(engine.view, self_metrics=False)
    engine.subscribe(exposition.prepare)
    try:
        engine.run_once()
        first = exposition.render()
        before = exposition.parts_rendered
        engine.run_once()  # same catalog, new latency
        second = exposition.render()
        # the source's status (poll time, counters) and its provider's latency; not the 500 models
        assert exposition.parts_rendered - before == 2
        model_lines = [line for line in first.splitlines() if line.startswith(b"llm_model_")]
        assert model_lines == [line for line in second.splitlines() if line.startswith(b"llm_model_")]
    finally:
        engine.stop()


def test_a_part_that_cannot_render_is_left_out_alone(fake: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """A bug or a value no family can hold in one part costs that part, not the update: the
    other parts of the same source and every other source are rendered, in both formats."""
    import logging

    from exporter import collector, families
    from exporter.families import Part

    def broken(view: FleetView, s: SourceView) -> Iterator[Sample]:
        if s.name == "v1":
            raise OverflowError("int too large to convert to float")
        return iter(())

    monkeypatch.setattr(collector, "SOURCE_PARTS", (*families.SOURCE_PARTS, Part("broken", "source",
                                                                                   lambda view, s: (s.name,), broken)))
    vendors = Vendors(fake, random.Random(1))
    vendors.step()
    engine = Engine(load_text(vendors.config(["v0", "v1", "sp"]), env={}), clock=Clock(), backoff=0.01, retries=0)
    try:
        engine.run_once()
        with caplog.at_level(logging.ERROR):
            exposition = Exposition(engine.view)
            for fmt in (TEXT, OPENMETRICS):
                body = exposition.render(fmt).decode()
                for name in ("v0", "v1", "sp"):
                    assert f'llm_source_up{{source="{name}"}} 1' in body, (fmt, name)
        assert [r.getMessage() for r in caplog.records] == ["cannot render broken of v1; it is left out until its "
                                                             "state changes"]
    finally:
        engine.stop()
