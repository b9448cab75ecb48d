"""client-consumption-api: a house's consumption for a date (per object), for a period (per
day), and one object's readings for a date. It reads the daily and detailed stores."""

from __future__ import annotations

import pytest

from localcloud import LocalCloud
from smartgrid.events import ClientConsumption, DetailedConsumptionReading
from smartgrid.stores.consumption import DailyConsumptionStore, DetailedConsumptionStore
from tests.functions.support import api_event, call, new_house
from tests.helpers import Registered

FUNCTION = "ClientConsumptionApiFunction"
DIR = "client_consumption_api"

READINGS = [  # what the house consumed, in mWh
    ("2026-03-02T10:00:00Z", {"blender": 8333, "fridge": 1500}),
    ("2026-03-02T10:01:00Z", {"blender": 8333}),
    ("2026-03-03T08:00:00Z", {"car": 21667}),
]


@pytest.fixture(scope="module")
def house(cloud: LocalCloud) -> Registered:
    """A house whose readings the stores hold (written through their repositories)."""
    registered = new_house(cloud)
    detailed = [
        DetailedConsumptionReading(houseId=registered.id, timestamp=t, objects=o) for t, o in READINGS
    ]
    totals = [ClientConsumption(houseId=registered.id, timestamp=t, mwh=sum(o.values())) for t, o in READINGS]
    DetailedConsumptionStore(cloud.provisioned.tables["DetailedConsumptionTable"]).write(detailed)
    DailyConsumptionStore(cloud.provisioned.tables["DailyConsumptionTable"]).write(totals)
    return registered


def test_a_house_reads_its_day_per_object_largest_first(cloud: LocalCloud, house: Registered) -> None:
    # When the house reads its consumption of 2026-03-02 with its own token
    answer = call(
        cloud, FUNCTION, api_event(DIR, "get_consumption_date", path={"houseId": house.id}, token=house.token)
    )
    # Then it gets the day's total and each object's, in Wh, the largest first
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body == {
        "houseId": house.id,
        "date": "2026-03-02",
        "wh": 18.166,
        "objects": {"blender": 16.666, "fridge": 1.5},
    }
    assert list(body["objects"]) == ["blender", "fridge"]


def test_a_house_reads_a_period_per_day(cloud: LocalCloud, house: Registered) -> None:
    # When the house reads 2026-03-01 to 2026-03-03
    answer = call(
        cloud,
        FUNCTION,
        api_event(DIR, "get_consumption_period", path={"houseId": house.id}, token=house.token),
    )
    # Then it gets every day of the period, empty days included, and the total
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "houseId": house.id,
        "from": "2026-03-01",
        "to": "2026-03-03",
        "wh": 39.833,
        "days": [
            {"date": "2026-03-01", "wh": 0.0},
            {"date": "2026-03-02", "wh": 18.166},
            {"date": "2026-03-03", "wh": 21.667},
        ],
    }


def test_a_house_reads_one_objects_readings(cloud: LocalCloud, house: Registered) -> None:
    # When the house reads its blender's readings of 2026-03-02
    event = api_event(DIR, "get_object_consumption", path={"houseId": house.id}, token=house.token)
    answer = call(cloud, FUNCTION, event)
    # Then it gets each tick's reading, in order, and their sum
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "houseId": house.id,
        "name": "blender",
        "date": "2026-03-02",
        "wh": 16.666,
        "readings": [
            {"timestamp": "2026-03-02T10:00:00Z", "wh": 8.333},
            {"timestamp": "2026-03-02T10:01:00Z", "wh": 8.333},
        ],
    }


def test_an_objects_name_is_read_decoded_from_the_path(cloud: LocalCloud, house: Registered) -> None:
    # Given a washing machine's reading on 2026-03-04 (a name with a space)
    reading = DetailedConsumptionReading(
        houseId=house.id, timestamp="2026-03-04T07:00:00Z", objects={"washing machine": 900_000}
    )
    DetailedConsumptionStore(cloud.provisioned.tables["DetailedConsumptionTable"]).write([reading])
    # When the house asks for it over HTTP, the name percent-encoded as browsers and curl send it
    path = f"/houses/{house.id}/consumption/objects/washing%20machine?date=2026-03-04"
    answer = cloud.request("GET", path, token=house.token)
    # Then the object is found by its name
    assert answer.status == 200, answer.body
    assert answer.json()["name"] == "washing machine"
    assert answer.json()["wh"] == 900.0


def test_staff_read_any_house_and_an_unknown_object_is_empty(cloud: LocalCloud, house: Registered) -> None:
    # When staff (the sample's token) read the house's day, and an object it never used
    day = call(cloud, FUNCTION, api_event(DIR, "get_consumption_date", path={"houseId": house.id}))
    oven = call(
        cloud, FUNCTION, api_event(DIR, "get_object_consumption", path={"houseId": house.id, "name": "oven"})
    )
    # Then they see the day, and an object with no readings
    assert (day.status, day.json()["wh"]) == (200, 18.166)
    assert oven.status == 200, oven.body
    assert (oven.json()["wh"], oven.json()["readings"]) == (0.0, [])


@pytest.mark.parametrize(
    ("case", "query", "field"),
    [
        ("get_consumption_bad_date", None, "query.date"),
        ("get_consumption_to_before_from", None, "to"),
        ("get_consumption_date", {"date": "2026-03-02", "from": "2026-03-01"}, "date"),
        ("get_consumption_period", {"from": "2026-03-01"}, "to"),
        ("get_consumption_period", {}, "from"),
        ("get_consumption_period", {"from": "2025-01-01", "to": "2026-03-01"}, "to"),
        ("get_consumption_period", {"from": "March 1st", "to": "2026-03-03"}, "query.from"),
        ("get_object_consumption", {}, "query.date"),
    ],
    ids=[
        "bad-date",
        "to-before-from",
        "date-and-period",
        "no-to",
        "nothing",
        "over-a-year",
        "bad-from",
        "object-no-date",
    ],
)
def test_a_bad_query_is_a_422_naming_the_field(
    cloud: LocalCloud, house: Registered, case: str, query: dict[str, str] | None, field: str
) -> None:
    # Given the house's own token
    adapted = {} if query is None else {"query": query}
    event = api_event(DIR, case, path={"houseId": house.id}, token=house.token, **adapted)
    # When it asks with a bad query
    answer = call(cloud, FUNCTION, event)
    # Then it is a 422 JSON error naming the parameter
    assert answer.status == 422, answer.body
    assert field in answer.error_fields(), answer.body


def test_an_unknown_house_is_not_found(cloud: LocalCloud) -> None:
    # When staff read the sample's house, never registered here
    answer = call(cloud, FUNCTION, api_event(DIR, "get_consumption_date"))
    # Then 404 naming the house
    assert answer.status == 404
    assert answer.error_fields() == ["houseId"]


def test_another_house_or_no_token_is_refused(cloud: LocalCloud, house: Registered) -> None:
    # Given another house
    other = new_house(cloud)
    # When it reads the first house's consumption, or someone does without a token
    as_other = [
        call(cloud, FUNCTION, api_event(DIR, case, path={"houseId": house.id}, token=other.token))
        for case in ("get_consumption_date", "get_consumption_period", "get_object_consumption")
    ]
    anonymous = call(
        cloud, FUNCTION, api_event(DIR, "get_consumption_date", path={"houseId": house.id}, token=None)
    )
    # Then 403 for each of its reads, 401 without a token
    assert [a.status for a in as_other] == [403, 403, 403]
    assert (anonymous.status, anonymous.json()["error"]) == (401, "unauthorized")
