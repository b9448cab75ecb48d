"""production-provider: a producer (or the house that owns it) posts its production for a
tick; it is recorded once in the ledger and published on production.raw.global."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from localcloud import LocalCloud
from tests.functions.support import KEEP, TopicProbe, api_event, call, new_house, table_items
from tests.helpers import register_producer

FUNCTION = "ProductionProviderFunction"
DIR = "production_provider"
Probe = Callable[[str], TopicProbe]


def test_a_producer_posts_its_production(cloud: LocalCloud, probe: Probe) -> None:
    # Given a utility producer and a listener on production.raw.global
    producer = register_producer(cloud)
    production = probe("ProductionRawGlobalTopic")
    # When it posts the sample production (83.333 Wh at 10:00) with its own token
    event = api_event(DIR, "post_production", path={"producerId": producer.id}, token=producer.token)
    answer = call(cloud, FUNCTION, event)
    # Then it is accepted, recorded in the ledger and published in mWh
    assert answer.status == 202, answer.body
    assert answer.json() == {"status": "accepted", "timestamp": "2026-03-02T10:00:00Z"}
    ledger = [(i["source"]["S"], i["timestamp"]["S"]) for i in table_items(cloud, "ReadingsLedgerTable")]
    assert (f"producer#{producer.id}", "2026-03-02T10:00:00Z") in ledger
    assert production.events() == [
        {
            "producerId": producer.id,
            "kind": "utility",
            "timestamp": "2026-03-02T10:00:00Z",
            "durationMinutes": 1,
            "mwh": 83333,
        }
    ]
    # And the same post again is a duplicate
    again = call(cloud, FUNCTION, event)
    assert (again.status, again.json()["status"]) == (202, "duplicate")


def test_a_house_posts_the_production_of_its_solar_panels(cloud: LocalCloud, probe: Probe) -> None:
    # Given a house that became a local producer, and a listener
    house = new_house(cloud)
    made = cloud.request("POST", f"/houses/{house.id}/producer", token=house.token)
    assert made.status == 201, made.body
    producer_id = made.json()["producerId"]
    production = probe("ProductionRawGlobalTopic")
    # When the house posts its producer's production with the house's token
    event = api_event(DIR, "post_production", path={"producerId": producer_id}, token=house.token)
    answer = call(cloud, FUNCTION, event)
    # Then it is accepted and published as a house's production
    assert answer.status == 202, answer.body
    (published,) = production.events()
    assert (published["producerId"], published["kind"], published["houseId"]) == (
        producer_id,
        "house",
        house.id,
    )


@pytest.mark.parametrize(
    ("case", "body", "field"),
    [
        ("post_production_negative", None, "body.wh"),
        ("post_production_bad_duration", None, "body.durationMinutes"),
        ("post_production", {"timestamp": "2026-03-02T10:00:00Z"}, "body.wh"),
        ("post_production", {"timestamp": "yesterday", "wh": 1}, "body.timestamp"),
        ("post_production", {"timestamp": "2026-03-02T10:00:00Z", "wh": 1, "kind": "house"}, "body.kind"),
    ],
    ids=["negative", "zero-duration", "no-energy", "bad-timestamp", "unknown-field"],
)
def test_a_bad_production_is_refused_and_nothing_is_recorded_or_published(
    cloud: LocalCloud, probe: Probe, case: str, body: object, field: str
) -> None:
    # Given a producer, a listener, and the ledger so far
    producer = register_producer(cloud)
    production = probe("ProductionRawGlobalTopic")
    before = table_items(cloud, "ReadingsLedgerTable")
    event = api_event(DIR, case, path={"producerId": producer.id}, body=KEEP if body is None else body)
    # When the bad production is posted
    answer = call(cloud, FUNCTION, event)
    # Then a 422 JSON error naming the field, nothing recorded nor published
    assert answer.status == 422, answer.body
    assert any(f == field or f.startswith(f"{field}.") for f in answer.error_fields()), answer.body
    assert table_items(cloud, "ReadingsLedgerTable") == before
    assert production.messages() == []


def test_an_unknown_producer_is_not_found(cloud: LocalCloud) -> None:
    # When staff post the sample production, for a producer never registered here
    before = table_items(cloud, "ReadingsLedgerTable")
    answer = call(cloud, FUNCTION, api_event(DIR, "post_production"))
    # Then 404 naming the producer, nothing recorded
    assert answer.status == 404
    assert answer.error_fields() == ["producerId"]
    assert table_items(cloud, "ReadingsLedgerTable") == before


def test_others_cannot_post_a_producers_production(cloud: LocalCloud) -> None:
    # Given two producers and a house
    mine, theirs = register_producer(cloud), register_producer(cloud)
    house = new_house(cloud)
    before = table_items(cloud, "ReadingsLedgerTable")
    path = {"producerId": theirs.id}
    # When another producer, a house that does not own it, or no one posts for it
    other = call(cloud, FUNCTION, api_event(DIR, "post_production", path=path, token=mine.token))
    by_house = call(cloud, FUNCTION, api_event(DIR, "post_production", path=path, token=house.token))
    anonymous = call(cloud, FUNCTION, api_event(DIR, "post_production", path=path, token=None))
    # Then 403, 403 and 401, with nothing recorded
    assert (other.status, by_house.status, anonymous.status) == (403, 403, 401)
    assert table_items(cloud, "ReadingsLedgerTable") == before
