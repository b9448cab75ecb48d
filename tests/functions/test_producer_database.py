"""producer-database: utility producers register with a production limit (announced on
production.limit), read and change themselves; a house becomes a local producer."""

from __future__ import annotations

from collections.abc import Callable

from localcloud import LocalCloud
from smartgrid.ids import token_sha256
from smartgrid.models import ProducerKind
from smartgrid.stores.producers import ProducersRepository
from tests.functions.support import TopicProbe, api_event, call, new_house, table_items
from tests.helpers import register_producer

FUNCTION = "ProducerDatabaseFunction"
DIR = "producer_database"
Probe = Callable[[str], TopicProbe]


def producers(cloud: LocalCloud) -> ProducersRepository:
    return ProducersRepository(cloud.provisioned.tables["ProducersTable"])


# POST /producers -------------------------------------------------------------------------
def test_a_producer_registers_and_its_limit_is_announced(cloud: LocalCloud, probe: Probe) -> None:
    # Given a listener on production.limit
    limits = probe("ProductionLimitTopic")
    # When the sample producer (limit 5000 W) registers
    answer = call(cloud, FUNCTION, api_event(DIR, "post_producer"))
    # Then it gets an id and a token at once
    assert answer.status == 201, answer.body
    producer_id, token = answer.json()["producerId"], answer.json()["token"]
    assert producer_id.startswith("p-") and token.startswith(f"{producer_id}.")
    # And it is stored as a utility producer, with the token's hash only
    stored = producers(cloud).require(producer_id)
    assert (stored.name, stored.kind, stored.productionLimitW) == ("Nikola", ProducerKind.UTILITY, 5000.0)
    assert stored.tokenSha256 == token_sha256(token)
    # And its limit is announced on the bus
    (event,) = limits.events()
    assert event["producerId"] == producer_id
    assert event["limitW"] == 5000.0


def test_the_announced_limit_is_stamped_with_the_grid_time(cloud: LocalCloud, probe: Probe) -> None:
    # Given the grid clock (these tests start it at 2026-03-01T00:00:00Z) and a listener
    grid_now = cloud.request("GET", "/clock").json()["now"]
    limits = probe("ProductionLimitTopic")
    # When the sample producer registers
    answer = call(cloud, FUNCTION, api_event(DIR, "post_producer"))
    assert answer.status == 201, answer.body
    # Then its production.limit event is stamped with the grid's time, an instant on a tick
    # boundary as every event of the bus (smartgrid.events.Instant), not the wall clock
    (event,) = limits.events()
    assert event["timestamp"] == grid_now


def test_a_bad_registration_is_refused_with_nothing_kept_or_announced(
    cloud: LocalCloud, probe: Probe
) -> None:
    # Given a listener, and the producers so far
    limits = probe("ProductionLimitTopic")
    before = table_items(cloud, "ProducersTable")
    cases = [
        (api_event(DIR, "post_producer_negative_limit"), "body.productionLimitW"),
        (
            api_event(DIR, "post_producer", body={"name": "Nikola", "productionLimitW": "a lot"}),
            "body.productionLimitW",
        ),
        (api_event(DIR, "post_producer", body={"productionLimitW": 5000}), "body.name"),
        (api_event(DIR, "post_producer", body={"name": "Nikola", "kind": "house"}), "body.kind"),
    ]
    for event, field in cases:
        # When the registration is posted
        answer = call(cloud, FUNCTION, event)
        # Then 422, naming the field
        assert answer.status == 422, (event["body"], answer.body)
        assert field in answer.error_fields(), answer.body
    # And nothing was stored nor announced
    assert table_items(cloud, "ProducersTable") == before
    assert limits.messages() == []


# GET /producers, GET /producers/{producerId} ---------------------------------------------
def test_staff_list_every_producer(cloud: LocalCloud) -> None:
    # Given a registered producer
    producer = register_producer(cloud, "Nikola", 7000)
    # When staff list the producers
    answer = call(cloud, FUNCTION, api_event(DIR, "get_producers"))
    # Then it is there, without its token's hash
    assert answer.status == 200, answer.body
    listed = {p["producerId"]: p for p in answer.json()["producers"]}
    assert listed[producer.id]["productionLimitW"] == 7000.0
    assert listed[producer.id]["kind"] == "utility"
    assert all("tokenSha256" not in p for p in listed.values())


def test_only_staff_list_producers(cloud: LocalCloud) -> None:
    # Given a producer
    producer = register_producer(cloud)
    # When it, or someone without a token, lists the producers
    as_producer = call(cloud, FUNCTION, api_event(DIR, "get_producers", token=producer.token))
    anonymous = call(cloud, FUNCTION, api_event(DIR, "get_producers", token=None))
    # Then 403 and 401
    assert (as_producer.status, anonymous.status) == (403, 401)


def test_a_producer_reads_itself_but_not_another(cloud: LocalCloud) -> None:
    # Given two producers
    mine, theirs = register_producer(cloud, "mine"), register_producer(cloud, "theirs")
    # When one reads itself, then the other
    own = call(
        cloud, FUNCTION, api_event(DIR, "get_producer", path={"producerId": mine.id}, token=mine.token)
    )
    other = call(
        cloud, FUNCTION, api_event(DIR, "get_producer", path={"producerId": theirs.id}, token=mine.token)
    )
    # Then it sees itself, and is refused the other
    assert own.status == 200, own.body
    assert own.json()["producerId"] == mine.id and own.json()["name"] == "mine"
    assert "tokenSha256" not in own.json()
    assert (other.status, other.json()["error"]) == (403, "forbidden")


def test_an_unknown_producer_is_not_found(cloud: LocalCloud) -> None:
    # When staff read the sample's producer, which does not exist here
    answer = call(cloud, FUNCTION, api_event(DIR, "get_producer"))
    # Then 404, naming the producer id
    assert answer.status == 404
    assert answer.error_fields() == ["producerId"]


# PATCH /producers/{producerId} -----------------------------------------------------------
def test_a_producer_changes_its_limit_and_it_is_announced(cloud: LocalCloud, probe: Probe) -> None:
    # Given a producer with a 10 kW limit, and a listener on production.limit
    producer = register_producer(cloud, "Nikola", 10_000)
    limits = probe("ProductionLimitTopic")
    # When it sends the sample change (8000 W) with its own token
    event = api_event(DIR, "patch_producer", path={"producerId": producer.id}, token=producer.token)
    answer = call(cloud, FUNCTION, event)
    # Then the answer, the store and the bus say 8000 W
    assert answer.status == 200, answer.body
    assert answer.json()["productionLimitW"] == 8000.0
    assert producers(cloud).require(producer.id).productionLimitW == 8000.0
    assert [(e["producerId"], e["limitW"]) for e in limits.events()] == [(producer.id, 8000.0)]


def test_a_bad_change_is_refused_and_nothing_changes(cloud: LocalCloud, probe: Probe) -> None:
    # Given two producers and a listener
    producer, other = register_producer(cloud), register_producer(cloud)
    limits = probe("ProductionLimitTopic")
    before = table_items(cloud, "ProducersTable")
    path = {"producerId": producer.id}
    cases = [
        (api_event(DIR, "patch_producer_empty", path=path), 422, "body"),
        (
            api_event(DIR, "patch_producer", path=path, body={"productionLimitW": 0}),
            422,
            "body.productionLimitW",
        ),
        (api_event(DIR, "patch_producer", path=path, token=None), 401, None),
        (api_event(DIR, "patch_producer", path=path, token=other.token), 403, None),
        (api_event(DIR, "patch_producer"), 404, "producerId"),
    ]
    for event, status, field in cases:
        # When the change is sent
        answer = call(cloud, FUNCTION, event)
        # Then it is refused with the expected status, naming the field
        assert answer.status == status, (event["path"], event["body"], answer.body)
        if field:
            assert field in answer.error_fields(), answer.body
    # And no producer changed, none appeared, nothing was announced
    assert table_items(cloud, "ProducersTable") == before
    assert limits.messages() == []


# POST /houses/{houseId}/producer ---------------------------------------------------------
def test_a_house_becomes_a_local_producer_once(cloud: LocalCloud) -> None:
    # Given a registered house
    house = new_house(cloud)
    event = api_event(DIR, "post_house_producer", path={"houseId": house.id}, token=house.token)
    # When it becomes a producer, twice
    first = call(cloud, FUNCTION, event)
    again = call(cloud, FUNCTION, event)
    # Then the first call creates its producer (201), the second finds the same one (200)
    assert first.status == 201, first.body
    assert again.status == 200, again.body
    assert first.json() == again.json() == {"producerId": f"p-{house.id}"}
    stored = producers(cloud).require(f"p-{house.id}")
    assert (stored.kind, stored.houseId, stored.productionLimitW) == (ProducerKind.HOUSE, house.id, None)


def test_a_house_producer_has_no_limit_to_change(cloud: LocalCloud) -> None:
    # Given a house that produces
    house = new_house(cloud)
    call(cloud, FUNCTION, api_event(DIR, "post_house_producer", path={"houseId": house.id}))
    before = table_items(cloud, "ProducersTable")
    # When its house tries to set a production limit on it
    event = api_event(DIR, "patch_producer", path={"producerId": f"p-{house.id}"}, token=house.token)
    answer = call(cloud, FUNCTION, event)
    # Then 422 naming the limit, and nothing changed
    assert answer.status == 422, answer.body
    assert answer.error_fields() == ["productionLimitW"]
    assert table_items(cloud, "ProducersTable") == before


def test_another_house_or_an_unknown_one_cannot_become_a_producer(cloud: LocalCloud) -> None:
    # Given two houses
    mine, theirs = new_house(cloud), new_house(cloud)
    before = table_items(cloud, "ProducersTable")
    # When one asks for the other, someone asks without a token, staff ask for an unknown house
    other = call(
        cloud, FUNCTION, api_event(DIR, "post_house_producer", path={"houseId": theirs.id}, token=mine.token)
    )
    anonymous = call(
        cloud, FUNCTION, api_event(DIR, "post_house_producer", path={"houseId": theirs.id}, token=None)
    )
    unknown = call(cloud, FUNCTION, api_event(DIR, "post_house_producer"))
    # Then 403, 401 and 404 (naming the house), and no producer was created
    assert (other.status, anonymous.status, unknown.status) == (403, 401, 404)
    assert unknown.error_fields() == ["houseId"]
    assert table_items(cloud, "ProducersTable") == before
