"""consumption-api (staff): the grid's and a community's consumption over a period, per day,
from the rollups of the daily consumption store."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from localcloud import LocalCloud
from smartgrid.events import ClientConsumption
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.consumption import DailyConsumptionStore
from tests.functions.support import api_event, call, new_house
from tests.helpers import Registered

FUNCTION = "ConsumptionApiFunction"
DIR = "consumption_api"


@dataclass(frozen=True)
class Community:
    id: str
    house: Registered


@pytest.fixture(scope="module")
def communities(cloud: LocalCloud) -> list[Community]:
    """Two houses, each in a community of its own, whose totals the daily store holds
    (written through its repository)."""
    houses = [new_house(cloud), new_house(cloud)]
    clients = ClientsRepository(cloud.provisioned.tables["ClientsTable"])
    found = [Community(str(clients.require(h.id).communityId), h) for h in houses]
    readings = [
        ClientConsumption(houseId=houses[0].id, communityId=found[0].id, timestamp=t, mwh=mwh)
        for t, mwh in (
            ("2026-03-01T08:00:00Z", 18166),
            ("2026-03-01T08:01:00Z", 1500),
            ("2026-03-03T20:00:00Z", 250),
        )
    ] + [
        ClientConsumption(
            houseId=houses[1].id, communityId=found[1].id, timestamp="2026-03-03T07:00:00Z", mwh=21667
        )
    ]
    DailyConsumptionStore(cloud.provisioned.tables["DailyConsumptionTable"]).write(readings)
    return found


def test_staff_read_a_communitys_consumption_per_day(cloud: LocalCloud, communities: list[Community]) -> None:
    # When staff read the first community's consumption of 2026-03-01 to 2026-03-03
    event = api_event(DIR, "get_community_consumption", path={"communityId": communities[0].id})
    answer = call(cloud, FUNCTION, event)
    # Then they get every day of the period, empty days included, and the total
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "communityId": communities[0].id,
        "from": "2026-03-01",
        "to": "2026-03-03",
        "wh": 19.916,
        "days": [
            {"date": "2026-03-01", "wh": 19.666},
            {"date": "2026-03-02", "wh": 0.0},
            {"date": "2026-03-03", "wh": 0.25},
        ],
    }


def test_staff_read_the_grids_consumption_per_day(cloud: LocalCloud, communities: list[Community]) -> None:
    # When staff read the grid's consumption of the same period
    answer = call(cloud, FUNCTION, api_event(DIR, "get_grid_consumption"))
    # Then every house of every community counts, once
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "from": "2026-03-01",
        "to": "2026-03-03",
        "wh": 41.583,
        "days": [
            {"date": "2026-03-01", "wh": 19.666},
            {"date": "2026-03-02", "wh": 0.0},
            {"date": "2026-03-03", "wh": 21.917},
        ],
    }


def test_an_unknown_community_is_not_found(cloud: LocalCloud) -> None:
    # When staff read the sample's community, never opened here
    answer = call(cloud, FUNCTION, api_event(DIR, "get_community_consumption"))
    # Then 404 naming the community
    assert answer.status == 404
    assert answer.error_fields() == ["communityId"]


@pytest.mark.parametrize(
    ("case", "query", "field"),
    [
        ("get_community_consumption_no_period", None, "from"),
        ("get_community_consumption", {"from": "2026-03-01"}, "to"),
        ("get_grid_consumption", {"from": "2026-03-03", "to": "2026-03-01"}, "to"),
        ("get_grid_consumption", {"from": "2025-01-01", "to": "2026-03-01"}, "to"),
        ("get_grid_consumption", {"from": "yesterday", "to": "2026-03-01"}, "query.from"),
    ],
    ids=["no-period", "no-to", "to-before-from", "over-a-year", "bad-from"],
)
def test_a_bad_period_is_a_422_naming_the_field(
    cloud: LocalCloud, communities: list[Community], case: str, query: dict[str, str] | None, field: str
) -> None:
    adapted = {} if query is None else {"query": query}
    path = {"communityId": communities[0].id} if "community" in case else None
    # When staff ask with a bad period
    answer = call(cloud, FUNCTION, api_event(DIR, case, path=path, **adapted))
    # Then it is a 422 JSON error naming the parameter
    assert answer.status == 422, answer.body
    assert field in answer.error_fields(), answer.body


def test_houses_and_anonymous_callers_are_refused(cloud: LocalCloud, communities: list[Community]) -> None:
    # When a house of the community reads its community's or the grid's consumption, or anyone without a token
    house = communities[0].house
    as_house = [
        call(
            cloud,
            FUNCTION,
            api_event(
                DIR, "get_community_consumption", path={"communityId": communities[0].id}, token=house.token
            ),
        ),
        call(cloud, FUNCTION, api_event(DIR, "get_grid_consumption", token=house.token)),
    ]
    anonymous = call(cloud, FUNCTION, api_event(DIR, "get_grid_consumption_no_token"))
    # Then 403 for the house (staff only), 401 without a token
    assert [a.status for a in as_house] == [403, 403]
    assert (anonymous.status, anonymous.json()["error"]) == (401, "unauthorized")
