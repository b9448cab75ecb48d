"""Scenario 6 (story 17): a VPP sell order, executed by the houses' batteries and settled.

Two houses with panels and a battery of 5,000 Wh / 1,000 W holding 4,000 Wh enrol in the VPP
with a reserve of 1,000 Wh; staff read the capacity, an order larger than it is refused, a sell
order of 500 Wh at 1,000 W over half an hour is accepted, executed tick by tick, and settled.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any

from scenarios.client import Answer, Grid, Steps, run
from scenarios.clock import Clock, iso
from scenarios.places import Town, add_sim_house, community_of

TITLE = "Scenario 6: a VPP sell order settled"
ORDER_WH, ORDER_W = 500, 1000
RESERVE_WH = 1000


def order_id(body: Any) -> str:
    return str(body.get("orderId") or body.get("id")) if isinstance(body, dict) else ""


def delivered_wh(answer: Answer) -> float:
    if answer.status != 200 or not isinstance(answer.body, dict):
        return 0.0
    return float(answer.body.get("deliveredWh") or 0)


def play(grid: Grid, steps: Steps) -> None:
    clock = Clock(grid, steps)
    town = Town()
    houses = [
        add_sim_house(
            grid,
            steps,
            clock,
            f"house {n + 1} registers with panels and a battery holding 4,000 Wh",
            {
                "name": f"VPP house {n + 1}",
                "location": town.location(n),
                "objects": [
                    {"name": "fridge", "kind": "base", "powerW": 150},
                    {"name": "roof", "kind": "producer", "powerW": 400, "profile": "flat"},
                ],
                "battery": {"capacityWh": 5000, "maxChargeW": 1000, "maxDischargeW": 1000, "storedWh": 4000},
            },
        )["houseId"]
        for n in range(2)
    ]
    community = community_of(grid, steps, houses[0], "the houses are in a community")
    for n, house in enumerate(houses, start=1):
        steps.check(
            f"house {n} enrols in the VPP, keeping {RESERVE_WH:,} Wh in reserve",
            grid.staff("PUT", f"/houses/{house}/vpp", {"enrolled": True, "reserveWh": RESERVE_WH}),
            "200",
            lambda a: a.status == 200,
        )
    clock.advance_until(
        "staff read the VPP's capacity",
        lambda: grid.staff("GET", "/vpp/capacity"),
        "200, the community's energy available",
        lambda a: a.status == 200 and community in json.dumps(a.body),
        max_ticks=3,
    )
    start = clock.now() + timedelta(minutes=2)
    end = start + timedelta(minutes=30)
    window = {"start": iso(start), "end": iso(end)}
    steps.check(
        "an order larger than the capacity is refused",
        grid.staff("POST", "/vpp/orders", {"side": "sell", "energyWh": 50_000, "powerW": 100_000, **window}),
        "422 naming energyWh, with the energy available and the capacity",
        lambda a: (
            a.status == 422
            and "availableWh" in a.body
            and "capacity" in a.body
            and any("energyWh" in f["field"] for f in a.body.get("fields", []))
        ),
    )
    order = steps.check(
        f"staff sell {ORDER_WH} Wh at {ORDER_W:,} W over half an hour",
        grid.staff(
            "POST", "/vpp/orders", {"side": "sell", "energyWh": ORDER_WH, "powerW": ORDER_W, **window}
        ),
        "201 with the order's id",
        lambda a: a.status in (200, 201, 202) and bool(order_id(a.body)),
    ).body
    oid = order_id(order)
    clock.advance_until(
        "the houses' batteries deliver the order, tick by tick",
        lambda: grid.staff("GET", f"/vpp/orders/{oid}"),
        f"200, {ORDER_WH} Wh delivered, shared between the houses",
        lambda a: delivered_wh(a) >= ORDER_WH and all(h in json.dumps(a.body) for h in houses),
        max_ticks=45,
    )
    for n, house in enumerate(houses, start=1):
        steps.wait_for(
            f"house {n}'s bill credits its share",
            lambda house=house: grid.staff("GET", f"/houses/{house}/bills/current"),  # type: ignore[misc]
            "200, an amount credited",
            lambda a: a.status == 200 and float(a.body["amountCredited"]) > 0,
        )


if __name__ == "__main__":
    sys.exit(run(play, TITLE))
