"""real-energy-output: house readings and battery states stored once, the house's day kept
hour by hour (bought and sold tick by tick), communities' and the grid's days exact whatever
SQS or a second copy does; ticks judged k ticks late and published once per community; a
reading that arrives after its tick was judged still counts in the day."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid import aws
from smartgrid.events import BatteryState, ClientConsumption, HouseEnergy, ProductionReading, Topic
from smartgrid.stores.energy import EnergyStore
from tests.conftest import sample_event
from tests.functions.balance_support import carrying, clock_move
from tests.functions.support import TopicProbe, table_items

CONSUMER = "RealEnergyOutputFunction"
JUDGE = "RealEnergyOutputJudgeFunction"
DIR = "real_energy_output"
H, H2, C = "h-0123456789ab", "h-0123456789ac", "c-0123456789ab"
Probe = Callable[[str], TopicProbe]


def store(cloud: LocalCloud) -> EnergyStore:
    return EnergyStore(cloud.provisioned.tables["EnergyTable"], 1)


def deliver(cloud: LocalCloud, event: dict[str, Any]) -> None:
    assert cloud.invoke(CONSUMER, event) == {"batchItemFailures": []}


def add(cloud: LocalCloud, topic: Topic, events: list[Any]) -> None:
    deliver(cloud, carrying(DIR, "consumer", topic, events))


def samples(cloud: LocalCloud, day: str = "2026-03-05") -> None:
    """The sample readings of 12:00 (consumption, production, battery states), on `day`."""
    for case in ("consumer", "consumer_production", "consumer_battery"):
        event = sample_event(DIR, case)
        for record in event["Records"]:
            record["body"] = record["body"].replace("2026-03-05", day)
        deliver(cloud, event)


def judge_noon(cloud: LocalCloud, day: str) -> Any:
    """The clock's move from 12:04 to 12:05 of `day`: judges its tick of 12:00."""
    return cloud.invoke(JUDGE, clock_move(f"{day}T12:04:00Z", f"{day}T12:05:00Z"))


# The tick of 12:00: H consumed 5,000, produced 9,000, stored 3,000 (100,000 -> 103,000): sold 1,000.
H_AT_NOON = HouseEnergy(consumptionMwh=5000, productionMwh=9000, batteryChargeMwh=3000, soldMwh=1000)
H2_AT_NOON = HouseEnergy(consumptionMwh=2000, boughtMwh=2000)


def test_a_houses_tick_balances_its_readings_and_battery(cloud: LocalCloud) -> None:
    # Given consumption, a house's and a utility producer's production, two battery states
    # When the function receives them
    samples(cloud)
    # Then each house's day holds its tick: what it stored, sold, bought
    days = store(cloud)
    assert days.house_days(H, ["2026-03-05"]) == {"2026-03-05": H_AT_NOON}
    assert days.house_days(H2, ["2026-03-05"])["2026-03-05"] == H2_AT_NOON
    # And the community's and the grid's day are their sums (the utility producer is no house)
    both = HouseEnergy(
        consumptionMwh=7000, productionMwh=9000, batteryChargeMwh=3000, boughtMwh=2000, soldMwh=1000
    )
    assert days.community_days(C, ["2026-03-05"])["2026-03-05"] == both
    assert days.grid_days(["2026-03-05"])["2026-03-05"] == both


def test_every_message_twice_changes_no_total(cloud: LocalCloud) -> None:
    # Given the readings received once
    samples(cloud, "2026-04-01")
    before = table_items(cloud, "EnergyTable")
    # When every message is delivered again
    samples(cloud, "2026-04-01")
    # Then nothing changed
    assert table_items(cloud, "EnergyTable") == before


def test_a_day_long_reading_is_one_slot_and_is_balanced_tick_by_tick(cloud: LocalCloud) -> None:
    # Given a head-end's day of consumption (5,000 mWh a minute) and, at noon, a tick of production
    day = "2026-03-06"
    deliver(cloud, sample_event(DIR, "consumer_day_long"))
    add(
        cloud,
        Topic.PRODUCTION_RAW_GLOBAL,
        [
            ProductionReading(
                producerId="p-1",
                kind="house",
                houseId=H,
                communityId=C,
                timestamp=f"{day}T12:00:00Z",
                mwh=12_000,
            )
        ],
    )
    # Then the day-long reading is one slot of the house's day, not a write per tick or hour
    items = [i for i in table_items(cloud, "EnergyTable") if i["pk"]["S"] == H and day in i["sk"]["S"]]
    assert sorted(i["sk"]["S"] for i in items) == [f"DAY#{day}", f"HOUR#{day}T12"]
    # And the day sold the noon tick's surplus and bought every other minute's consumption
    assert store(cloud).house_days(H, [day])[day] == HouseEnergy(
        consumptionMwh=7_200_000, productionMwh=12_000, boughtMwh=7_200_000 - 5000, soldMwh=7000
    )


def test_two_copies_on_one_batch_count_it_once(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a batch of 150 houses' readings in three communities
    readings = [
        ClientConsumption(
            houseId=f"h-copy{n:03d}",
            communityId=f"c-copy{n % 3}",
            timestamp="2026-03-05T10:20:00Z",
            mwh=1000 + n,
        )
        for n in range(150)
    ]
    event = carrying(DIR, "consumer", Topic.CONSUMPTION_CLIENT, readings)
    dynamodb = aws.client("dynamodb")
    real = dynamodb.transact_write_items
    commits = {"n": 0}

    def second_copy_first(**kwargs: Any) -> Any:
        # The second copy runs the whole batch just as the first writes its first transaction
        commits["n"] += 1
        if commits["n"] == 1:
            assert cloud.invoke(CONSUMER, event) == {"batchItemFailures": []}
        return real(**kwargs)

    monkeypatch.setattr(dynamodb, "transact_write_items", second_copy_first)
    # When the first copy handles the batch
    deliver(cloud, event)
    # Then each community's day counts each reading once
    for k in range(3):
        day = store(cloud).community_days(f"c-copy{k}", ["2026-03-05"])["2026-03-05"]
        expected = sum(1000 + n for n in range(150) if n % 3 == k)
        assert day.consumptionMwh == expected and day.boughtMwh == expected


def test_a_judged_tick_is_published_once_per_community(cloud: LocalCloud, probe: Probe) -> None:
    # Given the readings of 12:00
    samples(cloud, "2026-04-02")
    published = probe("EnergyOutputCommunityTopic")
    # When the clock moves from 12:04 to 12:05 (k = 5), and the same move comes again
    first, again = judge_noon(cloud, "2026-04-02"), judge_noon(cloud, "2026-04-02")
    # Then the tick of 12:00 was judged, and published once, with each house's energy
    assert first == {"judged": ["2026-04-02T12:00:00Z"], "published": ["2026-04-02T12:00:00Z"]}
    assert again == {"judged": ["2026-04-02T12:00:00Z"], "published": []}
    (event,) = published.events()
    assert event["communityId"] == C and event["frameStart"] == "2026-04-02T12:00:00Z"
    assert event["durationMinutes"] == 1
    assert {h: HouseEnergy(**e) for h, e in event["houses"].items()} == {H: H_AT_NOON, H2: H2_AT_NOON}


def test_a_reading_after_its_tick_was_judged_counts_in_the_day_not_in_the_tick(
    cloud: LocalCloud, probe: Probe
) -> None:
    # Given the tick of 12:00 judged and published
    day = "2026-04-03"
    samples(cloud, day)
    published = probe("EnergyOutputCommunityTopic")
    judge_noon(cloud, day)
    # When H2's own production of that tick arrives late, and the move is judged again
    late = ProductionReading(
        producerId="p-late", kind="house", houseId=H2, communityId=C, timestamp=f"{day}T12:00:00Z", mwh=2500
    )
    add(cloud, Topic.PRODUCTION_RAW_GLOBAL, [late])
    judge_noon(cloud, day)
    # Then the day of H2 sells the surplus it now has
    assert store(cloud).house_days(H2, [day])[day] == HouseEnergy(
        consumptionMwh=2000, productionMwh=2500, soldMwh=500
    )
    # And the community's day moved with it: no longer bought 2,000, sold 500 more
    community = store(cloud).community_days(C, [day])[day]
    assert community.boughtMwh == 0 and community.soldMwh == 1500
    # And the tick stays as it was published, once
    (event,) = published.events()
    assert HouseEnergy(**event["houses"][H2]) == H2_AT_NOON


def test_a_house_with_no_reading_in_a_tick_is_not_in_its_judgement(cloud: LocalCloud, probe: Probe) -> None:
    # Given readings at 12:00 only, and a battery state for another house at 12:03
    day = "2026-04-04"
    samples(cloud, day)
    add(
        cloud,
        Topic.BATTERY_STATE,
        [BatteryState(batteryId="b-x", houseId="h-battery", timestamp=f"{day}T12:03:00Z", storedMwh=5)],
    )
    published = probe("EnergyOutputCommunityTopic")
    # When the ticks of 12:01 to 12:03 are judged
    result = cloud.invoke(JUDGE, clock_move(f"{day}T12:05:00Z", f"{day}T12:08:00Z"))
    # Then they are judged, and nothing is published: no house had a reading in them
    # (a lone state frames no tick)
    assert result["judged"] == [f"{day}T12:01:00Z", f"{day}T12:02:00Z", f"{day}T12:03:00Z"]
    assert result["published"] == [] and published.events() == []


def test_an_hours_active_houses_are_spread_over_small_items_and_all_judged(cloud: LocalCloud) -> None:
    # Given 300 houses of one community that consumed in the tick of 14:00
    houses = [f"h-spread{n:04d}" for n in range(300)]
    add(
        cloud,
        Topic.CONSUMPTION_CLIENT,
        [
            ClientConsumption(houseId=h, communityId=C, timestamp="2026-03-21T14:00:00Z", mwh=1000)
            for h in houses
        ],
    )
    # Then no item of the hour's active houses holds more than a small share of them
    active = [item for item in table_items(cloud, "EnergyTable") if item["pk"]["S"] == "ACTIVE#2026-03-21T14"]
    sizes = [sum(name.startswith("h:") for name in item) for item in active]
    assert sum(sizes) == 300 and max(sizes) <= 20
    # And the tick's judgment finds every one of them
    energies = store(cloud).tick_energies(["2026-03-21T14:00:00Z"])["2026-03-21T14:00:00Z"]
    assert sorted(energies[C]) == houses
