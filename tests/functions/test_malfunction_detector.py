"""malfunction-detector: readings and refusals judged as they come (consumer), silence judged on
each clock move (clock), each tick's two tallies of a community compared once both are stored;
one alert per fault while it lasts, whatever is delivered twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localcloud import LocalCloud
from smartgrid.energyjudge import JudgedTick
from smartgrid.events import (
    DetailedConsumptionReading,
    ElectricityFrame,
    EnergyOutputCommunity,
    FrameTotals,
    HouseEnergy,
    ProductionReading,
    Topic,
)
from smartgrid.stores.energy import EnergyStore
from smartgrid.stores.frames import ClosedFramesRepository
from tests.conftest import sample_event
from tests.functions.balance_support import carrying, clock_move
from tests.functions.support import TopicProbe, new_house, settle_workflows, table_items
from tests.helpers import register_house, staff

FUNCTION = "MalfunctionDetectorFunction"
CLOCK = "MalfunctionSilenceFunction"
DIR = "malfunction_detector"
Probe = Callable[[str], TopicProbe]


def published(alerts: TopicProbe) -> list[tuple[str, str, str]]:
    """(alertType, status, the message's alertType attribute) of each alert published."""
    return [
        (event["alertType"], event["status"], message["_attributes"]["alertType"])
        for message in alerts.messages()
        for event in message["events"]
    ]


def test_the_sample_readings_raise_one_alert_per_fault_however_often_delivered(
    cloud: LocalCloud, probe: Probe
) -> None:
    alerts = probe("AlertTopic")
    # When the sample readings (a 60 kW minute, a refused negative one, a battery state refused
    # then one accepted) are delivered, then delivered again
    first = cloud.invoke(FUNCTION, sample_event(DIR, "consumer"))
    stored = table_items(cloud, "MalfunctionsTable")
    second = cloud.invoke(FUNCTION, sample_event(DIR, "consumer"))
    # Then each fault opened one alert (the battery's closed by the later accepted state), with
    # its type as the message's attribute (alert.<type> to a subscriber)
    assert first == second == {"batchItemFailures": []}
    assert sorted(published(alerts)) == sorted(
        [
            ("house.consumption.excessive", "open", "house.consumption.excessive"),
            ("house.consumption.negative", "open", "house.consumption.negative"),
            ("house.battery.impossible", "open", "house.battery.impossible"),
            ("house.battery.impossible", "closed", "house.battery.impossible"),
        ]
    )
    # And the second delivery published and wrote nothing
    assert table_items(cloud, "MalfunctionsTable") == stored


def production_at(house_id: str, timestamp: str, mwh: int) -> ProductionReading:
    return ProductionReading(
        producerId="p-roof", kind="house", houseId=house_id, timestamp=timestamp, durationMinutes=60, mwh=mwh
    )


def test_panels_producing_at_night_are_alerted_at_the_houses_place_and_by_day_close_it(
    cloud: LocalCloud, probe: Probe
) -> None:
    alerts = probe("AlertTopic")
    # Given a house in Lyon (the detector knows its place from the client database)
    house = register_house(cloud, "Lyon roof", 45.76, 4.84)
    settle_workflows(cloud)
    # When its panels report 500 W over 02:00-03:00 UTC, then 1,500 W over 11:00-12:00
    for reading in (
        production_at(house.id, "2026-03-01T02:00:00Z", 500_000),
        production_at(house.id, "2026-03-01T11:00:00Z", 1_500_000),
    ):
        assert cloud.invoke(FUNCTION, carrying(DIR, "consumer", Topic.PRODUCTION_RAW_GLOBAL, [reading])) == {
            "batchItemFailures": []
        }
    # Then the night's production opened an alert, the day's closed it
    events = alerts.events()
    assert [(e["alertType"], e["status"]) for e in events] == [
        ("house.production.night", "open"),
        ("house.production.night", "closed"),
    ]
    community = staff(cloud, "GET", f"/houses/{house.id}")["communityId"]
    assert events[0]["communityId"] == community and events[0]["details"] == {
        "meanPowerW": 500.0,
        "toleranceW": 10.0,
    }


def consumption_at(house_id: str, community: str, timestamp: str) -> DetailedConsumptionReading:
    return DetailedConsumptionReading(
        houseId=house_id, communityId=community, timestamp=timestamp, objects={"fridge": 1500}
    )


def of(house_id: str, alerts: TopicProbe) -> list[dict[str, Any]]:
    """The alerts of one house (those of other tests' houses, silent in 2030, left out)."""
    return [e for e in alerts.events() if e["subject"]["id"] == house_id]


def heard_house(cloud: LocalCloud, timestamp: str) -> tuple[Any, str, dict[str, Any]]:
    """A new house, its community, and the event of its one reading (of the tick at
    `timestamp`), judged."""
    house = new_house(cloud)
    community = staff(cloud, "GET", f"/houses/{house.id}")["communityId"]
    reading = carrying(
        DIR, "consumer", Topic.CONSUMPTION_RAW_DETAILED, [consumption_at(house.id, community, timestamp)]
    )
    cloud.invoke(FUNCTION, reading)
    return house, community, reading


def at(minute: int) -> str:
    return f"2030-01-01T00:{minute:02d}:00Z"


def test_a_house_is_silent_on_the_move_n_plus_1_ticks_after_its_last_reading_until_it_reports(
    cloud: LocalCloud, probe: Probe
) -> None:
    alerts = probe("AlertTopic")
    # Given a house whose last reading was of 00:00 (it covered up to 00:01)
    house, community, _ = heard_house(cloud, at(0))
    # When the clock moves a tick at a time
    judged: dict[int, Any] = {}
    for now in range(1, 6):
        judged[now] = cloud.invoke(CLOCK, clock_move(at(now - 1), at(now)))
    # Then it is silent from the move to 00:05 on (its reading of 00:01 was due with the move to 00:02)
    assert [house.id in judged[now]["silent"] for now in range(1, 6)] == [False, False, False, False, True]
    assert judged[5]["cutoff"] == at(2)
    (opened,) = of(house.id, alerts)
    assert (opened["alertType"], opened["status"], opened["since"], opened["subject"]["id"]) == (
        "house.silent",
        "open",
        at(1),
        house.id,
    )
    # When the move is delivered again
    cloud.invoke(CLOCK, clock_move(at(4), at(5)))
    # Then nothing more is published
    assert of(house.id, alerts) == []
    # When the house reports again, and the clock moves on
    cloud.invoke(
        FUNCTION,
        carrying(
            DIR, "consumer", Topic.CONSUMPTION_RAW_DETAILED, [consumption_at(house.id, community, at(5))]
        ),
    )
    cloud.invoke(CLOCK, clock_move(at(5), at(6)))
    # Then the alert closed, and a late copy of an earlier move changes nothing
    (closed,) = of(house.id, alerts)
    assert (closed["alertId"], closed["status"], closed["timestamp"]) == (opened["alertId"], "closed", at(6))
    assert cloud.invoke(CLOCK, clock_move(at(3), at(4)))["cutoff"] is None
    assert of(house.id, alerts) == []


TICK = "2026-03-05T10:00:00Z"
NEXT = "2026-03-05T10:01:00Z"


def tallies(
    community: str, frame_mwh: int, houses_mwh: int, start: str
) -> tuple[ElectricityFrame, EnergyOutputCommunity]:
    frame = ElectricityFrame(
        frameStart=start,
        durationMinutes=1,
        grid=FrameTotals(consumptionMwh=frame_mwh),
        communities={community: FrameTotals(consumptionMwh=frame_mwh)},
    )
    judged = EnergyOutputCommunity(
        communityId=community,
        frameStart=start,
        durationMinutes=1,
        houses={"h-a": HouseEnergy(consumptionMwh=houses_mwh)},
    )
    return frame, judged


def store_judged(cloud: LocalCloud, start: str, judged: EnergyOutputCommunity) -> None:
    store = EnergyStore(cloud.provisioned.tables["EnergyTable"], 1)
    store.judged.put_once(store.judged_key(start), JudgedTick(events=[judged]).model_dump_json())


def test_a_ticks_tallies_are_compared_by_whichever_comes_second_and_a_mismatch_is_alerted(
    cloud: LocalCloud, probe: Probe
) -> None:
    alerts = probe("AlertTopic")
    # Given a tick whose judged houses consumed 1.5 Wh (stored), and a frame that lost them
    frame, judged = tallies("c-tally", 0, 1500, TICK)
    # When the frame comes before the judged tick is stored: nothing to compare yet
    cloud.invoke(FUNCTION, carrying(DIR, "consumer_tallies", Topic.ELECTRICITY_FRAME, [frame]))
    assert alerts.events() == []
    # When the judged tick is stored, and comes
    store_judged(cloud, TICK, judged)
    ClosedFramesRepository(cloud.provisioned.tables["ClosedFramesTable"]).store(frame)
    cloud.invoke(FUNCTION, carrying(DIR, "consumer_tallies", Topic.ENERGY_OUTPUT_COMMUNITY, [judged]))
    # Then the community's readings do not add up
    (opened,) = alerts.events()
    assert (opened["alertType"], opened["subject"], opened["since"]) == (
        "community.readings.mismatch",
        {"kind": "community", "id": "c-tally"},
        TICK,
    )
    assert opened["details"]["frameConsumptionWh"] == 0.0 and opened["details"]["housesConsumptionWh"] == 1.5
    # When the next tick's tallies agree
    frame, judged = tallies("c-tally", 1500, 1500, NEXT)
    store_judged(cloud, NEXT, judged)
    cloud.invoke(FUNCTION, carrying(DIR, "consumer_tallies", Topic.ELECTRICITY_FRAME, [frame]))
    # Then the alert closed
    (closed,) = alerts.events()
    assert (closed["alertId"], closed["status"]) == (opened["alertId"], "closed")


def late(minute: int) -> str:
    """A later year than every other test's: what this test's readings are heard up to is the latest."""
    return f"2099-01-01T00:{minute:02d}:00Z"


def test_a_detector_behind_its_own_queue_judges_silence_only_up_to_what_it_has_heard(
    cloud: LocalCloud, probe: Probe
) -> None:
    alerts = probe("AlertTopic")
    # Given a house heard up to 00:01 (its reading of 00:00)
    house, _, reading = heard_house(cloud, late(0))
    # And readings waiting, unjudged, in the detector's queue (a backlog after a long jump)
    queue = cloud.provisioned.queues["MalfunctionDetectorQueue"]
    with cloud.locked():
        cloud.clients.sqs.send_message(QueueUrl=queue, MessageBody=reading["Records"][0]["body"])
    # When the clock moves well past the house's silence cutoff
    behind = [cloud.invoke(CLOCK, clock_move(late(now - 1), late(now))) for now in range(1, 7)]
    # Then no house is called silent: the cutoff stops at what was heard, and says it is behind
    assert [(judged["cutoff"], judged["behind"]) for judged in behind[-2:]] == [
        (late(1), True),
        (late(1), True),
    ]
    assert of(house.id, alerts) == []
    # When the queue is caught up and the clock moves once more
    with cloud.locked():
        cloud.clients.sqs.purge_queue(QueueUrl=queue)
    caught_up = cloud.invoke(CLOCK, clock_move(late(6), late(7)))
    # Then the full cutoff holds: the house is silent since its reading's end
    assert (caught_up["cutoff"], caught_up["behind"], house.id in caught_up["silent"]) == (
        late(4),
        False,
        True,
    )
    (opened,) = of(house.id, alerts)
    assert (opened["alertType"], opened["since"]) == ("house.silent", late(1))
