"""house: staff set up simulated houses (registered through the grid's own API), and on every
move of the clock each house reports its objects through the head-end (`POST /readings`)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from localcloud import LocalCloud
from tests.conftest import STAFF_TOKEN, item_count, sample_event
from tests.functions.support import api_event, call, sample_body, settle_workflows, table_items

FUNCTION = "HouseFunction"
REPORT = "HouseReportFunction"
DIR = "house"


def create(cloud: LocalCloud, body: dict[str, Any] | None = None) -> dict[str, Any]:
    event = api_event(DIR, "post_house") if body is None else api_event(DIR, "post_house", body=body)
    answer = call(cloud, FUNCTION, event)
    assert answer.status == 201, answer.body
    settle_workflows(cloud)
    return dict(answer.json())


def flat_house(name: str = "Flat house") -> dict[str, Any]:
    return {
        "name": name,
        "location": {"lat": 45.2, "lon": 5.7},
        "objects": [
            {"name": "fridge", "kind": "base", "powerW": 1000},
            {"name": "oven", "kind": "appliance", "powerW": 3000},
            {"name": "reactor", "kind": "producer", "powerW": 600},
        ],
    }


def grid(cloud: LocalCloud, path: str) -> Any:
    answer = cloud.request("GET", path, token=STAFF_TOKEN)
    assert answer.status == 200, answer.body
    return answer.json()


def move(previous: str, ticks: int, case: str = "report") -> dict[str, Any]:
    """The sample Clock Advanced event, for a move of `ticks` minutes from `previous`."""
    event = copy.deepcopy(sample_event(DIR, case))
    now = datetime.fromisoformat(previous.replace("Z", "+00:00")) + timedelta(minutes=ticks)
    event["detail"] = {
        "previous": previous,
        "now": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ticks": ticks,
        "tickMinutes": 1,
    }
    return event


# POST /sim/houses ---------------------------------------------------------------------------
def test_staff_create_a_house_that_registers_through_the_api(cloud: LocalCloud) -> None:
    # Given the sample house (solar panels among its objects)
    clock = grid(cloud, "/clock")["now"]
    # When staff create it
    house = create(cloud)
    # Then it is a house of the grid, active in a community, and a local producer
    registered = grid(cloud, f"/houses/{house['houseId']}")
    assert registered["name"] == "Pierre & Marie" and registered["status"] == "active"
    assert registered["acceptedPolicies"] == ["consumption", "production"]
    assert registered["producerId"] == house["producerId"] == f"p-{house['houseId']}"
    # And the simulator shows its objects, no battery yet, and reports from the grid's time on
    assert [o["name"] for o in house["objects"]] == [
        "fridge",
        "appliances",
        "lighting",
        "blender",
        "solar panels",
        "car",
    ]
    car = house["objects"][-1]
    assert (car["energyWh"], car["deadline"], car["deliveredWh"]) == (10000.0, "2026-03-03T07:00:00Z", 0.0)
    assert house["battery"] is None and house["lastReadings"] is None
    assert house["reportedUntil"] == clock
    # And the simulator keeps the house (spec and state) in its own table, with the device's token
    items = [i for i in table_items(cloud, "SimHousesTable") if i["houseId"]["S"] == house["houseId"]]
    assert sorted(i["part"]["S"] for i in items) == ["spec", "state"]
    assert '"token":"h-' in next(i["doc"]["S"] for i in items if i["part"]["S"] == "spec")


def test_a_house_without_producing_objects_does_not_produce_unless_asked(cloud: LocalCloud) -> None:
    body = {"name": "Plain", "location": {"lat": 45.2, "lon": 5.7}, "objects": []}
    assert create(cloud, body)["producerId"] is None
    asked = create(cloud, {**body, "produces": True})
    assert asked["producerId"] == f"p-{asked['houseId']}"


@pytest.mark.parametrize(
    ("case", "body", "status", "field"),
    [
        ("post_house_duplicate_names", None, 422, "body"),
        ("post_house_no_token", None, 401, None),
        (
            "post_house",
            {**sample_body(DIR, "post_house"), "location": {"lat": 95, "lon": 0}},
            422,
            "body.location.lat",
        ),
        ("post_house", {**sample_body(DIR, "post_house"), "produces": False}, 422, "body"),
        (
            "post_house",
            {"name": "Plain", "location": {"lat": 45.2, "lon": 5.7}, "battery": {}},
            422,
            "body",
        ),
        (
            "post_house",
            {**sample_body(DIR, "post_house"), "battery": {"capacityWh": 0}},
            422,
            "body.battery.capacityWh",
        ),
    ],
)
def test_a_refused_creation_registers_nothing(
    cloud: LocalCloud, case: str, body: Any, status: int, field: str | None
) -> None:
    # Given the houses of the grid and of the simulator so far
    before = (item_count(cloud, "ClientsTable"), item_count(cloud, "SimHousesTable"))
    # When a creation is refused
    event = api_event(DIR, case) if body is None else api_event(DIR, case, body=body)
    answer = call(cloud, FUNCTION, event)
    # Then it says why, and no house was registered nor kept
    assert answer.status == status, answer.body
    if field:
        assert field in answer.error_fields(), answer.body
    assert (item_count(cloud, "ClientsTable"), item_count(cloud, "SimHousesTable")) == before


def test_only_staff_set_houses_up(cloud: LocalCloud) -> None:
    # Given a house's own token / When it calls the simulator / Then 403
    house = create(cloud, flat_house())
    token = (
        next(
            i["doc"]["S"]
            for i in table_items(cloud, "SimHousesTable")
            if i["houseId"]["S"] == house["houseId"]
        )
        .split('"token":"')[1]
        .split('"')[0]
    )
    answer = call(
        cloud, FUNCTION, api_event(DIR, "get_house", path={"houseId": house["houseId"]}, token=token)
    )
    assert answer.status == 403


# GET /sim/houses/{houseId} -----------------------------------------------------------------
def test_staff_read_a_house_and_an_unknown_one_is_not_found(cloud: LocalCloud) -> None:
    house = create(cloud)
    answer = call(cloud, FUNCTION, api_event(DIR, "get_house", path={"houseId": house["houseId"]}))
    assert answer.status == 200 and answer.json() == house
    missing = call(cloud, FUNCTION, api_event(DIR, "get_house"))
    assert missing.status == 404 and "houseId" in missing.error_fields()


# Objects --------------------------------------------------------------------------------------
def test_plugging_a_producing_object_makes_the_house_a_producer(cloud: LocalCloud) -> None:
    # Given a house that does not produce
    house = create(cloud, {**flat_house(), "objects": flat_house()["objects"][:2]})
    assert house["producerId"] is None
    # When a DIY reactor is plugged in
    answer = call(cloud, FUNCTION, api_event(DIR, "post_object", path={"houseId": house["houseId"]}))
    # Then the house has it, and became a local producer of the grid
    assert answer.status == 201, answer.body
    assert answer.json()["objects"][-1] == {
        "name": "diy reactor",
        "kind": "producer",
        "powerW": 1500.0,
        "enabled": True,
        "profile": "flat",
        "energyWh": None,
        "deadline": None,
        "deliveredWh": None,
    }
    assert answer.json()["producerId"] == grid(cloud, f"/houses/{house['houseId']}")["producerId"]
    # And the same name again is a conflict; an unknown kind is refused
    again = call(cloud, FUNCTION, api_event(DIR, "post_object", path={"houseId": house["houseId"]}))
    assert again.status == 409
    bad = call(cloud, FUNCTION, api_event(DIR, "post_object_bad_kind", path={"houseId": house["houseId"]}))
    assert bad.status == 422 and "body.kind" in bad.error_fields()


def test_objects_are_switched_changed_and_unplugged(cloud: LocalCloud) -> None:
    house = create(cloud)
    path = {"houseId": house["houseId"]}
    # When the blender is switched on and the fridge's power changes
    on = call(cloud, FUNCTION, api_event(DIR, "patch_object", path=path))
    power = call(cloud, FUNCTION, api_event(DIR, "patch_object_power", path=path))
    assert on.status == power.status == 200, (on.body, power.body)
    objects = {o["name"]: o for o in power.json()["objects"]}
    assert objects["blender"]["enabled"] is True and objects["fridge"]["powerW"] == 150.0
    # When the blender is unplugged
    gone = call(cloud, FUNCTION, api_event(DIR, "delete_object", path=path))
    assert gone.status == 200 and "blender" not in [o["name"] for o in gone.json()["objects"]]
    # Then it is no more
    assert call(cloud, FUNCTION, api_event(DIR, "delete_object", path=path)).status == 404
    assert call(cloud, FUNCTION, api_event(DIR, "patch_object", path=path)).status == 404


@pytest.mark.parametrize(
    ("case", "body", "field"),
    [
        ("patch_object_empty", None, "body"),
        ("patch_object_power", {"powerW": -1}, "body.powerW"),
        ("patch_object_power", {"energyWh": 500}, "body"),  # a fridge has no cycle
        ("patch_object_power", {"enabled": "sometimes"}, "body.enabled"),
    ],
)
def test_a_refused_change_changes_nothing(cloud: LocalCloud, case: str, body: Any, field: str) -> None:
    house = create(cloud)
    path = {"houseId": house["houseId"]}
    event = api_event(DIR, case, path=path) if body is None else api_event(DIR, case, path=path, body=body)
    answer = call(cloud, FUNCTION, event)
    assert answer.status == 422, answer.body
    assert field in answer.error_fields(), answer.body
    assert call(cloud, FUNCTION, api_event(DIR, "get_house", path=path)).json() == house


def test_a_schedulable_object_draws_its_plan_and_starts_a_new_cycle_when_plugged_in_again(
    cloud: LocalCloud,
) -> None:
    # Given the sample house: its box asks a plan for the car at the first report, then follows it
    house = create(cloud)
    settle_workflows(cloud)
    first = move(house["reportedUntil"], 1)
    cloud.invoke(REPORT, first)
    schedule = f"/houses/{house['houseId']}/objects/car/schedule"
    plan = grid(cloud, schedule)
    assert (plan["energyWh"], plan["maxPowerW"], plan["deadline"]) == (
        10000.0,
        2000.0,
        "2026-03-03T07:00:00Z",
    )
    assert plan["slots"][0]["start"] == first["detail"]["now"]
    cloud.invoke(REPORT, move(first["detail"]["now"], 1))
    path = {"houseId": house["houseId"], "name": "car"}
    charged = call(cloud, FUNCTION, api_event(DIR, "get_house", path={"houseId": house["houseId"]}))
    # (its plan spreads it flat to the deadline: a minute at the first slot's power)
    delivered = charged.json()["objects"][-1]["deliveredWh"]
    assert delivered > 0 and delivered == pytest.approx(plan["slots"][0]["powerW"] / 60, abs=0.001)
    # When it is unplugged, then plugged in again
    call(cloud, FUNCTION, api_event(DIR, "patch_object", path=path, body={"enabled": False}))
    again = call(cloud, FUNCTION, api_event(DIR, "patch_object", path=path, body={"enabled": True}))
    # Then its cycle starts over
    assert again.json()["objects"][-1]["deliveredWh"] == 0.0


def test_an_unplugged_schedulable_object_has_its_plan_cancelled(cloud: LocalCloud) -> None:
    house = create(cloud)
    settle_workflows(cloud)
    first = move(house["reportedUntil"], 1)
    cloud.invoke(REPORT, first)
    schedule = f"/houses/{house['houseId']}/objects/car/schedule"
    assert cloud.request("GET", schedule, token=STAFF_TOKEN).status == 200
    # When the car is unplugged and the house reports
    path = {"houseId": house["houseId"], "name": "car"}
    call(cloud, FUNCTION, api_event(DIR, "patch_object", path=path, body={"enabled": False}))
    cloud.invoke(REPORT, move(first["detail"]["now"], 1))
    # Then the scheduler no longer plans it
    assert cloud.request("GET", schedule, token=STAFF_TOKEN).status == 404


# Reports ---------------------------------------------------------------------------------------
def test_every_house_reports_each_tick_through_the_head_end(cloud: LocalCloud) -> None:
    # Given a house with a fridge (1,000 W), an oven (3,000 W) and a reactor (600 W)
    house = create(cloud, flat_house())
    start = house["reportedUntil"]
    # When the clock moves three ticks
    summary = cloud.invoke(REPORT, move(start, 3))
    cloud.drain()
    # Then the house posted three readings of each kind, accepted
    assert summary["refused"] == 0 and summary["readings"] >= 6
    day = start[:10]
    stored = grid(cloud, f"/houses/{house['houseId']}/consumption?date={day}")
    # And the grid stores W x tick for each object, exactly
    assert stored["objects"] == {"oven": 150.0, "fridge": 50.001}
    assert stored["wh"] == 200.001
    # And the simulator shows the last tick and where it stands
    after = grid(cloud, f"/sim/houses/{house['houseId']}")
    assert after["lastReadings"] == {
        "timestamp": (datetime.fromisoformat(start[:-1]) + timedelta(minutes=2)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "durationMinutes": 1,
        "objects": {"fridge": 16.667, "oven": 50.0},
        "productionWh": 10.0,
    }
    assert after["reportedUntil"] == move(start, 3)["detail"]["now"]


def test_a_move_reported_already_is_not_reported_again(cloud: LocalCloud) -> None:
    # Given a house that reported a move
    house = create(cloud, flat_house())
    event = move(house["reportedUntil"], 2)
    cloud.invoke(REPORT, event)
    cloud.drain()
    ledger = item_count(cloud, "ReadingsLedgerTable")
    # When the same event comes again (EventBridge delivers at least once)
    again = cloud.invoke(REPORT, event)
    cloud.drain()
    # Then nothing is posted again
    assert again["readings"] == 0 and item_count(cloud, "ReadingsLedgerTable") == ledger


def test_a_long_jump_is_reported_in_coarse_readings_cut_at_the_hour(cloud: LocalCloud) -> None:
    # Given a house (the grid's clock is on the hour in these tests)
    house = create(cloud, flat_house())
    start = house["reportedUntil"]
    assert start.endswith(":00:00Z")
    # When the clock jumps 61 ticks (more than 60: a jump)
    event = move(start, 61, "report_jump")
    summary = cloud.invoke(REPORT, event)
    cloud.drain()
    # Then the fridge reported an hour, then the minute left, in two readings
    day = start[:10]
    fridge = grid(cloud, f"/houses/{house['houseId']}/consumption/objects/fridge?date={day}")
    hour = datetime.fromisoformat(start[:-1])
    assert [(r["timestamp"], r["wh"]) for r in fridge["readings"]] == [
        (start, 1000.0),
        ((hour + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), 16.667),
    ]
    assert summary["refused"] == 0
    assert grid(cloud, f"/sim/houses/{house['houseId']}")["lastReadings"]["durationMinutes"] == 1


def test_a_move_without_its_detail_is_an_error(cloud: LocalCloud) -> None:
    with pytest.raises(ValidationError):
        cloud.invoke(REPORT, sample_event(DIR, "report_bad_detail"))


# Batteries -------------------------------------------------------------------------------------
def fit_battery(cloud: LocalCloud, house_id: str, body: dict[str, Any]) -> Any:
    return call(cloud, FUNCTION, api_event(DIR, "post_battery", path={"houseId": house_id}, body=body))


def test_staff_fit_a_battery_that_registers_through_the_api_and_reports_each_tick(cloud: LocalCloud) -> None:
    # Given a house that produces (a 600 W reactor) and draws more (4,000 W)
    house = create(cloud, flat_house("Battery house"))
    clock = grid(cloud, "/clock")["now"]
    # When staff fit it a 5,000 Wh battery of 1,000 W holding 100 Wh
    answer = fit_battery(cloud, house["houseId"], sample_body(DIR, "post_battery") | {"storedWh": 100})
    # Then the simulator shows it
    assert answer.status == 201, answer.body
    battery = answer.json()["battery"]
    assert battery == {
        "batteryId": f"b-{house['houseId']}",
        "capacityWh": 5000.0,
        "maxChargeW": 1000.0,
        "maxDischargeW": 1000.0,
        "storedWh": 100.0,
    }
    # And the grid has it, from the house's own token, with its first state at the grid's time
    fitted = grid(cloud, f"/houses/{house['houseId']}/battery")
    assert fitted["latestState"] == {"timestamp": clock, "storedWh": 100.0}
    # When the clock moves three ticks
    cloud.tick(3)
    # Then the deficit (3,400 W) drew the battery at its rate (1,000 W: 16.666 Wh a tick), tick by tick
    states = grid(
        cloud, f"/batteries/{battery['batteryId']}/states?from={clock}&to={grid(cloud, '/clock')['now']}"
    )
    assert [s["storedWh"] for s in states["states"]] == [100.0, 83.334, 66.668, 50.002]
    assert grid(cloud, f"/sim/houses/{house['houseId']}")["battery"]["storedWh"] == 50.002


def test_a_battery_is_fitted_once_and_to_a_house_that_produces(cloud: LocalCloud) -> None:
    producing = create(cloud, flat_house("Twice"))
    assert fit_battery(cloud, producing["houseId"], {}).status == 201
    again = fit_battery(cloud, producing["houseId"], {})
    assert again.status == 409 and again.error_fields() == ["houseId"]
    plain = create(cloud, {"name": "Plain", "location": {"lat": 45.2, "lon": 5.7}})
    before = table_items(cloud, "BatteriesTable")
    refused = fit_battery(cloud, plain["houseId"], {})
    assert refused.status == 409 and refused.error_fields() == ["houseId"]
    too_full = fit_battery(cloud, producing["houseId"], {"capacityWh": 10, "storedWh": 11})
    assert too_full.status == 422 and too_full.error_fields() == ["body"]
    assert fit_battery(cloud, "h-000000000000", {}).status == 404
    assert table_items(cloud, "BatteriesTable") == before
    assert grid(cloud, f"/sim/houses/{plain['houseId']}")["battery"] is None


def test_a_house_created_with_a_battery_has_it_at_once(cloud: LocalCloud) -> None:
    house = create(cloud, flat_house("Born with one") | {"battery": {"capacityWh": 2000}})
    assert house["battery"] == {
        "batteryId": f"b-{house['houseId']}",
        "capacityWh": 2000.0,
        "maxChargeW": 50.0,
        "maxDischargeW": 50.0,
        "storedWh": 0.0,
    }
