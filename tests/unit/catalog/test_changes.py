"""Catalog changes between successful polls, first-seen times and the state file."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from exporter.catalog.changes import baseline, detect
from exporter.snapshot import Model, Snapshot
from tests.support.catalogs import model

FIRST = (model("stays", "1", "2"), model("goes", "1", "2"), model("free-goes", "0", "0", free=True),
         model("reprice", "1", "2"), model("to-free", "1", "2"), model("from-free", "0", "0", free=True))


SECOND = (model("stays", "1", "2"), model("reprice", "1", "3"), model("to-free", "0", "0", free=True),
          model("from-free", "1", "1"), model("new", "5", "6"), model("new-free", "0", "0", free=True))


def test_every_change_type_between_two_catalogs() -> None:
    catalog, changes = detect("src", baseline(FIRST, 100.0), SECOND, 200.0)
    assert Counter(c.change for c in changes) == {
        "added": 2, "removed": 2, "price_changed": 3, "became_free": 1, "stopped_being_free": 1}
    assert sorted((c.model, c.change) for c in changes if c.change in ("became_free", "stopped_being_free")) == [
        ("from-free", "stopped_being_free"), ("to-free", "became_free")]
    # free models that appear or become free are `added`; that vanish or stop being free, `removed`
    assert sorted((c.model, c.free_change) for c in changes if c.free_change) == [
        ("free-goes", "removed"), ("from-free", "removed"), ("new-free", "added"), ("to-free", "added")]
    reprice = next(c for c in changes if c.model == "reprice")
    old_and_new = (reprice.old_input, reprice.old_output, reprice.new_input, reprice.new_output)
    assert old_and_new == tuple(map(Decimal, (1, 2, 1, 3)))
    assert {key[1]: e.first_seen for key, e in catalog.entries.items()} == {
        "stays": 100.0, "reprice": 100.0, "to-free": 100.0, "from-free": 100.0, "new": 200.0, "new-free": 200.0}
    # a model that leaves and comes back keeps the time it was first seen
    back, changes = detect("src", catalog, (*SECOND, model("goes", "1", "2")), 300.0)
    assert [(c.model, c.change) for c in changes] == [("goes", "added")]
    assert back.entries[("p", "goes")].first_seen == 100.0


def test_unchanged_catalog_in_another_order_counts_nothing() -> None:
    # Mistral lists an id twice; whichever order the entries arrive in, one rule picks the entry
    twins = (Model("p", "voxtral", "chat", context_length=32768), Model("p", "voxtral", "asr", context_length=16384))
    one, two = Snapshot(models=twins), Snapshot(models=twins[::-1])
    assert one.models == two.models and len(one.models) == 1 and one.models[0].name == "chat"
    _, changes = detect("src", baseline(one.models, 1.0), two.models, 2.0)
    assert changes == []
