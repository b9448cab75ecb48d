"""consumption-scheduler: plans for schedulable objects (from the grid's present, at full power,
around sheddings); sheddings on a peak, at producers' limits, and by hand, each acted on once.
The grid clock of this module stands at its start, 2026-03-01T00:00:00Z."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localcloud import LocalCloud
from smartgrid.events import ConsumptionPeak, ElectricityFrame, FrameTotals, ReachProductionLimit, Topic
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


def peak(community: str, frame_start: str = "2026-02-28T23:54:00Z") -> ConsumptionPeak:
    return ConsumptionPeak(communityId=community, frameStart=frame_start, valueW=12_000, thresholdW=10_000)


def deliver(cloud: LocalCloud, topic: Topic, event: Any) -> Any:
    case = "consumer_peak" if topic is Topic.CONSUMPTION_PEAK else "consumer_limit"
    return cloud.invoke(FUNCTION, carrying(DIR, case, topic, [event]))


def test_a_house_gets_a_plan_from_now_at_full_power(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    # When the house asks 4 kWh at 2 kW for its car, by noon
    answer = ask_plan(cloud, house, "ev", earliestStart="2026-02-28T20:00:00Z")
    # Then the car draws 2 kW from now (not from the past) for two hours
    assert answer.status == 201, answer.body
    plan = answer.json()
    assert plan["slots"] == [{"start": NOW, "end": "2026-03-01T02:00:00Z", "powerW": 2000.0}]
    assert (plan["finishesAt"], plan["late"], plan["communityId"]) == (
        "2026-03-01T02:00:00Z",
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
    # Then the car, drawing now, stops for the hold (60 min) and finishes an hour later
    assert plan_of(cloud, house, "ev")["slots"] == [
        {"start": "2026-03-01T01:00:00Z", "end": "2026-03-01T03:00:00Z", "powerW": 2000.0}
    ]
    # And the washer, planned after the hold, is untouched
    assert plan_of(cloud, house, "washer")["slots"][0]["start"] == "2026-03-01T06:00:00Z"
    # And one shedding says what was stopped
    sheddings = cloud.request("GET", f"/communities/{community}/shedding", token=STAFF_TOKEN).json()[
        "sheddings"
    ]
    assert len(sheddings) == 1
    assert {k: sheddings[0][k] for k in ("cause", "start", "until", "shedW", "peakW")} == {
        "cause": "peak",
        "start": NOW,
        "until": "2026-03-01T01:00:00Z",
        "shedW": 2000.0,
        "peakW": 12000.0,
    }
    assert sheddings[0]["objects"] == [{"houseId": house.id, "name": "ev", "powerW": 2000.0}]
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
    assert (shed.json()["cause"], shed.json()["until"], shed.json()["shedW"]) == (
        "manual",
        "2026-03-01T00:30:00Z",
        2000.0,
    )
    assert plan_of(cloud, house, "ev")["slots"][0]["start"] == "2026-03-01T00:30:00Z"
    # And a second one meanwhile is refused
    again = cloud.request("POST", f"/communities/{community}/shedding", json_body={}, token=STAFF_TOKEN)
    assert again.status == 409
    # When they resume it now
    resumed = cloud.request("DELETE", f"/communities/{community}/shedding", token=STAFF_TOKEN)
    assert resumed.status == 200 and resumed.json()["sheddings"][0]["until"] == NOW
    # Then the car draws from now again
    assert plan_of(cloud, house, "ev")["slots"] == [
        {"start": NOW, "end": "2026-03-01T02:00:00Z", "powerW": 2000.0}
    ]
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
    # When producers miss 2,500 W in that frame (delivered twice)
    limit = ReachProductionLimit(frameStart=frame.frameStart, shortfallW=2500)
    deliver(cloud, Topic.REACH_PRODUCTION_LIMIT, limit)
    deliver(cloud, Topic.REACH_PRODUCTION_LIMIT, limit)
    # Then the biggest community with schedulable load is shed (3,000 W covers 2,500 W), not the next
    assert plan_of(cloud, big, "ev")["slots"][0]["start"] == "2026-03-01T01:00:00Z"
    assert plan_of(cloud, small, "ev")["slots"][0]["start"] == NOW
    # And staff are warned once
    (alert,) = alerts.events()
    assert alert["alertType"] == "production.limit.reached" and alert["subject"] == {
        "kind": "grid",
        "id": "grid",
    }
    assert "2500 W short" in alert["message"] and communities["big"] in alert["message"]


def test_the_sample_events_are_handled(cloud: LocalCloud) -> None:
    # The samples name a community no test registers: nothing to shed, nothing fails
    for case in ("consumer_peak", "consumer_limit"):
        assert cloud.invoke(FUNCTION, sample_event(DIR, case)) == {"batchItemFailures": []}
