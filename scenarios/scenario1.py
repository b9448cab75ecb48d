"""Scenario 1 of the seed: registration, schedulable objects, production follows consumption,
bills after three months.

Pierre & Marie's house and Elon's register (their simulated meter boxes register them through
POST /houses), a utility producer starting at 1,000 W registers; at night Elon plugs in his
cars of 1,300 W and 2,000 W and fixes them from 01:00 to 05:00 himself (PUT), Pierre & Marie's
car of 9,000 W asks a plan (POST) and gets a flat one around them; the cars draw in their
slots, production falls short of consumption and adapts; three months later the house reads
the bill of its first month and the partial bill of the current one.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Any

from scenarios.client import Answer, Grid, Steps, run
from scenarios.clock import Clock, iso, next_time_of_day
from scenarios.places import Town, add_sim_house, balanced, community_of, last_frame

ROADSTER_W, MODEL_Y_W, CAR_W = 1300, 2000, 9000  # the seed's cars

TITLE = "Scenario 1: registration, schedulable objects, production follows consumption, bills"


def car(name: str, power_w: float, energy_wh: float, deadline: datetime) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "schedulable",
        "powerW": power_w,
        "energyWh": energy_wh,
        "deadline": iso(deadline),
    }


def months_later(instant: datetime, months: int) -> datetime:
    month = instant.month - 1 + months
    return instant.replace(year=instant.year + month // 12, month=month % 12 + 1, day=min(instant.day, 28))


def play(grid: Grid, steps: Steps) -> None:
    clock = Clock(grid, steps)
    town = Town()
    registered = clock.now()
    day = registered.date().isoformat()

    # 1-3. A house registers, gets an id and sees its consumption
    pm = add_sim_house(
        grid,
        steps,
        clock,
        "Pierre & Marie's house registers (its meter box: POST /sim/houses, which calls POST /houses)",
        {
            "name": "Pierre & Marie",
            "location": town.location(0),
            "acceptedPolicies": ["consumption"],
            "objects": [
                {"name": "fridge", "kind": "base", "powerW": 150},
                {"name": "lighting", "kind": "appliance", "powerW": 300, "profile": "flat"},
            ],
        },
    )["houseId"]
    community = community_of(grid, steps, pm, "the grid gave the house an id and a community")
    elon = add_sim_house(
        grid,
        steps,
        clock,
        "Elon's house registers in the same town",
        {
            "name": "Elon",
            "location": town.location(1),
            "objects": [{"name": "electronics", "kind": "base", "powerW": 200}],
        },
    )["houseId"]
    steps.wait_for(
        "Elon's house joined the same community",
        lambda: grid.staff("GET", f"/houses/{elon}"),
        f"200, communityId {community}",
        lambda a: a.status == 200 and a.body.get("communityId") == community,
    )
    clock.advance("a minute passes: the boxes report", ticks=1)
    steps.wait_for(
        "Pierre & Marie see their consumption of the day, per object",
        lambda: grid.staff("GET", f"/houses/{pm}/consumption?date={day}"),
        "200, 7.5 Wh a minute: fridge 2.5, lighting 5",
        lambda a: a.status == 200 and a.body["objects"].get("fridge", 0) >= 2.5 and a.body["wh"] >= 7.5,
    )

    # 4-6. A producer registers, gets an id; consumption equals production
    producer = steps.check(
        "a utility producer registers, producing 1,000 W (POST /sim/producers, which calls POST /producers)",
        grid.staff("POST", "/sim/producers", {"name": "Nikola", "productionW": 1000}),
        "201 with a producerId",
        lambda a: a.status == 201 and str(a.body["producerId"]).startswith("p-"),
    ).body["producerId"]
    clock.watch(f"/sim/producers/{producer}")
    steps.check(
        "the grid gave the producer an id, with the default limit",
        grid.staff("GET", f"/producers/{producer}"),
        "200, kind utility, productionLimitW 10000",
        lambda a: a.status == 200 and a.body["kind"] == "utility" and a.body["productionLimitW"] == 10_000,
    )
    night = next_time_of_day(clock.now() + timedelta(minutes=30), 0, 40)
    clock.advance(f"the day passes, to {iso(night)}", until=night)
    clock.advance_until(
        "consumption equals production (the last closed frame, GET /grid/frames)",
        lambda: last_frame(grid, clock),
        "production within 2 % of consumption",
        balanced,
        max_ticks=20,
    )

    # 7-8. Schedulable objects are plugged in and scheduled
    one, five, seven = (
        night.replace(hour=1, minute=0),
        night.replace(hour=5, minute=0),
        night.replace(hour=7, minute=0),
    )
    for name, power in (("roadster", ROADSTER_W), ("model-y", MODEL_Y_W)):
        steps.check(
            f"Elon plugs in his {power:,} W car {name}, wanted by 05:00",
            grid.staff("POST", f"/sim/houses/{elon}/objects", car(name, power, power * 4, five)),
            "201",
            lambda a: a.status == 201,
        )
    steps.check(
        f"Pierre & Marie plug in their {CAR_W:,} W car, 9 kWh wanted by 07:00",
        grid.staff("POST", f"/sim/houses/{pm}/objects", car("car", CAR_W, 9000, seven)),
        "201",
        lambda a: a.status == 201,
    )
    plugged = clock.now()
    clock.advance("a minute passes: the boxes ask their plans", ticks=1)
    for name, power in (("roadster", ROADSTER_W), ("model-y", MODEL_Y_W)):
        steps.check(
            f"Elon fixes {name} from 01:00 to 05:00 himself",
            grid.staff(
                "PUT",
                f"/houses/{elon}/objects/{name}/schedule",
                {"slots": [{"start": iso(one), "end": iso(five), "powerW": power}]},
            ),
            f"200, fixed, {power * 4} Wh from 01:00 to 05:00",
            lambda a, power=power: (
                a.status == 200  # type: ignore[misc]
                and a.body["fixed"]
                and a.body["energyWh"] == power * 4
                and a.body["finishesAt"] == iso(five)
            ),
        )
    steps.check(
        "Pierre & Marie's car asks a plan",
        grid.staff(
            "POST",
            f"/houses/{pm}/objects/car/schedule",
            {"energyWh": 9000, "maxPowerW": CAR_W, "deadline": iso(seven)},
        ),
        "201, 9,000 Wh by 07:00, spread flat below 9,000 W around Elon's cars",
        lambda a: (
            a.status == 201
            and not a.body["late"]
            and a.body["finishesAt"] <= iso(seven)
            and 0 < max(s["powerW"] for s in a.body["slots"]) < CAR_W
        ),
    )

    # 9-11. The cars draw in their slots; production falls short, then adapts
    clock.advance(
        "the night goes on to 01:05, tick by tick", until=one + timedelta(minutes=5), tick_by_tick=True
    )
    steps.wait_for(
        "Elon's roadster draws from 01:00, not before",
        lambda: grid.staff(
            "GET", f"/houses/{elon}/consumption/objects/roadster?date={one.date().isoformat()}"
        ),
        f"readings of {ROADSTER_W / 60:.3f} Wh a minute from 01:00, none before",
        lambda a: a.status == 200 and slot_drawn(a, iso(one), iso(one + timedelta(minutes=4)), ROADSTER_W),
    )
    clock.advance_until(
        "the frames of the cars' first minutes close: production no longer equals consumption",
        lambda: grid.staff("GET", f"/grid/frames?from={iso(plugged)}&to={iso(one + timedelta(minutes=5))}"),
        "a frame where consumption exceeds production by over 1,000 W (the cars drawing)",
        lambda a: a.status == 200 and any(shortfall_w(f) > 1000 for f in a.body["frames"]),
        max_ticks=10,
    )
    clock.advance_until(
        "production adapts: consumption equals production again",
        lambda: last_frame(grid, clock),
        "production within 2 % of consumption, the cars drawing",
        lambda a: balanced(a) and a.body["frameStart"] > iso(one),
        max_ticks=20,
    )

    # 12. Three months pass: the first month's bill and the current month's
    later = months_later(clock.now(), 3)
    clock.advance(f"three months pass, to {iso(later)}", until=later)
    first_month = day[:7]
    clock.advance_until(
        "Pierre & Marie read their bills (the months close on the next move, their readings in)",
        lambda: grid.staff("GET", f"/houses/{pm}/bills"),
        f"200, {first_month} and every month since final, with energy bought, then the current one",
        lambda a: (
            a.status == 200
            and len(a.body["bills"]) >= 4
            and all(b["final"] and b["boughtWh"] > 0 for b in a.body["bills"][:-1])
            and a.body["bills"][0]["month"] == first_month
        ),
        max_ticks=3,
    )
    steps.check(
        f"the bill of the first month, {first_month}",
        grid.staff("GET", f"/houses/{pm}/bills/{first_month}"),
        "200, final, bought Wh priced at 0.00015 €/Wh",
        lambda a: a.status == 200 and a.body["final"] and float(a.body["amountDue"]) > 0,
    )
    steps.check(
        f"the partial bill of the current month, {later.strftime('%Y-%m')}",
        grid.staff("GET", f"/houses/{pm}/bills/current"),
        "200, not final, with a projection to the month's end",
        lambda a: (
            a.status == 200
            and a.body["month"] == later.strftime("%Y-%m")
            and not a.body["final"]
            and a.body.get("projection") is not None
        ),
    )


def shortfall_w(frame: dict[str, Any]) -> float:
    return float(frame["grid"]["consumptionW"] - frame["grid"]["productionW"])


def slot_drawn(answer: Answer, start: str, last: str, power_w: float) -> bool:
    """Readings at `power_w` from `start` to `last` (tick starts), and nothing drawn before."""
    readings = {r["timestamp"]: r["wh"] for r in answer.body["readings"]}
    minute_wh = round(power_w / 60, 3)
    during = [wh for t, wh in readings.items() if start <= t <= last]
    before = [wh for t, wh in readings.items() if t < start and wh > 0]
    return len(during) >= 5 and all(abs(wh - minute_wh) <= 0.001 for wh in during) and not before


if __name__ == "__main__":
    sys.exit(run(play, TITLE))
