"""Scenario 4 (story 19): the producers' limits are reached and the shortfall is handled.

Nikola's site registers with a real limit of 2,000 W, producing 1,000 W. A house plugs in a
fast charger sized from what staff read (every utility producer's limit, the grid's load) so
that the grid needs about 5,000 W more than all its producers can give. Production follows up
to the limits, every producer reaches its limit, and the grid handles the shortfall: it stops
the schedulable load of the community that draws most (a shedding whose cause is `limit`,
with the shortfall, that staff read), and production equals consumption again.
The community's peak threshold is raised first, so that it is the limits, not a peak, that
stop the charger; it is restored at the end, and the charger unplugged.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from scenarios.client import Answer, Grid, Steps, run
from scenarios.clock import Clock, iso, require
from scenarios.places import Town, add_sim_house, community_of, last_frame

LIMIT_W = 2000
HEATER_W = 1000
SHORT_W = 5000  # how far past the producers' limits the charger takes the grid

TITLE = "Scenario 4: producers' limits reached, the shortfall handled"


def covered(answer: Answer) -> bool:
    """A frame with no shortfall (houses may produce more than the grid consumes)."""
    if answer.status != 200 or not answer.body:
        return False
    totals = answer.body["grid"]
    return bool(totals["consumptionW"] > 0 and totals["productionW"] >= 0.98 * totals["consumptionW"])


def play(grid: Grid, steps: Steps) -> None:
    clock = Clock(grid, steps)

    # A producer with a real limit; what every producer can give
    producer = steps.check(
        f"Nikola's site registers with a {LIMIT_W:,} W limit, producing 1,000 W",
        grid.staff(
            "POST", "/sim/producers", {"name": "Nikola", "productionW": 1000, "productionLimitW": LIMIT_W}
        ),
        "201 with a producerId",
        lambda a: a.status == 201,
    ).body["producerId"]
    clock.watch(f"/sim/producers/{producer}")
    producers = steps.check(
        "staff read every producer's limit",
        grid.staff("GET", "/producers"),
        "200, utility producers with their limits",
        lambda a: a.status == 200 and any(p["producerId"] == producer for p in a.body["producers"]),
    ).body["producers"]
    utility = [p for p in producers if p["kind"] == "utility"]
    require(all(p.get("productionLimitW") for p in utility), "every utility producer has a limit")
    limits_w = sum(float(p["productionLimitW"]) for p in utility)

    # A house in a community of its own, whose threshold will not stop it first
    house = add_sim_house(
        grid,
        steps,
        clock,
        f"a house heated at {HEATER_W:,} W registers",
        {
            "name": "Nikola's neighbour",
            "location": Town().location(),
            "objects": [{"name": "heater", "kind": "base", "powerW": HEATER_W}],
        },
    )["houseId"]
    community = community_of(grid, steps, house, "the house is in a community")
    load = clock.advance_until(
        "staff read the grid's load (the last closed frame)",
        lambda: last_frame(grid, clock),
        "a frame with the house's heater in it",
        lambda a: (
            a.status == 200
            and a.body is not None
            and a.body["communities"].get(community, {}).get("consumptionW", 0) > 0
        ),
        max_ticks=10,
    ).body["grid"]
    drawn_w = load["consumptionW"] - load["houseProductionW"]  # what utility producers must give
    # Once the charger is stopped, what is left must fit within the limits again
    require(drawn_w < limits_w, f"the grid draws {drawn_w:.0f} W, under its producers' {limits_w:.0f} W")
    charger_w = round(limits_w - drawn_w + SHORT_W)
    steps.check(
        "staff raise the community's peak threshold, so that only the limits stop load",
        grid.staff("PUT", f"/communities/{community}/peak-threshold", {"thresholdW": 2 * charger_w}),
        f"200, {2 * charger_w:,} W",
        lambda a: a.status == 200 and a.body["thresholdW"] == 2 * charger_w,
    )

    # The charger takes the grid past every limit
    deadline = clock.now() + timedelta(minutes=61)
    steps.check(
        f"the house plugs in a {charger_w:,} W fast charger wanted within the hour "
        f"(the producers give {limits_w:,.0f} W at most; the grid, less its houses' production, "
        f"draws {drawn_w:,.0f} W)",
        grid.staff(
            "POST",
            f"/sim/houses/{house}/objects",
            {
                "name": "charger",
                "kind": "schedulable",
                "powerW": charger_w,
                "energyWh": charger_w,
                "deadline": iso(deadline),
            },
        ),
        "201",
        lambda a: a.status == 201,
    )
    clock.advance_until(
        "production follows up to the limits: Nikola's site is set to its limit",
        lambda: grid.staff("GET", f"/producers/{producer}/setpoint"),
        f"200, setpointW {LIMIT_W:,} = limitW",
        lambda a: a.status == 200 and a.body["setpointW"] == a.body["limitW"] == LIMIT_W,
        max_ticks=12,
    )
    shed = clock.advance_until(
        "every producer at its limit: the grid stops the charger, and staff see why",
        lambda: grid.staff("GET", f"/communities/{community}/shedding"),
        f"a shedding, cause limit, about {SHORT_W:,} W short, the charger stopped",
        lambda a: (
            a.status == 200
            and any(
                s["cause"] == "limit"
                and (s.get("shortfallW") or 0) > 0
                and any(o["name"] == "charger" for o in s["objects"])
                for s in a.body["sheddings"]
            )
        ),
        max_ticks=10,
    ).body["sheddings"]
    start = next(s["start"] for s in shed if s["cause"] == "limit")
    clock.advance_until(
        "the charger no longer draws: the community is back to its heater",
        lambda: last_frame(grid, clock),
        f"a frame from {start} with the community at {HEATER_W:,} W",
        lambda a: (
            a.status == 200
            and a.body is not None
            and a.body["frameStart"] >= start
            and round(a.body["communities"].get(community, {}).get("consumptionW", -1)) == HEATER_W
        ),
        max_ticks=12,
    )
    clock.advance_until(
        "production covers consumption again, within the limits",
        lambda: last_frame(grid, clock),
        "a frame whose production is at least 98 % of its consumption",
        covered,
        max_ticks=15,
    )

    # Leave the grid as it was
    steps.check(
        "the charger is unplugged",
        grid.staff("DELETE", f"/sim/houses/{house}/objects/charger"),
        "200",
        lambda a: a.status == 200,
    )
    steps.check(
        "the community's threshold is the default again",
        grid.staff("DELETE", f"/communities/{community}/peak-threshold"),
        "200, isDefault",
        lambda a: a.status == 200 and a.body["isDefault"],
    )


if __name__ == "__main__":
    sys.exit(run(play, TITLE))
