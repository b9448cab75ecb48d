"""Real energy through the local runtime: two houses of one community post their readings tick
by tick through the API (one of them with a solar roof and a battery, whose states are put on
the bus as a battery would), the clock goes on; k ticks later each tick is published on
energy.output.community, and the stored day equals a hand computation from the readings, to
the mWh; a reading posted after its tick was judged lands in the day, not in the published tick.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from localcloud import LocalCloud
from smartgrid import bus
from smartgrid.events import BatteryState, Topic
from smartgrid.gridtime import iso, parse_instant
from tests.conftest import STAFF_TOKEN
from tests.functions.support import TopicProbe
from tests.helpers import Registered, register_house

DELAY = 5  # FrameDelayTicks, the template's default
WH = 1000  # mWh


@pytest.fixture
def energy_events(cloud: LocalCloud) -> Iterator[TopicProbe]:
    probe = TopicProbe(cloud, "EnergyOutputCommunityTopic")
    yield probe
    probe.close()


def later(instant: str, minutes: int) -> str:
    return iso(parse_instant(instant) + timedelta(minutes=minutes))


def consume(cloud: LocalCloud, house: Registered, at: str, mwh: int) -> None:
    body = {"timestamp": at, "objects": {"base": mwh / WH}}
    answer = cloud.request("POST", f"/houses/{house.id}/consumption", token=house.token, json_body=body)
    assert answer.status == 202, answer.body


def produce(cloud: LocalCloud, producer_id: str, house: Registered, at: str, mwh: int) -> None:
    body = {"timestamp": at, "wh": mwh / WH}
    answer = cloud.request("POST", f"/producers/{producer_id}/production", token=house.token, json_body=body)
    assert answer.status == 202, answer.body


def battery_state(cloud: LocalCloud, house: Registered, at: str, stored_mwh: int) -> None:
    """What the battery service publishes for a state (its API is another part of issue 4)."""
    state = BatteryState(batteryId="b-roof", houseId=house.id, timestamp=at, storedMwh=stored_mwh)
    (body,) = bus.pack(Topic.BATTERY_STATE, [state])
    with cloud.locked():
        cloud.clients.sns.publish(
            TopicArn=cloud.provisioned.topics["BatteryStateTopic"],
            Message=body,
            MessageAttributes={"topic": {"DataType": "String", "StringValue": Topic.BATTERY_STATE.value}},
        )


def energy(
    consumed: int, produced: int, charge: int, discharge: int, bought: int, sold: int
) -> dict[str, int]:
    return {
        "consumptionMwh": consumed,
        "productionMwh": produced,
        "batteryChargeMwh": charge,
        "batteryDischargeMwh": discharge,
        "boughtMwh": bought,
        "soldMwh": sold,
    }


def test_judged_ticks_and_the_day_equal_the_readings_and_a_late_reading_lands_in_the_day(
    cloud: LocalCloud, energy_events: TopicProbe
) -> None:
    # Given two neighbours of one community, the first with a solar roof and a battery
    sunny, plain = register_house(cloud, "sunny", 33.0, 7.0), register_house(cloud, "plain", 33.001, 7.0)
    cloud.drain()
    community = cloud.request("GET", f"/houses/{sunny.id}", token=sunny.token).json()["communityId"]
    assert cloud.request("GET", f"/houses/{plain.id}", token=plain.token).json()["communityId"] == community
    roof = cloud.request("POST", f"/houses/{sunny.id}/producer", token=sunny.token)
    assert roof.status == 201, roof.body
    roof_id = str(roof.json()["producerId"])
    start = str(cloud.request("GET", "/clock").json()["now"])
    # Per tick: sunny's consumption, production and battery state at the tick's end; plain's consumption
    ticks = [
        (2000, 5000, 12_000, 3000),  # 3,000 surplus: 2,000 stored, 1,000 sold
        (4000, 1000, 10_500, 1500),  # 3,000 short: 1,500 drawn, 1,500 bought
        (1000, 1000, 10_500, 2500),  # even: nothing stored, nothing exchanged
        (500, 3000, 13_000, None),  # 2,500 surplus all stored; plain posts nothing (yet)
    ]
    battery_state(cloud, sunny, start, 10_000)
    # When they report tick by tick, and the clock goes on until every tick was judged
    for n, (consumed, produced, stored, neighbour) in enumerate(ticks):
        at = later(start, n)
        consume(cloud, sunny, at, consumed)
        produce(cloud, roof_id, sunny, at, produced)
        battery_state(cloud, sunny, later(at, 1), stored)
        if neighbour is not None:
            consume(cloud, plain, at, neighbour)
        cloud.tick()
    cloud.tick(DELAY)
    # Then each tick was published once for the community, each house's balance computed by hand
    expected_sunny = [
        energy(2000, 5000, 2000, 0, 0, 1000),
        energy(4000, 1000, 0, 1500, 1500, 0),
        energy(1000, 1000, 0, 0, 0, 0),
        energy(500, 3000, 2500, 0, 0, 0),
    ]
    expected_plain = [energy(m, 0, 0, 0, m, 0) for m in (3000, 1500, 2500)]
    mine = [e for e in energy_events.events() if e["communityId"] == community]
    published = {e["frameStart"]: e for e in mine}
    assert sorted(published) == [later(start, n) for n in range(len(ticks))] and len(mine) == len(ticks)
    for n in range(len(ticks)):
        houses = published[later(start, n)]["houses"]
        assert houses[sunny.id] == expected_sunny[n]
        assert houses.get(plain.id) == (expected_plain[n] if n < 3 else None)
    # When plain's reading of the last tick arrives after that tick was judged
    consume(cloud, plain, later(start, 3), 700)
    cloud.drain()
    # Then the stored days count it; the published tick stays as it was
    day = start[:10]
    house = cloud.request("GET", f"/houses/{plain.id}/energy?date={day}", token=plain.token)
    assert house.status == 200, house.body
    assert house.json()["consumedWh"] == 7.7 and house.json()["boughtWh"] == 7.7
    assert plain.id not in published[later(start, 3)]["houses"]
    # And sunny's day is the sum of its ticks, bought and sold tick by tick
    own = cloud.request("GET", f"/houses/{sunny.id}/energy?date={day}", token=sunny.token).json()
    assert own["consumedWh"] == 7.5 and own["producedWh"] == 10.0 and own["netWh"] == 2.5
    assert own["batteryChargeWh"] == 4.5 and own["batteryDischargeWh"] == 1.5
    assert own["boughtWh"] == 1.5 and own["soldWh"] == 1.0
    # And the community's day is both houses' (staff)
    whole = cloud.request("GET", f"/communities/{community}/energy?date={day}", token=STAFF_TOKEN).json()
    assert whole["consumedWh"] == 15.2 and whole["boughtWh"] == 9.2 and whole["soldWh"] == 1.0
    assert all(depth == 0 for depth in cloud.dead_letters().values())
