"""production-api: a producer's production for a date (tick by tick, from the global store)
or a period (per day, from the daily store), and the grid's production over a period, house
producers and utility producers apart."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from localcloud import LocalCloud
from smartgrid.events import ProductionReading
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.production import DailyProductionStore, GlobalProductionStore
from tests.functions.support import api_event, call, new_house
from tests.helpers import Registered, register_producer

FUNCTION = "ProductionApiFunction"
DIR = "production_api"


@dataclass(frozen=True)
class Producers:
    utility: Registered
    house: Registered  # the house that owns the house producer
    house_producer: str


@pytest.fixture(scope="module")
def producers(cloud: LocalCloud) -> Producers:
    """A utility producer and a house producer whose readings the stores hold (written
    through their repositories)."""
    utility = register_producer(cloud)
    house = new_house(cloud)
    made = cloud.request("POST", f"/houses/{house.id}/producer", token=house.token)
    assert made.status == 201, made.body
    house_producer = made.json()["producerId"]
    community = ClientsRepository(cloud.provisioned.tables["ClientsTable"]).require(house.id).communityId
    readings = [
        ProductionReading(
            producerId=utility.id, kind="utility", timestamp="2026-03-02T10:00:00Z", mwh=166667
        ),
        ProductionReading(
            producerId=utility.id, kind="utility", timestamp="2026-03-02T10:01:00Z", mwh=150000
        ),
        ProductionReading(
            producerId=utility.id,
            kind="utility",
            timestamp="2026-03-03T00:00:00Z",
            durationMinutes=60,
            mwh=5_000_000,
        ),
        ProductionReading(
            producerId=house_producer,
            kind="house",
            houseId=house.id,
            communityId=community,
            timestamp="2026-03-02T12:00:00Z",
            mwh=1250,
        ),
    ]
    GlobalProductionStore(cloud.provisioned.tables["GlobalProductionTable"]).write(readings)
    DailyProductionStore(cloud.provisioned.tables["DailyProductionTable"]).write(readings)
    return Producers(utility, house, house_producer)


def test_a_producer_reads_its_day_tick_by_tick(cloud: LocalCloud, producers: Producers) -> None:
    # When the utility producer reads its production of 2026-03-02 with its own token
    event = api_event(
        DIR, "get_production_date", path={"producerId": producers.utility.id}, token=producers.utility.token
    )
    answer = call(cloud, FUNCTION, event)
    # Then it gets each tick's production, in order, and their sum in Wh
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "producerId": producers.utility.id,
        "date": "2026-03-02",
        "wh": 316.667,
        "readings": [
            {"timestamp": "2026-03-02T10:00:00Z", "wh": 166.667},
            {"timestamp": "2026-03-02T10:01:00Z", "wh": 150.0},
        ],
    }


def test_a_producer_reads_a_period_per_day(cloud: LocalCloud, producers: Producers) -> None:
    # When it reads 2026-03-01 to 2026-03-03
    event = api_event(
        DIR, "get_production_period", path={"producerId": producers.utility.id}, token=producers.utility.token
    )
    answer = call(cloud, FUNCTION, event)
    # Then it gets every day of the period, empty days included, and the total
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "producerId": producers.utility.id,
        "from": "2026-03-01",
        "to": "2026-03-03",
        "wh": 5316.667,
        "days": [
            {"date": "2026-03-01", "wh": 0.0},
            {"date": "2026-03-02", "wh": 316.667},
            {"date": "2026-03-03", "wh": 5000.0},
        ],
    }


def test_a_house_reads_its_own_producers_day(cloud: LocalCloud, producers: Producers) -> None:
    # When the house reads its producer's day with the house's token
    event = api_event(
        DIR, "get_production_date", path={"producerId": producers.house_producer}, token=producers.house.token
    )
    answer = call(cloud, FUNCTION, event)
    # Then it sees only that producer's production
    assert answer.status == 200, answer.body
    assert answer.json()["readings"] == [{"timestamp": "2026-03-02T12:00:00Z", "wh": 1.25}]


def test_staff_read_the_grids_production_houses_and_utilities_apart(
    cloud: LocalCloud, producers: Producers
) -> None:
    # When staff (the sample's token) read the grid's production of 2026-03-01 to 2026-03-03
    answer = call(cloud, FUNCTION, api_event(DIR, "get_grid_production"))
    # Then every day shows house and utility production apart, and the period's totals
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "from": "2026-03-01",
        "to": "2026-03-03",
        "wh": 5317.917,
        "byKind": {"house": 1.25, "utility": 5316.667},
        "days": [
            {"date": "2026-03-01", "wh": 0.0, "byKind": {"house": 0.0, "utility": 0.0}},
            {"date": "2026-03-02", "wh": 317.917, "byKind": {"house": 1.25, "utility": 316.667}},
            {"date": "2026-03-03", "wh": 5000.0, "byKind": {"house": 0.0, "utility": 5000.0}},
        ],
    }


@pytest.mark.parametrize(
    ("case", "query", "field"),
    [
        ("get_production_bad_date", None, "query.date"),
        ("get_production_date", {"date": "2026-03-02", "to": "2026-03-03"}, "date"),
        ("get_production_period", {"from": "2026-03-01"}, "to"),
        ("get_production_period", {}, "from"),
        ("get_production_period", {"from": "2025-01-01", "to": "2026-03-01"}, "to"),
        ("get_grid_production_to_before_from", None, "to"),
        ("get_grid_production", {"to": "2026-03-03"}, "from"),
        ("get_grid_production", {"from": "2026-03-01", "to": "soon"}, "query.to"),
    ],
    ids=[
        "bad-date",
        "date-and-period",
        "no-to",
        "nothing",
        "over-a-year",
        "to-before-from",
        "grid-no-from",
        "grid-bad-to",
    ],
)
def test_a_bad_query_is_a_422_naming_the_field(
    cloud: LocalCloud, producers: Producers, case: str, query: dict[str, str] | None, field: str
) -> None:
    # Given staff's token, and the utility producer where the route names one
    adapted = {} if query is None else {"query": query}
    path = {"producerId": producers.utility.id} if "grid" not in case else None
    # When they ask with a bad query
    answer = call(cloud, FUNCTION, api_event(DIR, case, path=path, **adapted))
    # Then it is a 422 JSON error naming the parameter
    assert answer.status == 422, answer.body
    assert field in answer.error_fields(), answer.body


def test_an_unknown_producer_is_not_found(cloud: LocalCloud) -> None:
    # When staff read the sample's producer, never registered here
    answer = call(cloud, FUNCTION, api_event(DIR, "get_production_date"))
    # Then 404 naming the producer
    assert answer.status == 404
    assert answer.error_fields() == ["producerId"]


def test_other_callers_are_refused(cloud: LocalCloud, producers: Producers) -> None:
    # Given another producer and another house
    other_producer = register_producer(cloud, "Other")
    other_house = new_house(cloud)
    utility = {"producerId": producers.utility.id}
    # When they read the producers' production, or the grid's, or anyone does without a token
    refused = [
        call(
            cloud, FUNCTION, api_event(DIR, "get_production_date", path=utility, token=other_producer.token)
        ),
        call(
            cloud,
            FUNCTION,
            api_event(
                DIR,
                "get_production_period",
                path={"producerId": producers.house_producer},
                token=other_house.token,
            ),
        ),
        call(cloud, FUNCTION, api_event(DIR, "get_grid_production", token=producers.utility.token)),
    ]
    anonymous = call(cloud, FUNCTION, api_event(DIR, "get_grid_production", token=None))
    # Then 403 for each, 401 without a token
    assert [a.status for a in refused] == [403, 403, 403]
    assert (anonymous.status, anonymous.json()["error"]) == (401, "unauthorized")
