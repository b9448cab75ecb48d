"""daily-consumption-db: each house's total consumption (consumption.client) per day, a
slot per tick, added once to the house's, its community's and the grid's day."""

from __future__ import annotations

from localcloud import LocalCloud
from smartgrid.events import ClientConsumption, Topic
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.consumption import DailyConsumptionStore
from smartgrid.stores.daily import UNASSIGNED
from tests.conftest import sample_event
from tests.functions.messages import sqs_event
from tests.functions.support import new_house

FUNCTION = "DailyConsumptionFunction"
DIR = "daily_consumption_db"
DAY = "2026-04-10"  # days of their own: the module's grid is shared by its tests
OTHER_DAY = "2026-04-11"


def store(cloud: LocalCloud) -> DailyConsumptionStore:
    return DailyConsumptionStore(cloud.provisioned.tables["DailyConsumptionTable"])


def test_a_total_is_stored_in_its_tick_of_the_day(cloud: LocalCloud) -> None:
    # Given a message carrying one house's total at 10:00
    event = sample_event(DIR, "totals")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then nothing failed and the day holds that total in the 10:00 slot
    assert result == {"batchItemFailures": []}
    assert store(cloud).slots_of_day("h-0123456789ab", "2026-03-02") == {"10:00": 9833}
    assert store(cloud).days("h-0123456789ab", ["2026-03-01", "2026-03-02"]) == {
        "2026-03-01": 0,
        "2026-03-02": 9833,
    }


def test_two_records_of_several_totals_are_all_stored(cloud: LocalCloud) -> None:
    # Given a batch of two records carrying totals of two houses
    event = sample_event(DIR, "totals_two_records")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then each house's day holds exactly its totals
    assert result == {"batchItemFailures": []}
    assert store(cloud).slots_of_day("h-0123456789ac", "2026-03-03") == {
        "07:00": 23167,
        "07:01": 23167,
        "07:15": 750000,
    }
    assert store(cloud).slots_of_day("h-0123456789ad", "2026-03-03") == {"07:00": 33333, "07:01": 34333}


def test_the_same_batch_delivered_twice_counts_once(cloud: LocalCloud) -> None:
    # Given a batch already handled once
    event = sample_event(DIR, "totals_two_records")
    cloud.invoke(FUNCTION, event)
    # When SQS delivers it again
    result = cloud.invoke(FUNCTION, event)
    # Then the day's totals are unchanged
    assert result == {"batchItemFailures": []}
    assert store(cloud).days("h-0123456789ac", ["2026-03-03"]) == {"2026-03-03": 23167 + 23167 + 750000}
    assert store(cloud).days("h-0123456789ad", ["2026-03-03"]) == {"2026-03-03": 33333 + 34333}


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud) -> None:
    # Given a batch whose second record is an SNS envelope instead of a bus message
    event = sample_event(DIR, "totals_bad_record")
    bad = event["Records"][1]["messageId"]
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then only that record is reported, and the valid one is stored
    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert store(cloud).slots_of_day("h-0123456789ae", "2026-03-04") == {"12:00": 41667}


def test_each_total_adds_to_its_community_and_the_grid_once(cloud: LocalCloud) -> None:
    # Given two registered houses (each in a community of its own) and readings that carry
    # the community, one without it (sent while the house registered), for a day of their own
    first, second = new_house(cloud), new_house(cloud)
    clients = ClientsRepository(cloud.provisioned.tables["ClientsTable"])
    community = {h.id: clients.require(h.id).communityId for h in (first, second)}
    readings = [
        ClientConsumption(
            houseId=first.id, communityId=community[first.id], timestamp=f"{DAY}T09:00:00Z", mwh=1500
        ),
        ClientConsumption(
            houseId=first.id, communityId=community[first.id], timestamp=f"{DAY}T09:01:00Z", mwh=2501
        ),
        ClientConsumption(houseId=second.id, timestamp=f"{DAY}T09:00:00Z", durationMinutes=60, mwh=700000),
    ]
    event = sqs_event(DIR, "totals", Topic.CONSUMPTION_CLIENT, readings)
    # When the function receives them, twice
    results = [cloud.invoke(FUNCTION, event) for _ in range(2)]
    # Then each house's, each community's and the grid's day hold them once
    assert results == [{"batchItemFailures": []}] * 2
    assert store(cloud).days(first.id, [DAY]) == {DAY: 4001}
    assert store(cloud).days(second.id, [DAY]) == {DAY: 700000}
    for house, total in ((first, 4001), (second, 700000)):
        assert store(cloud).community_days(str(community[house.id]), [DAY]) == {DAY: total}
    assert store(cloud).grid_days([DAY]) == {DAY: 704001}


def test_a_total_of_an_unknown_house_without_community_counts_as_unassigned(cloud: LocalCloud) -> None:
    # Given a total of a house the client database does not know, with no community
    reading = ClientConsumption(houseId="h-00000000dead", timestamp=f"{OTHER_DAY}T23:59:00Z", mwh=42)
    event = sqs_event(DIR, "totals", Topic.CONSUMPTION_CLIENT, [reading])
    # When the function receives it
    assert cloud.invoke(FUNCTION, event) == {"batchItemFailures": []}
    # Then it counts in the house's day, the grid's, and the unassigned community's
    assert store(cloud).days("h-00000000dead", [OTHER_DAY]) == {OTHER_DAY: 42}
    assert store(cloud).community_days(UNASSIGNED, [OTHER_DAY]) == {OTHER_DAY: 42}
    assert store(cloud).grid_days([OTHER_DAY]) == {OTHER_DAY: 42}
