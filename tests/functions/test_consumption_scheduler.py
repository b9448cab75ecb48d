"""consumption-scheduler: plans for schedulable objects (from the grid's present, as flat as
their windows allow, around sheddings, around slots fixed by hand); sheddings on a peak, at
producers' limits, and by hand, each acted on once. The grid clock of this module stands at
its start, 2026-03-01T00:00:00Z, and no history: a community expects no other load."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localcloud import LocalCloud
from smartgrid.events import ConsumptionPeak, ElectricityFrame, FrameTotals, ReachProductionLimit, Topic
from smartgrid.gridtime import parse_instant
from smartgrid.stores.frames import ClosedFramesRepository
from tests.conftest import STAFF_TOKEN, sample_event
from tests.functions.balance_support import carrying
from tests.functions.support import TopicProbe, new_house, table_items
from tests.helpers import Registered

FUNCTION = "ConsumptionSchedulerFunction"
DIR = "consumption_scheduler"
NOW = "2026-03-01T00:00:00Z"
Probe = Callable[[str], TopicProbe]


def community_of(cloud: LocalCloud, house: Registered) -> str:
    return str(cloud.request("GET", f"/houses/{house.id}", token=house.token).json()["communityId"])


def ask_plan(cloud: LocalCloud, house: Registered, name: str, **body: Any) -> Any:
    request = {"energyWh": 4000, "maxPowerW": 2000, "deadline": "2026-03-01T12:00:00Z", **body}
    return cloud.request(
        "POST", f"/houses/{house.id}/objects/{name}/schedule", json_body=request, token=house.token
    )


def plan_of(cloud: LocalCloud, house: Registered, name: str) -> Any:
    return cloud.request("GET", f"/houses/{house.id}/objects/{name}/schedule", token=house.token).json()


def energy_wh(plan: Any, start: str = "0000", end: str = "9999") -> float:
    """The plan's energy in [start, end) (ISO instants compare as strings)."""
    return sum(
        slot["powerW"]
        * (parse_instant(min(slot["end"], end)) - parse_instant(max(slot["start"], start))).total_seconds()
        / 3600
        for slot in plan["slots"]
        if slot["start"] < end and slot["end"] > start
    )


def peak(community: str, frame_start: str = "2026-02-28T23:54:00Z") -> ConsumptionPeak:
    return ConsumptionPeak(communityId=community, frameStart=frame_start, valueW=12_000, thresholdW=10_000)


def deliver(cloud: LocalCloud, topic: Topic, *events: Any) -> Any:
    case = {Topic.CONSUMPTION_PEAK: "consumer_peak", Topic.ELECTRICITY_FRAME: "consumer_frame"}.get(
        topic, "consumer_limit"
    )
    return cloud.invoke(FUNCTION, carrying(DIR, case, topic, list(events)))


def test_a_house_gets_a_plan_from_now_spread_flat_over_its_window(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    # When the house asks 4 kWh at 2 kW for its car, by noon
    answer = ask_plan(cloud, house, "ev", earliestStart="2026-02-28T20:00:00Z")
    # Then the car draws from now (not from the past) to noon, as flat as whole mWh allow
    assert answer.status == 201, answer.body
    plan = answer.json()
    assert plan["slots"][0]["start"] == NOW and plan["slots"][-1]["end"] == "2026-03-01T12:00:00Z"
    assert all(333.3 <= slot["powerW"] <= 333.4 for slot in plan["slots"])
    assert round(energy_wh(plan), 3) == 4000
    assert (plan["finishesAt"], plan["late"], plan["fixed"], plan["communityId"]) == (
        "2026-03-01T12:00:00Z",
        False,
        False,
        community_of(cloud, house),
    )
    assert plan_of(cloud, house, "ev") == plan
    # And cancelled, it is gone
    gone = cloud.request("DELETE", f"/houses/{house.id}/objects/ev/schedule", token=house.token)
    assert gone.status == 200 and gone.json()["name"] == "ev"
    assert cloud.request("GET", f"/houses/{house.id}/objects/ev/schedule", token=house.token).status == 404


def test_a_plan_that_cannot_finish_in_time_is_refused_and_nothing_is_stored(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    before = table_items(cloud, "SchedulesTable")
    # 9 kWh at 2 kW takes 4.5 h; the deadline is 3 h away
    answer = ask_plan(cloud, house, "ev", energyWh=9000, deadline="2026-03-01T03:00:00Z")
    assert answer.status == 422
    assert answer.json()["fields"][0]["field"] == "deadline"
    assert "takes 4.50 h, only 3.00 h" in answer.json()["message"]
    assert table_items(cloud, "SchedulesTable") == before
    bad = ask_plan(cloud, house, "ev", maxPowerW=0)
    assert bad.status == 422 and bad.json()["fields"][0]["field"] == "body.maxPowerW"


def test_only_the_house_itself_or_staff_plan_its_objects(cloud: LocalCloud) -> None:
    house, other = new_house(cloud), new_house(cloud)
    path = f"/houses/{house.id}/objects/ev/schedule"
    body = {"energyWh": 1000, "maxPowerW": 1000, "deadline": "2026-03-01T12:00:00Z"}
    assert cloud.request("POST", path, json_body=body).status == 401
    assert cloud.request("POST", path, json_body=body, token=other.token).status == 403
    assert cloud.request("POST", path, json_body=body, token=STAFF_TOKEN).status == 201
    assert cloud.request("GET", path, token=other.token).status == 403
    community = community_of(cloud, house)
    assert (
        cloud.request("POST", f"/communities/{community}/shedding", json_body={}, token=house.token).status
        == 403
    )


def test_a_peak_sheds_the_community_once_and_its_objects_resume_after_the_hold(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house)
    ask_plan(cloud, house, "ev")
    ask_plan(cloud, house, "washer", energyWh=500, maxPowerW=500, earliestStart="2026-03-01T06:00:00Z")
    # When a peak of the community arrives (its frame closed a few ticks ago), twice
    deliver(cloud, Topic.CONSUMPTION_PEAK, peak(community))
    deliver(cloud, Topic.CONSUMPTION_PEAK, peak(community))
    # Then the car, drawing now, stops for the hold (60 min) and still gets its energy by noon
    ev = plan_of(cloud, house, "ev")
    assert ev["slots"][0]["start"] == "2026-03-01T01:00:00Z" and ev["finishesAt"] <= "2026-03-01T12:00:00Z"
    assert round(energy_wh(ev), 3) == 4000 and not ev["late"]
    # And the washer still waits for its window
    assert plan_of(cloud, house, "washer")["slots"][0]["start"] >= "2026-03-01T06:00:00Z"
    # And one shedding says what was stopped
    sheddings = cloud.request("GET", f"/communities/{community}/shedding", token=STAFF_TOKEN).json()[
        "sheddings"
    ]
    assert len(sheddings) == 1
    assert {k: sheddings[0][k] for k in ("cause", "start", "until", "shedW", "peakW")} == {
        "cause": "peak",
        "start": NOW,
        "until": "2026-03-01T01:00:00Z",
        "shedW": sheddings[0]["objects"][0]["powerW"],
        "peakW": 12000.0,
    }
    assert [(o["houseId"], o["name"]) for o in sheddings[0]["objects"]] == [(house.id, "ev")]
    # And a plan asked during the shedding starts after it
    asked = ask_plan(cloud, house, "dryer", energyWh=1000, maxPowerW=1000).json()
    assert asked["slots"][0]["start"] == "2026-03-01T01:00:00Z"


def test_a_peak_older_than_the_hold_is_not_acted_on(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house)
    ask_plan(cloud, house, "ev")
    deliver(cloud, Topic.CONSUMPTION_PEAK, peak(community, "2026-02-28T22:00:00Z"))
    assert plan_of(cloud, house, "ev")["slots"][0]["start"] == NOW
    assert (
        cloud.request("GET", f"/communities/{community}/shedding", token=STAFF_TOKEN).json()["sheddings"]
        == []
    )


def test_staff_shed_by_hand_and_resume(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house)
    ask_plan(cloud, house, "ev")
    # When staff stop the community's schedulable objects for 30 minutes
    shed = cloud.request(
        "POST", f"/communities/{community}/shedding", json_body={"minutes": 30}, token=STAFF_TOKEN
    )
    assert shed.status == 201, shed.body
    assert (shed.json()["cause"], shed.json()["until"]) == ("manual", "2026-03-01T00:30:00Z")
    assert 333.3 <= shed.json()["shedW"] <= 333.4
    assert plan_of(cloud, house, "ev")["slots"][0]["start"] == "2026-03-01T00:30:00Z"
    # And a second one meanwhile is refused
    again = cloud.request("POST", f"/communities/{community}/shedding", json_body={}, token=STAFF_TOKEN)
    assert again.status == 409
    # When they resume it now
    resumed = cloud.request("DELETE", f"/communities/{community}/shedding", token=STAFF_TOKEN)
    assert resumed.status == 200 and resumed.json()["sheddings"][0]["until"] == NOW
    # Then the car draws from now again, and still gets all its energy by noon
    resumed_plan = plan_of(cloud, house, "ev")
    assert resumed_plan["slots"][0]["start"] == NOW and round(energy_wh(resumed_plan), 3) == 4000
    assert (
        cloud.request("GET", f"/communities/{community}/shedding", token=STAFF_TOKEN).json()["sheddings"]
        == []
    )


def test_producers_at_their_limit_shed_the_biggest_communities_and_warn_staff(
    cloud: LocalCloud, probe: Probe
) -> None:
    alerts = probe("AlertTopic")
    big, small, idle = new_house(cloud), new_house(cloud), new_house(cloud)
    ask_plan(cloud, big, "ev", maxPowerW=3000, energyWh=3000)
    ask_plan(cloud, small, "ev", maxPowerW=1500, energyWh=1500)
    communities = {
        name: community_of(cloud, h) for name, h in (("big", big), ("small", small), ("idle", idle))
    }
    # Given the frame of 23:55: the idle community drew most but has nothing schedulable
    frame = ElectricityFrame(
        frameStart="2026-02-28T23:55:00Z",
        durationMinutes=1,
        grid=FrameTotals(consumptionMwh=600_000),
        communities={
            communities["idle"]: FrameTotals(consumptionMwh=300_000),
            communities["big"]: FrameTotals(consumptionMwh=200_000),
            communities["small"]: FrameTotals(consumptionMwh=100_000),
        },
    )
    with cloud.locked():
        ClosedFramesRepository(cloud.provisioned.tables["ClosedFramesTable"]).store(frame)
    # When producers miss 200 W in that frame (delivered twice)
    limit = ReachProductionLimit(frameStart=frame.frameStart, shortfallW=200)
    deliver(cloud, Topic.REACH_PRODUCTION_LIMIT, limit)
    deliver(cloud, Topic.REACH_PRODUCTION_LIMIT, limit)
    # Then the biggest community with schedulable load is shed (its car's 250 W covers 200 W), not the next
    assert plan_of(cloud, big, "ev")["slots"][0]["start"] == "2026-03-01T01:00:00Z"
    assert plan_of(cloud, small, "ev")["slots"][0]["start"] == NOW
    # And staff are warned once
    (alert,) = alerts.events()
    assert alert["alertType"] == "production.limit.reached" and alert["subject"] == {
        "kind": "grid",
        "id": "grid",
    }
    assert "200 W short" in alert["message"] and communities["big"] in alert["message"]


def fix_plan(cloud: LocalCloud, house: Registered, name: str, slots: list[dict[str, Any]]) -> Any:
    return cloud.request(
        "PUT", f"/houses/{house.id}/objects/{name}/schedule", json_body={"slots": slots}, token=house.token
    )


def test_an_owner_fixes_his_slots_and_the_others_are_planned_around_them(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    # Given a washer planned first, over the night
    ask_plan(cloud, house, "washer", energyWh=2000, maxPowerW=1000, deadline="2026-03-01T08:00:00Z")
    # When the owner sets his car to charge from 01:00 to 05:00 at 2 kW
    fixed = fix_plan(
        cloud,
        house,
        "car",
        [{"start": "2026-03-01T01:00:00Z", "end": "2026-03-01T05:00:00Z", "powerW": 2000}],
    )
    # Then the car's plan is his, as he set it
    assert fixed.status == 200, fixed.body
    car = fixed.json()
    assert car["fixed"] and car["energyWh"] == 8000 and car["deadline"] == "2026-03-01T05:00:00Z"
    assert car["slots"] == [
        {"start": "2026-03-01T01:00:00Z", "end": "2026-03-01T05:00:00Z", "powerW": 2000.0}
    ]
    # And the washer moved out of the car's hours, still flat, still by 08:00
    washer = plan_of(cloud, house, "washer")
    assert energy_wh(washer, "2026-03-01T01:00:00Z", "2026-03-01T05:00:00Z") == 0
    assert round(energy_wh(washer), 3) == 2000 and washer["finishesAt"] <= "2026-03-01T08:00:00Z"
    assert all(slot["powerW"] <= 500.1 for slot in washer["slots"])


def test_fixed_slots_in_the_past_or_overlapping_are_refused_and_nothing_is_stored(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    before = table_items(cloud, "SchedulesTable")
    past = fix_plan(
        cloud,
        house,
        "car",
        [{"start": "2026-02-28T23:00:00Z", "end": "2026-03-01T01:00:00Z", "powerW": 2000}],
    )
    overlapping = fix_plan(
        cloud,
        house,
        "car",
        [
            {"start": "2026-03-01T01:00:00Z", "end": "2026-03-01T03:00:00Z", "powerW": 2000},
            {"start": "2026-03-01T02:00:00Z", "end": "2026-03-01T04:00:00Z", "powerW": 2000},
        ],
    )
    backwards = fix_plan(
        cloud,
        house,
        "car",
        [{"start": "2026-03-01T03:00:00Z", "end": "2026-03-01T01:00:00Z", "powerW": 2000}],
    )
    assert (past.status, past.json()["fields"][0]["field"]) == (422, "slots")
    assert overlapping.status == 422 and overlapping.json()["fields"][0]["field"] == "body.slots"
    assert backwards.status == 422 and "end after it starts" in backwards.json()["message"]
    assert table_items(cloud, "SchedulesTable") == before


def test_plans_avoid_the_hours_a_community_usually_draws_most(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    community = community_of(cloud, house)
    # Given yesterday's frames: the community drew 6 kW from 18:00 to 22:00, 1 kW otherwise
    frames = [
        ElectricityFrame(
            frameStart=f"2026-02-28T{minute // 60:02d}:{minute % 60:02d}:00Z",
            durationMinutes=1,
            grid=FrameTotals(),
            communities={
                community: FrameTotals(consumptionMwh=100_000 if 18 * 60 <= minute < 22 * 60 else 16_667)
            },
        )
        for minute in range(12 * 60, 24 * 60)
    ]
    deliver(cloud, Topic.ELECTRICITY_FRAME, *frames)
    deliver(cloud, Topic.ELECTRICITY_FRAME, *frames[:60])  # a redelivery changes nothing
    # When the house plans its car from noon to midnight
    plan = ask_plan(
        cloud,
        house,
        "ev",
        energyWh=6000,
        maxPowerW=3000,
        earliestStart="2026-03-01T12:00:00Z",
        deadline="2026-03-02T00:00:00Z",
    ).json()
    # Then it charges outside the evening's hours, flat
    assert energy_wh(plan, "2026-03-01T18:00:00Z", "2026-03-01T22:00:00Z") == 0
    assert round(energy_wh(plan), 3) == 6000
    assert all(749 <= slot["powerW"] <= 751 for slot in plan["slots"])
    # And the community's schedule shows the expected load with and without it
    schedule = cloud.request("GET", f"/communities/{community}/schedule?date=2026-03-01", token=STAFF_TOKEN)
    assert schedule.status == 200, schedule.body
    day = schedule.json()
    assert (day["stepMinutes"], len(day["load"]), day["thresholdW"]) == (1, 1440, 10000.0)
    assert [(p["houseId"], p["name"]) for p in day["plans"]] == [(house.id, "ev")]
    by_start = {point["start"]: point for point in day["load"]}
    assert by_start["2026-03-01T19:00:00Z"] == {
        "start": "2026-03-01T19:00:00Z",
        "otherW": 6000.0,
        "withPlansW": 6000.0,
    }
    assert round(by_start["2026-03-01T13:00:00Z"]["withPlansW"]) == round(1000.0 + 750)
    assert day["peakOtherW"] == 6000.0 and day["peakWithPlansW"] == 6000.0
    # And only staff may see it; a bad date is named
    assert (
        cloud.request("GET", f"/communities/{community}/schedule?date=2026-03-01", token=house.token).status
        == 403
    )
    bad = cloud.request("GET", f"/communities/{community}/schedule?date=March", token=STAFF_TOKEN)
    assert bad.status == 422 and bad.json()["fields"][0]["field"] == "query.date"


def test_the_sample_events_are_handled(cloud: LocalCloud) -> None:
    # The samples name a community no test registers: nothing to shed, nothing fails
    for case in ("consumer_peak", "consumer_limit", "consumer_frame"):
        assert cloud.invoke(FUNCTION, sample_event(DIR, case)) == {"batchItemFailures": []}
