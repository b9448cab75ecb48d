"""Scenario 2 of the seed: consumption, a peak, autarky and a data sale in a community.

Three houses in one town make a community, a fourth in another town makes another; with a
blender of 500 W and other appliances, and cars of 1,300 / 2,000 / 9,000 W that must charge
at once, the community goes over its 10,000 W threshold: the peak is detected, its cars are
stopped and the peak is gone. The community is not autarkic until a house installs enough
production, and is then notified. A partner with 100 datapoints at trust level 2 buys
production data (70), cannot afford consumption data (50) with what is left, gets it once staff
add datapoints, and is refused detailed data (trust level 3).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from scenarios.client import Grid, Steps, run
from scenarios.clock import Clock, iso
from scenarios.places import Town, add_sim_house, community_of, last_frame

THRESHOLD_W = 10_000  # the default PeakThresholdW
POLICIES = ["consumption", "production", "detailed"]
CARS_W = (9000, 1300, 2000)  # the seed's cars, one a house of the first community
BASE_W = (  # the other objects of each house of the first community (1,900 W in all)
    [("fridge", "base", 150), ("blender", "appliance", 500)],
    [("fridge", "base", 150), ("television", "appliance", 200), ("oven", "appliance", 300)],
    [("heat pump", "base", 600)],
)

TITLE = "Scenario 2: a community's peak, autarky, a data sale"


def objects(spec: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    return [{"name": name, "kind": kind, "powerW": power, "profile": "flat"} for name, kind, power in spec]


def play(grid: Grid, steps: Steps) -> None:
    clock = Clock(grid, steps)
    first_town, second_town = Town(), Town()
    day = clock.now().date().isoformat()

    # 1. Houses in one community, one in another
    houses = [
        add_sim_house(
            grid,
            steps,
            clock,
            f"house {n + 1} registers in the first town",
            {
                "name": f"house {n + 1}",
                "location": first_town.location(n),
                "acceptedPolicies": POLICIES,
                "objects": objects(spec),
            },
        )["houseId"]
        for n, spec in enumerate(BASE_W)
    ]
    alone = add_sim_house(
        grid,
        steps,
        clock,
        "house 4 registers in another town",
        {
            "name": "house 4",
            "location": second_town.location(),
            "acceptedPolicies": POLICIES,
            "objects": objects([("fridge", "base", 150), ("lighting", "appliance", 100)]),
        },
    )["houseId"]
    community = community_of(grid, steps, houses[0], "house 1 is in a community")
    for n, house in enumerate(houses[1:], start=2):
        steps.wait_for(
            f"house {n} is in the same community",
            lambda house=house: grid.staff("GET", f"/houses/{house}"),  # type: ignore[misc]
            f"communityId {community}",
            lambda a: a.status == 200 and a.body.get("communityId") == community,
        )
    other = community_of(grid, steps, alone, "house 4 is in another community")
    steps.check(
        "the two communities differ",
        grid.staff("GET", f"/communities/{community}"),
        f"200, 3 members, {other} another community",
        lambda a: a.status == 200 and a.body["members"] == 3 and other != community,
    )
    producer = steps.check(
        "a utility producer with room for them registers, producing 1,000 W",
        grid.staff(
            "POST", "/sim/producers", {"name": "Nikola", "productionW": 1000, "productionLimitW": 30_000}
        ),
        "201 with a producerId",
        lambda a: a.status == 201,
    ).body["producerId"]
    clock.watch(f"/sim/producers/{producer}")

    # 2. Schedulable and non-schedulable objects: cars that need an hour at full power, now
    deadline = clock.now() + timedelta(minutes=61)
    for n, (house, power) in enumerate(zip(houses, CARS_W, strict=True), start=1):
        car = {
            "name": "car",
            "kind": "schedulable",
            "powerW": power,
            "energyWh": power,
            "deadline": iso(deadline),
        }
        steps.check(
            f"house {n} plugs in a car of {power:,} W wanted within the hour",
            grid.staff("POST", f"/sim/houses/{house}/objects", car),
            "201",
            lambda a: a.status == 201,
        )
    clock.advance(
        "the clock moves on, tick by tick: the cars ask their plans and draw", ticks=3, tick_by_tick=True
    )

    # 3-4. Total consumption, the community's consumption
    steps.wait_for(
        "the consumption of every house (staff)",
        lambda: grid.staff("GET", f"/grid/consumption?from={day}&to={day}"),
        "200, some Wh",
        lambda a: a.status == 200 and a.body["wh"] > 0,
    )
    steps.wait_for(
        "the consumption of the community (staff)",
        lambda: grid.staff("GET", f"/communities/{community}/consumption?from={day}&to={day}"),
        "200, some Wh",
        lambda a: a.status == 200 and a.body["wh"] > 0,
    )

    # 5-7. A peak, the cars stop, no more peak
    peak = clock.advance_until(
        "a peak is detected in the community",
        lambda: grid.staff("GET", f"/communities/{community}/peaks?date={day}"),
        f"a peak over {THRESHOLD_W:,} W (the cars and 1,900 W of appliances)",
        lambda a: a.status == 200 and any(p["valueW"] > THRESHOLD_W for p in a.body["peaks"]),
        max_ticks=10,
    ).body["peaks"][0]
    shed = clock.advance_until(
        "the community's schedulable objects are stopped (GET /communities/{id}/shedding)",
        lambda: grid.staff("GET", f"/communities/{community}/shedding"),
        "a shedding for the peak, stopping the three cars",
        lambda a: (
            a.status == 200
            and any(s["cause"] == "peak" and len(s["objects"]) == len(CARS_W) for s in a.body["sheddings"])
        ),
        max_ticks=5,
    ).body["sheddings"]
    start = next(s["start"] for s in shed if s["cause"] == "peak")
    clock.advance_until(
        "there is no more peak: the community's frames after the shedding are under the threshold",
        lambda: last_frame(grid, clock),
        f"the community under {THRESHOLD_W:,} W in a frame from {start}",
        lambda a: (
            a.status == 200
            and a.body is not None
            and a.body["frameStart"] >= start
            and 0 < a.body["communities"].get(community, {}).get("consumptionW", 0) < THRESHOLD_W
        ),
        max_ticks=10,
    )
    steps.check(
        f"the peak was {peak['valueW']:,.0f} W, over its threshold",
        grid.staff("GET", f"/communities/{community}/peak-threshold"),
        f"200, {THRESHOLD_W:,} W",
        lambda a: a.status == 200 and a.body["thresholdW"] == THRESHOLD_W,
    )

    # 8-9. Not autarkic; enough production in one house; autarkic and notified
    steps.check(
        "the community is not autarkic",
        grid.staff("GET", f"/communities/{community}/autarky"),
        "200, autarkic false",
        lambda a: a.status == 200 and a.body["autarkic"] is False,
    )
    steps.check(
        "house 1 installs a 20,000 W wind turbine (it becomes a local producer)",
        grid.staff(
            "POST",
            f"/sim/houses/{houses[0]}/objects",
            {"name": "wind-turbine", "kind": "producer", "powerW": 20_000, "profile": "flat"},
        ),
        "201, the house has a producerId",
        lambda a: a.status == 201 and bool(a.body["producerId"]),
    )
    clock.advance_until(
        "the community becomes autarkic",
        lambda: grid.staff("GET", f"/communities/{community}/autarky"),
        "200, autarkic true: its production covers its consumption over the window",
        lambda a: a.status == 200 and a.body["autarkic"] is True,
        max_ticks=40,
    )
    steps.wait_for(
        "the community is notified",
        lambda: grid.staff("GET", f"/communities/{community}/notifications"),
        "200, a notification that it reached autarky",
        lambda a: a.status == 200 and any("is now autarkic" in n["subject"] for n in a.body["notifications"]),
    )

    # 10-11. A partner buys data
    partner = steps.check(
        "staff add a partner with 100 datapoints at trust level 2",
        grid.staff("POST", "/partners", {"name": "Watt Analytics", "datapoints": 100, "trustLevel": 2}),
        "201 with a partnerId and a token",
        lambda a: a.status == 201 and bool(a.body["token"]),
    ).body
    pid, token = partner["partnerId"], partner["token"]

    def buy(data_type: str) -> Any:
        return grid.call(
            "POST", f"/partners/{pid}/purchases", {"dataType": data_type, "from": day, "to": day}, token
        )

    steps.check(
        "the partner reads its balance",
        grid.call("GET", f"/partners/{pid}", token=token),
        "200, 100 datapoints, trust level 2",
        lambda a: a.status == 200 and a.body["datapoints"] == 100 and a.body["trustLevel"] == 2,
    )
    steps.check(
        "the partner buys the clients' production data",
        buy("production"),
        "201, 70 datapoints, 30 left, the consenting producers' data",
        lambda a: (
            a.status == 201
            and a.body["datapoints"] == 70
            and a.body["balance"] == 30
            and a.body["clients"] >= 1
        ),
    )
    steps.check(
        "the partner tries consumption data: not enough datapoints left",
        buy("consumption"),
        "402: it costs 50, 30 left",
        lambda a: a.status == 402,
    )
    steps.check(
        "staff add 100 datapoints",
        grid.staff("POST", f"/partners/{pid}/datapoints", {"amount": 100}),
        "200, 130 datapoints",
        lambda a: a.status == 200 and a.body["datapoints"] == 130,
    )
    steps.check(
        "the partner buys the consumption data again",
        buy("consumption"),
        "201, 50 datapoints, 80 left",
        lambda a: a.status == 201 and a.body["datapoints"] == 50 and a.body["balance"] == 80,
    )
    steps.check(
        "the partner tries detailed consumption: its trust level is too low",
        buy("detailed"),
        "403, trust level 3 required",
        lambda a: a.status == 403,
    )
    steps.check(
        "nothing was debited for the refusals",
        grid.call("GET", f"/partners/{pid}", token=token),
        "200, 80 datapoints, 2 sales",
        lambda a: a.status == 200 and a.body["datapoints"] == 80 and a.body["sales"] == 2,
    )

    # Leave the grid as it was: the turbine's surplus would unbalance the scenarios after this one
    steps.check(
        "house 1 removes its wind turbine",
        grid.staff("DELETE", f"/sim/houses/{houses[0]}/objects/wind-turbine"),
        "200",
        lambda a: a.status == 200,
    )


if __name__ == "__main__":
    sys.exit(run(play, TITLE))
