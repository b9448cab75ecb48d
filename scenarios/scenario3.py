"""Scenario 3 of the seed: a house's production, its battery, autarky and its notification.

A house drawing 1,200 W registers as a producer, installs a 600 W wind turbine and a battery of
5,000 Wh / 1,000 W: it draws less from the grid but still some, its production shows but is
not enough, it is not autarkic and its battery stays empty. A second producing object, a
3,000 W "DIY reactor", makes it produce more than it consumes: it becomes autarkic, is
notified, and its battery stores the surplus. The reactor switched off, it consumes more than
it produces and the battery is drawn.
"""

from __future__ import annotations

import sys
from typing import Any

from scenarios.client import Answer, Grid, Steps, run
from scenarios.clock import Clock
from scenarios.places import Town, add_sim_house, community_of, last_frame

CONSUMPTION_W = 1200
TURBINE_W, REACTOR_W = 600, 3000
BATTERY = {"capacityWh": 5000, "maxChargeW": 1000, "maxDischargeW": 1000, "storedWh": 0}

TITLE = "Scenario 3: a house's production, its battery, autarky"


def community_totals(answer: Answer, community: str) -> dict[str, Any] | None:
    if answer.status != 200 or not answer.body:
        return None
    found = answer.body["communities"].get(community)
    return dict(found) if found else None


def stored_wh(answer: Answer) -> float:
    """What the battery held at its latest state (-1 without one)."""
    if answer.status != 200 or not answer.body.get("latestState"):
        return -1.0
    return float(answer.body["latestState"]["storedWh"])


def play(grid: Grid, steps: Steps) -> None:
    clock = Clock(grid, steps)
    day = clock.now().date().isoformat()

    # 1. A house with consuming objects registers as a producer
    house = add_sim_house(
        grid,
        steps,
        clock,
        "a house drawing 1,200 W registers, and as a local producer",
        {
            "name": "Albert's client",
            "location": Town().location(),
            "acceptedPolicies": ["consumption"],
            "produces": True,
            "objects": [
                {"name": "fridge", "kind": "base", "powerW": 150},
                {"name": "oven", "kind": "appliance", "powerW": 1000, "profile": "flat"},
                {"name": "lighting", "kind": "appliance", "powerW": 50, "profile": "flat"},
            ],
        },
    )
    hid, producer = house["houseId"], house["producerId"]
    community = community_of(grid, steps, hid, "the house is in a community")
    steps.check(
        "the house is a local producer",
        grid.staff("GET", f"/houses/{hid}"),
        f"200, producerId {producer}",
        lambda a: a.status == 200 and bool(producer) and a.body["producerId"] == producer,
    )

    # 2. A producing object and a battery
    steps.check(
        f"Albert installs a {TURBINE_W} W wind turbine",
        grid.staff(
            "POST",
            f"/sim/houses/{hid}/objects",
            {"name": "wind-turbine", "kind": "producer", "powerW": TURBINE_W, "profile": "flat"},
        ),
        "201",
        lambda a: a.status == 201,
    )
    steps.check(
        "Thomas fits a battery of 5,000 Wh, 1,000 W in and out, empty",
        grid.staff("POST", f"/sim/houses/{hid}/battery", BATTERY),
        "201, the battery registered",
        lambda a: a.status in (200, 201) and a.body["battery"] is not None,
    )
    steps.wait_for(
        "the grid knows the battery",
        lambda: grid.staff("GET", f"/houses/{hid}/battery"),
        "200, 5,000 Wh, 1,000 W in and out",
        lambda a: a.status == 200 and a.body["capacityWh"] == 5000 and a.body["maxChargeW"] == 1000,
    )

    # 3-5. Consumption drops but stays positive, production shows but is not enough
    clock.advance_until(
        "the house draws less from the grid, but still some (its community's last frame)",
        lambda: last_frame(grid, clock),
        f"consumption {CONSUMPTION_W:,} W, its own production {TURBINE_W} W",
        lambda a: (
            (t := community_totals(a, community)) is not None
            and round(t["consumptionW"]) == CONSUMPTION_W
            and round(t["houseProductionW"]) == TURBINE_W
        ),
        max_ticks=12,
    )
    steps.check(
        "the house's production of the day shows in the grid",
        grid.staff("GET", f"/producers/{producer}/production?date={day}"),
        "200, some Wh",
        lambda a: a.status == 200 and a.body["wh"] > 0,
    )
    consumed = grid.staff("GET", f"/houses/{hid}/consumption?date={day}")
    steps.check(
        "it is not enough: the day's production is under the day's consumption",
        grid.staff("GET", f"/producers/{producer}/production?date={day}"),
        f"fewer Wh than the {consumed.body.get('wh') if consumed.body else '?'} Wh consumed",
        lambda a: consumed.status == 200 and a.status == 200 and a.body["wh"] < consumed.body["wh"],
    )
    clock.advance_until(
        "the house is not autarkic",
        lambda: grid.staff("GET", f"/houses/{hid}/autarky"),
        "200, autarkic false: over the window its production covers part of its consumption",
        lambda a: (
            a.status == 200
            and a.body["autarkic"] is False
            and 0 < a.body["productionWh"] < a.body["consumptionWh"]
        ),
        max_ticks=10,
    )
    steps.check(
        "its battery stored nothing",
        grid.staff("GET", f"/houses/{hid}/battery"),
        "200, latest state 0 Wh stored",
        lambda a: stored_wh(a) == 0,
    )

    # 6-9. A second producing object: more production than consumption, autarky, the battery fills
    steps.check(
        f"the house switches on a {REACTOR_W:,} W DIY reactor",
        grid.staff(
            "POST",
            f"/sim/houses/{hid}/objects",
            {"name": "diy-reactor", "kind": "producer", "powerW": REACTOR_W, "profile": "flat"},
        ),
        "201",
        lambda a: a.status == 201,
    )
    clock.advance_until(
        "the house now produces more than it consumes",
        lambda: last_frame(grid, clock),
        f"its own production {TURBINE_W + REACTOR_W:,} W over its {CONSUMPTION_W:,} W",
        lambda a: (
            (t := community_totals(a, community)) is not None
            and t["houseProductionW"] > t["consumptionW"] > 0
        ),
        max_ticks=12,
    )
    clock.advance_until(
        "the house becomes autarkic (over the window, once the short minutes have left it)",
        lambda: grid.staff("GET", f"/houses/{hid}/autarky"),
        "200, autarkic true",
        lambda a: a.status == 200 and a.body["autarkic"] is True,
        max_ticks=40,
    )
    steps.wait_for(
        "the house is notified",
        lambda: grid.staff("GET", f"/houses/{hid}/notifications"),
        '200, "Your house is now autarkic"',
        lambda a: a.status == 200 and any("is now autarkic" in n["subject"] for n in a.body["notifications"]),
    )
    stored = steps.wait_for(
        "the battery stored the surplus",
        lambda: grid.staff("GET", f"/houses/{hid}/battery"),
        "200, its latest state above 0 Wh",
        lambda a: stored_wh(a) > 0,
    )
    held = stored_wh(stored)

    # 10. The reactor off: consumption over production, the battery is drawn
    steps.check(
        "the DIY reactor is switched off",
        grid.staff("PATCH", f"/sim/houses/{hid}/objects/diy-reactor", {"enabled": False}),
        "200",
        lambda a: a.status == 200,
    )
    clock.advance_until(
        "consumption exceeds production again and the battery is drawn",
        lambda: grid.staff("GET", f"/houses/{hid}/battery"),
        f"200, its latest state under the {held} Wh it held",
        lambda a: 0 <= stored_wh(a) < held,
        max_ticks=5,
    )
    steps.wait_for(
        "the day's energy shows the battery's charge and discharge",
        lambda: grid.staff("GET", f"/houses/{hid}/energy?date={day}"),
        "200, batteryChargeWh and batteryDischargeWh above 0",
        lambda a: a.status == 200 and a.body["batteryChargeWh"] > 0 and a.body["batteryDischargeWh"] > 0,
    )


if __name__ == "__main__":
    sys.exit(run(play, TITLE))
