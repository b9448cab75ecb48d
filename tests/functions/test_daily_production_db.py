"""daily-production-db: each producer's production (production.raw.global) per day, added
once to the grid's day of its kind (house or utility) and, for a house, its community's."""

from __future__ import annotations

from localcloud import LocalCloud
from smartgrid.events import ProductionReading, Topic
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.daily import UNASSIGNED
from smartgrid.stores.production import DailyProductionStore
from tests.conftest import sample_event
from tests.functions.messages import sqs_event
from tests.functions.support import new_house

FUNCTION = "DailyProductionFunction"
DIR = "daily_production_db"


def store(cloud: LocalCloud) -> DailyProductionStore:
    return DailyProductionStore(cloud.provisioned.tables["DailyProductionTable"])


def test_a_reading_counts_in_its_producers_day_and_its_kinds_grid_day(cloud: LocalCloud) -> None:
    # Given a message carrying one utility producer's production at 10:00
    event = sample_event(DIR, "readings")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then the producer's day and the grid's utility production hold it; house production is untouched
    assert result == {"batchItemFailures": []}
    assert store(cloud).days("p-0123456789ab", ["2026-03-01", "2026-03-02"]) == {
        "2026-03-01": 0,
        "2026-03-02": 166667,
    }
    assert store(cloud).grid_days(["2026-03-02"]) == {"2026-03-02": {"house": 0, "utility": 166667}}


def test_house_and_utility_production_are_rolled_up_apart(cloud: LocalCloud) -> None:
    # Given a batch of two records mixing utility and house producers, one house's reading
    # without a community (an unknown house here)
    event = sample_event(DIR, "readings_two_records")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then every producer's day, each kind's grid day and each community's day are exact
    assert result == {"batchItemFailures": []}
    day = ["2026-03-03"]
    assert store(cloud).days("p-0123456789ac", day) == {"2026-03-03": 83333 + 85000}
    assert store(cloud).days("p-h-0123456789ae", day) == {"2026-03-03": 30000}
    assert store(cloud).grid_days(day) == {"2026-03-03": {"house": 1500 + 30000 + 2000, "utility": 168333}}
    assert store(cloud).community_days("c-0123456789aa", day) == {"2026-03-03": 31500}
    assert store(cloud).community_days(UNASSIGNED, day) == {"2026-03-03": 2000}


def test_the_same_batch_delivered_twice_counts_once(cloud: LocalCloud) -> None:
    # Given a batch already handled once
    event = sample_event(DIR, "readings_two_records")
    cloud.invoke(FUNCTION, event)
    # When SQS delivers it again
    result = cloud.invoke(FUNCTION, event)
    # Then every total is unchanged
    assert result == {"batchItemFailures": []}
    assert store(cloud).grid_days(["2026-03-03"]) == {"2026-03-03": {"house": 33500, "utility": 168333}}
    assert store(cloud).community_days("c-0123456789aa", ["2026-03-03"]) == {"2026-03-03": 31500}


def test_a_house_producer_without_community_counts_in_its_houses_community(cloud: LocalCloud) -> None:
    # Given a registered house, and its production sent while it registered (no community)
    house = new_house(cloud)
    community = ClientsRepository(cloud.provisioned.tables["ClientsTable"]).require(house.id).communityId
    assert community is not None
    reading = ProductionReading(
        producerId=f"p-{house.id}", kind="house", houseId=house.id, timestamp="2026-04-05T12:00:00Z", mwh=8333
    )
    # When the function receives it
    result = cloud.invoke(FUNCTION, sqs_event(DIR, "readings", Topic.PRODUCTION_RAW_GLOBAL, [reading]))
    # Then it counts in the house's community, looked up in the client database
    assert result == {"batchItemFailures": []}
    assert store(cloud).community_days(community, ["2026-04-05"]) == {"2026-04-05": 8333}
    assert store(cloud).grid_days(["2026-04-05"]) == {"2026-04-05": {"house": 8333, "utility": 0}}


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud) -> None:
    # Given a batch whose second record is an SNS envelope instead of a bus message
    event = sample_event(DIR, "readings_bad_record")
    bad = event["Records"][1]["messageId"]
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then only that record is reported, and the valid one is counted
    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert store(cloud).days("p-0123456789ba", ["2026-03-04"]) == {"2026-03-04": 50000}
