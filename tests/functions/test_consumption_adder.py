"""consumption-adder: each detailed reading (consumption.raw.detailed) summed into the house's
total, published on consumption.client."""

from __future__ import annotations

from collections.abc import Callable

from localcloud import LocalCloud
from smartgrid.stores.consumption import DailyConsumptionStore
from tests.conftest import sample_event
from tests.functions.support import TopicProbe, sqs_messages

FUNCTION = "ConsumptionAdderFunction"
DIR = "consumption_adder"
Probe = Callable[[str], TopicProbe]


def daily(cloud: LocalCloud) -> DailyConsumptionStore:
    return DailyConsumptionStore(cloud.provisioned.tables["DailyConsumptionTable"])


def test_a_reading_is_published_as_the_house_total(cloud: LocalCloud, probe: Probe) -> None:
    # Given a listener on consumption.client, and a reading of a blender and a fridge
    totals = probe("ConsumptionClientTopic")
    event = sample_event(DIR, "readings")
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then one consumption.client message carries the house's total for that tick
    assert result == {"batchItemFailures": []}
    (message,) = totals.messages()
    assert message["topic"] == "consumption.client"
    assert message["_attributes"] == {"topic": "consumption.client"}
    assert message["events"] == [
        {
            "houseId": "h-0123456789ab",
            "communityId": "c-0123456789ab",
            "timestamp": "2026-03-02T10:00:00Z",
            "durationMinutes": 1,
            "mwh": 9833,
        }
    ]


def test_what_it_publishes_is_what_the_daily_store_samples_receive(cloud: LocalCloud, probe: Probe) -> None:
    # Given a listener on consumption.client
    totals = probe("ConsumptionClientTopic")
    # When the function receives the two-record sample batch
    result = cloud.invoke(FUNCTION, sample_event(DIR, "readings_two_records"))
    # Then it publishes a message per record, whose events are those of the
    # daily-consumption-db sample (so the samples of the two functions tell one story)
    assert result == {"batchItemFailures": []}
    published = [m["events"] for m in totals.messages()]
    assert published == [m["events"] for m in sqs_messages("daily_consumption_db", "totals_two_records")]


def test_the_totals_reach_the_daily_store(cloud: LocalCloud) -> None:
    # Given the two-record sample batch handled by the function
    cloud.invoke(FUNCTION, sample_event(DIR, "readings_two_records"))
    # When the bus delivers what it published
    cloud.drain()
    # Then each house's day holds the sum of its objects, tick by tick
    assert daily(cloud).slots_of_day("h-0123456789ac", "2026-03-03") == {
        "07:00": 21667 + 1500,
        "07:01": 21667 + 1500,
        "07:15": 750000,
    }
    assert daily(cloud).slots_of_day("h-0123456789ad", "2026-03-03") == {"07:00": 33333, "07:01": 34333}


def test_the_same_batch_delivered_twice_counts_once(cloud: LocalCloud) -> None:
    # Given a batch delivered twice (SQS delivers at least once)
    event = sample_event(DIR, "readings")
    first = cloud.invoke(FUNCTION, event)
    second = cloud.invoke(FUNCTION, event)
    # When everything published is delivered
    cloud.drain()
    # Then the house's total is counted once
    assert first == second == {"batchItemFailures": []}
    assert daily(cloud).days("h-0123456789ab", ["2026-03-02"]) == {"2026-03-02": 9833}


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud, probe: Probe) -> None:
    # Given a listener, and a batch whose second record is an SNS envelope
    totals = probe("ConsumptionClientTopic")
    event = sample_event(DIR, "readings_bad_record")
    bad = event["Records"][1]["messageId"]
    # When the function receives it
    result = cloud.invoke(FUNCTION, event)
    # Then only that record is reported, and the valid record's total is published
    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert totals.events() == [
        {"houseId": "h-0123456789ae", "timestamp": "2026-03-04T12:00:00Z", "durationMinutes": 1, "mwh": 41667}
    ]
