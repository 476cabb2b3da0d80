"""Recommendation arithmetic on a fixed usage set, against savings worked out by hand."""

from __future__ import annotations

from decimal import Decimal

from exporter.snapshot import Event, Model
from exporter.spend.book import UsageBook
from exporter.spend.fleetfile import Assignment, FleetFile, FleetModel, Role
from exporter.spend.recommend import Offer, recommend
from tests.support.present import present

D = Decimal
NOW = 1_795_392_000.0 + 12 * 3600  # 2026-11-23 12:00 UTC


def priced(model_id: str, inp: str, out: str, free: bool = False, **caps: bool) -> Model:
    return Model("vendor", model_id, model_id, prices=(("input", D(inp)), ("output", D(out))), free=free,
                 capabilities=tuple(caps.items()))


BIG = priced("big", "0.000003", "0.000015", tools=True)
SMALL = priced("small", "0.00000015", "0.0000006", tools=True)
TINY = priced("tiny", "0.0000001", "0.0000001")  # no tools reported
FREE = priced("free", "0", "0", free=True, tools=True)
MID = priced("mid", "0.000001", "0.000002", tools=True)


def book(*calls: tuple[str, str, int, int, int]) -> UsageBook:
    """calls: (task, model, count, input tokens each, output tokens each), spread over 7 days."""
    b = UsageBook()
    offers = {m.id: m for m in (BIG, SMALL, TINY, FREE, MID)}
    for task, model_id, count, inp, out in calls:
        m = offers[model_id]
        for i in range(count):
            cost = present(m.price("input")) * inp + present(m.price("output")) * out
            b.add(Event(NOW - (i % 7) * 86400, "vendor", model_id, task, inp, out, cost_usd=cost), lambda e: None)
    return b


def offers(*models: Model) -> list[Offer]:
    return [Offer("src", "vendor", m) for m in models]


FLEET = FleetFile(
    models=(FleetModel("b", "vendor", "big", scores=(("coding", 95), ("speed", 70)), roles=(Assignment("coder", 1),)),
            FleetModel("m", "vendor", "mid", scores=(("coding", 88), ("speed", 80))),
            FleetModel("s", "vendor", "small", scores=(("coding", 60), ("speed", 95)))),
    roles=(Role("coder", min_scores=(("coding", 85),), capabilities=("tools",), tasks=("coding",)),
           Role("heartbeat", tasks=("heartbeat",)),
           Role("agent", capabilities=("tools",), tasks=("agent",), include_free=True)),
)


def test_heartbeat_savings_by_hand() -> None:
    # 1000 heartbeats of 500 in + 50 out on "big": 1000 x (500 x 3e-6 + 50 x 15e-6) = $2.25 in 7 days.
    # The same tokens on "small": 1000 x (500 x 0.15e-6 + 50 x 0.6e-6) = $0.105; "tiny" would be
    # cheaper still ($0.055) and heartbeat needs no capability: it wins.
    # Savings: (2.25 - 0.055) x 30 / 7 = $9.407142857...
    (advice,) = recommend(book(("heartbeat", "big", 1000, 500, 50)), FLEET, offers(BIG, SMALL, TINY, FREE),
                          NOW, D(1))
    assert (advice.task, advice.role, advice.current_model) == ("heartbeat", "heartbeat", "big")
    assert advice.suggested is not None and advice.suggested.model.id == "tiny"
    assert advice.current_monthly_usd == D("2.25") * 30 / 7
    assert advice.projected_monthly_usd == D("0.055") * 30 / 7
    assert advice.savings_usd_per_month == (D("2.25") - D("0.055")) * 30 / 7
    assert round(advice.savings_usd_per_month, 6) == D("9.407143")
    assert advice.exported and advice.quality_delta is None  # tiny has no fleet scores
    assert "saving $9.41 a month" in advice.reasoning


def test_role_minimums_capabilities_and_free_models() -> None:
    # coder needs coding >= 85 and tools: "small" (60) and "tiny" (no tools) cannot take it; "free"
    # is excluded (coder does not include_free) and "mid" (88) is the cheapest that qualifies.
    # 100 calls of 2000 in + 500 out: big $1.35, mid $0.30 -> (1.35 - 0.30) x 30/7 = $4.5
    (advice,) = recommend(book(("coding", "big", 100, 2000, 500)), FLEET, offers(BIG, SMALL, TINY, FREE, MID),
                          NOW, D(1))
    assert advice.suggested is not None and advice.suggested.model.id == "mid"
    assert advice.savings_usd_per_month == D("4.5")
    assert advice.quality_delta == 88 - 95  # the coder role's dimension: coding
    # a role that includes free models gets the free one
    (agent,) = recommend(book(("agent", "mid", 10, 100, 100)), FLEET, offers(MID, FREE, TINY), NOW, D(0))
    assert agent.suggested is not None and agent.suggested.model.id == "free"
    assert agent.savings_usd_per_month == D("0.003") * 30 / 7


def test_a_task_is_judged_by_its_biggest_spender_and_small_savings_are_not_exported() -> None:
    usage = book(("heartbeat", "small", 3000, 500, 50), ("heartbeat", "mid", 10, 500, 50))
    (advice,) = recommend(usage, FLEET, offers(SMALL, TINY, MID), NOW, D(1))
    # small: 3000 x (0.000075 + 0.00003) = $0.315 > mid: 10 x 0.0006 = $0.006
    assert advice.current_model == "small"
    # tiny: 3000 x 0.000055 = $0.165; (0.315 - 0.165) x 30/7 = $0.642857 < the $1 minimum
    assert advice.suggested is not None and advice.suggested.model.id == "tiny"
    assert not advice.exported


def test_no_role_no_candidate_and_already_cheapest() -> None:
    usage = book(("writing", "big", 10, 100, 100), ("coding", "mid", 10, 100, 100), ("heartbeat", "tiny", 10, 1, 1))
    advice = {a.task: a for a in recommend(usage, FLEET, offers(BIG, MID, TINY), NOW, D(0))}
    writing = advice["writing"]
    assert writing.suggested is None and "No fleet role lists the task 'writing'" in writing.reasoning
    assert advice["coding"].suggested is None and "already the cheapest" in advice["coding"].reasoning
    assert advice["heartbeat"].suggested is None  # tiny is the cheapest there is
    # an unhealthy model is never offered: the engine leaves it out of the offers
    (coding,) = recommend(book(("coding", "big", 100, 2000, 500)), FLEET, offers(BIG), NOW, D(0))
    assert coding.suggested is None and "No healthy model" in coding.reasoning


def test_only_the_last_seven_days_count() -> None:
    b = UsageBook()
    cost = present(BIG.price("input")) * 1000
    b.add(Event(NOW - 7 * 86400, "vendor", "big", "heartbeat", 1000, 0, cost_usd=cost), lambda e: None)
    assert recommend(b, FLEET, offers(BIG, TINY), NOW, D(0)) == ()
    b.add(Event(NOW - 6 * 86400, "vendor", "big", "heartbeat", 1000, 0, cost_usd=cost), lambda e: None)
    (advice,) = recommend(b, FLEET, offers(BIG, TINY), NOW, D(0))
    assert advice.current_monthly_usd == cost * 30 / 7
