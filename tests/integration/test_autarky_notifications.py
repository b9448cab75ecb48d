"""Autarky through the local runtime: a community's ticks of energy arrive on
energy.output.community as real-energy-output publishes them (each tick's, once the clock is
FRAME_DELAY ticks past it); a house with panels and a battery, and its community, gain and
then lose autarky, with exactly one notification each time: stored, delivered on the
client's own topic, and readable through the routes.

The grid judges over a window of WINDOW ticks (AutarkyWindowMinutes), to keep the story short.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud import LocalCloud
from smartgrid import bus
from smartgrid.events import EnergyOutputCommunity, HouseEnergy, Topic
from tests.conftest import CLOCK_START, STAFF_TOKEN, start_cloud
from tests.functions.autarky_support import at, balanced, client_topic_probe, tick_of
from tests.helpers import register_house

WINDOW = 10
FRAME_DELAY = 6  # the frame of minute m is published once the clock reaches m + 6 (closed at t-5)
DEFICIT, SURPLUS, EVENING = range(0, 10), range(10, 25), range(25, 40)


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud(LogLevel="ERROR", AutarkyWindowMinutes=str(WINDOW))
    yield cloud
    cloud.stop()


def energies(minute: int) -> tuple[HouseEnergy, HouseEnergy]:
    """The sunny house (panels, battery) and its neighbour (none), at a minute (mWh)."""
    if minute in DEFICIT:  # night: both buy
        return balanced(consumption=1000), balanced(consumption=500)
    if minute in SURPLUS:  # sun: 4 Wh produced, 1 Wh used, 1 Wh stored, 2 Wh sold
        return balanced(consumption=1000, production=4000, charge=1000), balanced(consumption=500)
    return balanced(consumption=1000, discharge=500), balanced(consumption=500)  # evening: the battery helps


def publish(cloud: LocalCloud, event: EnergyOutputCommunity) -> None:
    (body,) = bus.pack(Topic.ENERGY_OUTPUT_COMMUNITY, [event])
    with cloud.locked():
        cloud.clients.sns.publish(
            TopicArn=cloud.provisioned.topics["EnergyOutputCommunityTopic"],
            Message=body,
            MessageAttributes={
                "topic": {"DataType": "String", "StringValue": Topic.ENERGY_OUTPUT_COMMUNITY.value}
            },
        )


def test_a_house_and_its_community_gain_and_lose_autarky_with_one_notification_each_time(
    grid: LocalCloud,
) -> None:
    # Given two neighbours in one community, the first with panels and a battery
    sunny, neighbour = (register_house(grid, f"house {n}", 43.30, 5.37) for n in range(2))
    grid.drain()
    community = grid.request("GET", f"/houses/{sunny.id}", token=sunny.token).json()["communityId"]
    assert (
        grid.request("GET", f"/houses/{neighbour.id}", token=neighbour.token).json()["communityId"]
        == community
    )
    # And subscriptions to their notification topics, as e-mail would subscribe
    topics = {
        "house": client_topic_probe(grid, "house", sunny.id),
        "neighbour": client_topic_probe(grid, "house", neighbour.id),
        "community": client_topic_probe(grid, "community", community),
    }
    # When the clock ticks through a night, a sunny quarter of an hour and an evening, each
    # minute's energy published once its frame closes
    last = EVENING[-1]
    for now in range(1, last + FRAME_DELAY + 2):
        grid.tick()
        minute = now - FRAME_DELAY
        if 0 <= minute <= last:
            house, other = energies(minute)
            publish(grid, tick_of(community, at(CLOCK_START, minute), {sunny.id: house, neighbour.id: other}))
            grid.drain()
    # Then the house gained autarky once: its 10-minute window to 00:14 holds 12 Wh of its own
    # (4 sunny minutes of 3 Wh) for 10 Wh used; and lost it once, when the window to 00:34 held
    # 7.5 Wh (1 sunny minute, 9 evening minutes of 0.5 Wh) for 10 Wh: under 97 % (the window to
    # 00:33, 10 Wh for 10 Wh, still held it)
    delivered = {
        name: [m["subject"] + " @" + m["timestamp"] for m in probe.messages()]
        for name, probe in topics.items()
    }
    assert delivered["house"] == [
        f"Your house is now autarkic @{at(CLOCK_START, 14)}",
        f"Your house is no longer autarkic @{at(CLOCK_START, 34)}",
    ]
    # And the community, whose neighbour uses 0.5 Wh a minute more, later and shorter: its window
    # to 00:15 holds 15 Wh for 15 Wh, to 00:32 holds 12.5 Wh for 15 Wh (83 %)
    assert delivered["community"] == [
        f"Community {community} is now autarkic @{at(CLOCK_START, 15)}",
        f"Community {community} is no longer autarkic @{at(CLOCK_START, 32)}",
    ]
    assert delivered["neighbour"] == []
    # And the house reads both, newest first, each delivered
    mine = grid.request("GET", f"/houses/{sunny.id}/notifications", token=sunny.token).json()
    assert [(n["subject"], n["timestamp"], n["delivered"]) for n in mine["notifications"]] == [
        ("Your house is no longer autarkic", at(CLOCK_START, 34), True),
        ("Your house is now autarkic", at(CLOCK_START, 14), True),
    ]
    staff = grid.request("GET", f"/communities/{community}/notifications", token=STAFF_TOKEN).json()
    assert len(staff["notifications"]) == 2
    # And its autarky now: lost at 00:34, over the 10 minutes to the last judged tick's end
    now = grid.request("GET", f"/houses/{sunny.id}/autarky", token=sunny.token).json()
    assert now == {
        "kind": "house",
        "id": sunny.id,
        "autarkic": False,
        "since": at(CLOCK_START, 34),
        "productionWh": 5.0,
        "consumptionWh": 10.0,
        "coveragePercent": 50.0,
        "window": {"minutes": WINDOW, "from": at(CLOCK_START, 30), "to": at(CLOCK_START, 40)},
    }
    # And nothing failed on the way
    assert all(depth == 0 for depth in grid.dead_letters().values())
    for probe in topics.values():
        probe.close()
