"""daily-real-energy-output: a house's energy (the house itself or staff), a community's (staff)
and the surplus houses sold (staff, utility producers), per day over a period; bad periods are
422s naming the field."""

from __future__ import annotations

from typing import Any

from localcloud import LocalCloud
from smartgrid.events import ClientConsumption, ProductionReading, Topic
from tests.conftest import STAFF_TOKEN
from tests.functions.balance_support import carrying
from tests.functions.support import api_event, call, new_house
from tests.helpers import Registered, register_producer

API = "DailyRealEnergyOutputFunction"
CONSUMER = "RealEnergyOutputFunction"
DIR = "daily_real_energy_output"


def community_of(cloud: LocalCloud, house: Registered) -> str:
    answer = cloud.request("GET", f"/houses/{house.id}", token=house.token)
    return str(answer.json()["communityId"])


def report(cloud: LocalCloud, topic: Topic, events: list[Any]) -> None:
    event = carrying("real_energy_output", "consumer", topic, events)
    assert cloud.invoke(CONSUMER, event) == {"batchItemFailures": []}


def house_with_a_sunny_day(cloud: LocalCloud, day: str) -> tuple[Registered, str]:
    """A house that sells 3 Wh at noon and buys 2 Wh at night on `day`."""
    house = new_house(cloud)
    community = community_of(cloud, house)
    report(
        cloud,
        Topic.CONSUMPTION_CLIENT,
        [
            ClientConsumption(houseId=house.id, timestamp=f"{day}T12:00:00Z", mwh=1000),
            ClientConsumption(houseId=house.id, timestamp=f"{day}T23:00:00Z", mwh=2000),
        ],
    )
    report(
        cloud,
        Topic.PRODUCTION_RAW_GLOBAL,
        [
            ProductionReading(
                producerId="p-sun", kind="house", houseId=house.id, timestamp=f"{day}T12:00:00Z", mwh=4000
            )
        ],
    )
    return house, community


DAY_TOTALS = {
    "consumedWh": 3.0,
    "producedWh": 4.0,
    "batteryChargeWh": 0.0,
    "batteryDischargeWh": 0.0,
    "boughtWh": 2.0,
    "soldWh": 3.0,
    "netWh": 1.0,
}


def test_a_house_reads_its_day_bought_and_sold_tick_by_tick(cloud: LocalCloud) -> None:
    # Given a house that sold at noon and bought at night
    house, _ = house_with_a_sunny_day(cloud, "2026-05-01")
    # When it reads its day
    event = api_event(
        DIR,
        "get_house_energy_date",
        path={"houseId": house.id},
        token=house.token,
        query={"date": "2026-05-01"},
    )
    answer = call(cloud, API, event)
    # Then the day both bought and sold, and the net is production - consumption
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["houseId"] == house.id and body["from"] == body["to"] == "2026-05-01"
    assert {k: body[k] for k in DAY_TOTALS} == DAY_TOTALS
    assert body["days"] == [{"date": "2026-05-01", **DAY_TOTALS}]


def test_a_period_sums_its_days(cloud: LocalCloud) -> None:
    house, _ = house_with_a_sunny_day(cloud, "2026-05-02")
    query = {"from": "2026-05-01", "to": "2026-05-03"}
    answer = call(
        cloud, API, api_event(DIR, "get_house_energy_period", path={"houseId": house.id}, query=query)
    )
    assert answer.status == 200, answer.body
    body = answer.json()
    assert [d["date"] for d in body["days"]] == ["2026-05-01", "2026-05-02", "2026-05-03"]
    assert body["soldWh"] == 3.0 and body["days"][0]["soldWh"] == 0.0


def test_another_house_may_not_read_a_houses_energy(cloud: LocalCloud) -> None:
    house, other = new_house(cloud), new_house(cloud)
    event = api_event(DIR, "get_house_energy_date", path={"houseId": house.id}, token=other.token)
    assert call(cloud, API, event).status == 403
    assert (
        call(
            cloud, API, api_event(DIR, "get_house_energy_date", path={"houseId": house.id}, token=None)
        ).status
        == 401
    )


def test_a_period_that_ends_before_it_starts_is_refused_naming_to(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    event = api_event(DIR, "get_house_energy_to_before_from", path={"houseId": house.id})
    answer = call(cloud, API, event)
    assert answer.status == 422 and answer.error_fields() == ["to"]


def test_date_and_a_period_together_are_refused_naming_date(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    query = {"date": "2026-05-01", "from": "2026-05-01", "to": "2026-05-02"}
    answer = call(
        cloud, API, api_event(DIR, "get_house_energy_date", path={"houseId": house.id}, query=query)
    )
    assert answer.status == 422 and answer.error_fields() == ["date"]


def test_an_unknown_house_or_community_is_a_404(cloud: LocalCloud) -> None:
    house = call(cloud, API, api_event(DIR, "get_house_energy_date", path={"houseId": "h-nobody000000"}))
    assert house.status == 404 and house.error_fields() == ["houseId"]
    community = call(
        cloud, API, api_event(DIR, "get_community_energy", path={"communityId": "c-nowhere00000"})
    )
    assert community.status == 404 and community.error_fields() == ["communityId"]


def test_staff_read_a_communitys_day(cloud: LocalCloud) -> None:
    # Given a house of its own community with a sunny day
    house, community = house_with_a_sunny_day(cloud, "2026-05-04")
    # When staff read the community's day; the house itself may not
    event = api_event(
        DIR, "get_community_energy", path={"communityId": community}, query={"date": "2026-05-04"}
    )
    answer = call(cloud, API, event)
    as_house = api_event(DIR, "get_community_energy", path={"communityId": community}, token=house.token)
    refused = call(cloud, API, as_house)
    # Then the community's day is its house's
    assert answer.status == 200, answer.body
    assert answer.json()["communityId"] == community
    assert {k: answer.json()[k] for k in DAY_TOTALS} == DAY_TOTALS
    assert refused.status == 403


def test_staff_and_utility_producers_read_the_surplus_houses_sold(cloud: LocalCloud) -> None:
    # Given a house that sold 3 Wh, and a utility producer
    house, community = house_with_a_sunny_day(cloud, "2026-05-05")
    producer = register_producer(cloud, "Nikola", 1000)
    query = {"from": "2026-05-05", "to": "2026-05-05"}
    # When staff and the producer read the surplus of the day; the house may not
    by_staff = call(cloud, API, api_event(DIR, "get_grid_surplus", token=STAFF_TOKEN, query=query))
    by_producer = call(cloud, API, api_event(DIR, "get_grid_surplus", token=producer.token, query=query))
    by_house = call(cloud, API, api_event(DIR, "get_grid_surplus", token=house.token, query=query))
    # Then both see what houses sold, in all, per day and per community
    assert by_staff.status == by_producer.status == 200, by_staff.body
    body = by_staff.json()
    assert body == by_producer.json()
    assert body["soldWh"] >= 3.0 and body["days"][0]["date"] == "2026-05-05"
    (mine,) = [c for c in body["communities"] if c["communityId"] == community]
    assert mine == {"communityId": community, "soldWh": 3.0, "days": [{"date": "2026-05-05", "soldWh": 3.0}]}
    assert by_house.status == 403


def test_the_surplus_needs_a_whole_period(cloud: LocalCloud) -> None:
    answer = call(cloud, API, api_event(DIR, "get_grid_surplus", query={"from": "2026-05-05"}))
    assert answer.status == 422 and answer.error_fields() == ["to"]
