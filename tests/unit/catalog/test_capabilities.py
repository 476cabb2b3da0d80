"""The cheapest eligible model per capability class, and changes of the winner."""

from __future__ import annotations

from decimal import Decimal

from exporter import money
from exporter.catalog.capabilities import CapabilityClass, settings_from
from exporter.catalog.watch import CatalogWatch
from exporter.snapshot import Model, Provider, Snapshot
from tests.support.catalogs import litellm_model, litellm_source, serve_litellm
from tests.support.clock import Clock
from tests.support.engines import engine, metrics
from tests.support.fakeserver import FakeServer
from tests.support.metrics import samples, value


def test_weighted_price() -> None:
    # (3 x input + output) / 4 with the default ratio
    assert money.weighted_price(Decimal("0.000003"), Decimal("0.000015"), Decimal(3)) == Decimal("0.000006")
    assert money.weighted_price(Decimal("0.000001"), Decimal("0.000002"), Decimal(1)) == Decimal("0.0000015")
    assert money.weighted_price(Decimal("0.000001"), None, Decimal(3)) is None


def test_what_a_class_admits() -> None:
    tools = CapabilityClass("tools", capabilities=("tools",))
    long = CapabilityClass("long", min_context=128_000)
    assert tools.admits(Model("p", "m", "m", capabilities=(("tools", True),)))
    assert not tools.admits(Model("p", "m", "m", capabilities=(("tools", False),)))
    assert not tools.admits(Model("p", "m", "m"))  # not reported is not supported
    assert long.admits(Model("p", "m", "m", context_length=128_000))
    assert not long.admits(Model("p", "m", "m", context_length=127_999))
    assert not long.admits(Model("p", "m", "m"))
    chat = CapabilityClass("chat")
    assert chat.admits(Model("p", "m", "m"))  # a catalog that does not say counts as text
    assert not chat.admits(Model("p", "embed", "embed", text_output=False))
    assert CapabilityClass("img", capabilities=("image_generation",)).admits(
        Model("p", "dall-e", "dall-e", capabilities=(("image_generation", True),), text_output=False))


def test_free_models_compete_only_where_the_class_says() -> None:
    free = Model("p", "f", "f", prices=(("input", Decimal(0)), ("output", Decimal(0))), free=True)
    local = Model("p", "llama", "llama", free=True)  # Ollama: free, no prices at all
    assert CapabilityClass("chat").price(free, Decimal(3)) is None
    assert CapabilityClass("chat", include_free=True).price(free, Decimal(3)) == 0
    assert CapabilityClass("chat", include_free=True).price(local, Decimal(3)) == 0
    unpriced = Model("p", "auto", "auto", prices=(("input", Decimal("0.000001")),))
    assert CapabilityClass("chat", include_free=True).price(unpriced, Decimal(3)) is None


def priced(model_id: str, inp: str, out: str, provider: str = "gw") -> Model:
    return Model(provider, model_id, model_id, prices=(("input", Decimal(inp)), ("output", Decimal(out))))


def gateway(health: str) -> Snapshot:
    """A source listing models for two providers that have health of their own."""
    return Snapshot(
        providers=(Provider("cheap", "Cheap", health=health), Provider("dear", "Dear", health="healthy")),
        models=(priced("small", "0.000001", "0.000001", "cheap"), priced("big", "0.000002", "0.000002", "dear")),
        catalog=True,
    )


def test_a_model_on_a_degraded_or_down_provider_never_wins() -> None:
    watch = CatalogWatch(settings_from(None))
    watch.observe("gw", gateway("healthy"), 1.0)
    view = watch.rank([("gw", True)], settled=False)
    assert [c.model for c in view.routes["chat"]] == ["small", "big"]
    assert view.cheapest_changes == dict.fromkeys(["chat", "tools", "vision", "long_context", "reasoning"], 0)
    for health in ("degraded", "down", "unknown"):
        watch.observe("gw", gateway(health), 2.0)
        assert [c.model for c in watch.rank([("gw", True)]).routes["chat"]] == ["big"], health
    watch.observe("gw", gateway("healthy"), 3.0)
    view = watch.rank([("gw", True)])
    assert view.routes["chat"][0].model == "small"  # recovered: wins again
    # small -> big is one change, big -> big none, big -> small another
    assert view.cheapest_changes["chat"] == 2
    # a source whose last poll failed has no eligible model at all
    view = watch.rank([("gw", False)])
    assert view.routes["chat"] == ()
    assert view.cheapest_changes["chat"] == 2  # an empty winner is not a change


def fleet(fake: FakeServer, cheap_ready: bool) -> None:
    serve_litellm(fake, "cheap", [litellm_model("mini", 1e-7, 4e-7, function_calling=True),
                                  litellm_model("free-one", 0.0, 0.0, function_calling=True)],
                  ready=cheap_ready)
    serve_litellm(fake, "dear", [litellm_model("large", 2e-6, 8e-6, 200_000, function_calling=True,
                                               vision=True)])


def test_the_winner_moves_when_its_source_fails_and_back_on_recovery(fake: FakeServer) -> None:
    fleet(fake, cheap_ready=True)
    clock = Clock()
    e = engine(litellm_source(fake, "cheap") + litellm_source(fake, "dear"), clock)
    e.run_once()
    p = samples(metrics(e))
    # (3 x 0.0000001 + 0.0000004) / 4; the free model does not compete by default
    assert value(p, "llm_cheapest_model_info", **{"class": "tools"}) == 1
    winner = next(lab for lab, _ in p["llm_cheapest_model_info"] if lab["class"] == "tools")
    assert (winner["source"], winner["provider"], winner["model"]) == ("cheap", "cheap", "mini")
    assert value(p, "llm_cheapest_price_usd_per_token", **{"class": "tools"}) == 1.75e-7
    assert value(p, "llm_cheapest_model_changes", **{"class": "tools"}) == 0
    # vision: only "large" qualifies; long_context wants 128k
    assert next(lab["model"] for lab, _ in p["llm_cheapest_model_info"] if lab["class"] == "long_context") == "large"

    fleet(fake, cheap_ready=False)
    clock.now += 60
    e.run_once()
    p = samples(metrics(e))
    assert [lab["model"] for lab, _ in p["llm_cheapest_model_info"] if lab["class"] == "tools"] == ["large"]
    assert value(p, "llm_cheapest_model_changes", **{"class": "tools"}) == 1

    fleet(fake, cheap_ready=True)
    clock.now += 60
    e.run_once()
    p = samples(metrics(e))
    e.stop()
    assert [lab["model"] for lab, _ in p["llm_cheapest_model_info"] if lab["class"] == "tools"] == ["mini"]
    assert value(p, "llm_cheapest_model_changes", **{"class": "tools"}) == 2
    assert value(p, "llm_cheapest_model_changes", **{"class": "vision"}) == 0


def test_include_free_lets_free_models_win(fake: FakeServer) -> None:
    fleet(fake, cheap_ready=True)
    head = "catalog:\n  classes:\n    tools: {capabilities: [tools], include_free: true}\n"
    e = engine(litellm_source(fake, "cheap") + litellm_source(fake, "dear"), Clock(), head=head)
    e.run_once()
    p = samples(metrics(e))
    e.stop()
    assert [lab["model"] for lab, _ in p["llm_cheapest_model_info"] if lab["class"] == "tools"] == ["free-one"]
    assert value(p, "llm_cheapest_price_usd_per_token", **{"class": "tools"}) == 0
