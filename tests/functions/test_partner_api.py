"""partner-api: staff add partners (datapoints, trust level); a partner buys the data of the
clients who accepted that policy, under pseudonyms of its own, paying once per sale (trust
checked first, then datapoints; an Idempotency-Key makes a retry safe). The grid clock of
this module stands at its start, 2026-03-01T00:00:00Z: the data sold is of that day."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid import bus
from smartgrid.events import ClientConsumption, DetailedConsumptionReading, ProductionReading
from smartgrid.models import Policy
from smartgrid.partners import pseudonym
from smartgrid.saledata import SaleSources
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.consumption import DailyConsumptionStore, DetailedConsumptionStore
from smartgrid.stores.partners import PartnersRepository
from smartgrid.stores.production import DailyProductionStore
from tests.conftest import STAFF_TOKEN
from tests.functions.support import Answer, TopicProbe, api_event, call, new_house, sample_body, table_items
from tests.helpers import Registered

FUNCTION = "PartnerApiFunction"
DIR = "partner_api"
DAY = "2026-03-01"
Probe = Callable[[str], TopicProbe]


# Helpers ---------------------------------------------------------------------------------
def partners(cloud: LocalCloud) -> PartnersRepository:
    return PartnersRepository(cloud.provisioned.tables["PartnersTable"])


def with_key(event: dict[str, Any], key: str | None) -> dict[str, Any]:
    """The event with this Idempotency-Key header (None: without one)."""
    for name in [n for n in event["headers"] if n.lower() == "idempotency-key"]:
        del event["headers"][name]
        del event["multiValueHeaders"][name]
    if key is not None:
        event["headers"]["Idempotency-Key"] = key
        event["multiValueHeaders"]["Idempotency-Key"] = [key]
    return event


def add_partner(cloud: LocalCloud, datapoints: int = 100, trust_level: int = 2) -> Registered:
    body = {"name": "Watt Insights", "datapoints": datapoints, "trustLevel": trust_level}
    answer = call(cloud, FUNCTION, api_event(DIR, "post_partner", body=body))
    assert answer.status == 201, answer.body
    return Registered(answer.json()["partnerId"], answer.json()["token"])


def buy(
    cloud: LocalCloud,
    partner: Registered,
    data_type: str,
    *,
    first: str = DAY,
    last: str = DAY,
    key: str | None = None,
    token: str | None = "",
) -> Answer:
    event = api_event(
        DIR,
        "post_purchase",
        path={"partnerId": partner.id},
        token=partner.token if token == "" else token,
        body={"dataType": data_type, "from": first, "to": last},
    )
    return call(cloud, FUNCTION, with_key(event, key))


def read_partner(cloud: LocalCloud, partner: Registered, token: str | None = STAFF_TOKEN) -> Answer:
    return call(cloud, FUNCTION, api_event(DIR, "get_partner", path={"partnerId": partner.id}, token=token))


def balance(cloud: LocalCloud, partner: Registered) -> int:
    return partners(cloud).require(partner.id).datapoints


def alias(cloud: LocalCloud, partner: Registered, house: Registered) -> str:
    return pseudonym(partners(cloud).require(partner.id).pseudonymKey, house.id)


def clients_of(answer: Answer) -> dict[str, Any]:
    return {client["client"]: client for client in answer.json()["data"]}


@dataclass(frozen=True)
class Houses:
    everything: Registered  # accepted every policy; consumes, produces, has objects
    consumption_only: Registered  # accepted consumption only; produces too
    nothing: Registered  # accepted no policy; consumes and produces


def producing(cloud: LocalCloud, policies: list[str]) -> tuple[Registered, str]:
    house = new_house(cloud, "Marie Curie", policies=policies)
    answer = cloud.request("POST", f"/houses/{house.id}/producer", token=house.token)
    assert answer.status == 201, answer.body
    return house, str(answer.json()["producerId"])


@pytest.fixture(scope="module")
def houses(cloud: LocalCloud) -> Houses:
    """Three producing houses with readings of 2026-03-01, written through the stores' own
    repositories: 1.5 + 0.5 Wh consumed each (per object: fridge 1.5, blender 0.5) and 5 Wh produced."""
    made = [
        producing(cloud, ["consumption", "production", "detailed"]),
        producing(cloud, ["consumption"]),
        producing(cloud, []),
    ]
    tables = cloud.provisioned.tables
    consumption, detailed, production = [], [], []
    for house, producer in made:
        for minute, objects in ((0, {"fridge": 1500}), (1, {"blender": 500})):
            at = f"{DAY}T08:0{minute}:00Z"
            detailed.append(DetailedConsumptionReading(houseId=house.id, timestamp=at, objects=objects))
            consumption.append(ClientConsumption(houseId=house.id, timestamp=at, mwh=sum(objects.values())))
        production.append(
            ProductionReading(
                producerId=producer, kind="house", houseId=house.id, timestamp=f"{DAY}T12:00:00Z", mwh=5000
            )
        )
    DailyConsumptionStore(tables["DailyConsumptionTable"]).write(consumption)
    DetailedConsumptionStore(tables["DetailedConsumptionTable"]).write(detailed)
    DailyProductionStore(tables["DailyProductionTable"]).write(production)
    return Houses(*(house for house, _ in made))


# POST /partners, GET and PATCH /partners/{partnerId} ----------------------------------------------
def test_staff_add_a_partner_whose_token_reads_itself(cloud: LocalCloud) -> None:
    # When staff add the sample partner
    answer = call(cloud, FUNCTION, api_event(DIR, "post_partner"))
    # Then 201 with its id and token, and the partner reads itself with that token
    assert answer.status == 201, answer.body
    created = answer.json()
    assert set(created) == {"partnerId", "token"} and created["partnerId"].startswith("pa-")
    mine = read_partner(cloud, Registered(created["partnerId"], ""), token=created["token"])
    assert mine.status == 200, mine.body
    assert mine.json() == {
        "partnerId": created["partnerId"],
        "name": "Watt Insights",
        "trustLevel": 2,
        "datapoints": 100,
        "sales": 0,
        "createdAt": "2026-03-01T00:00:00Z",
    }
    # And only the token's hash is stored, beside the partner's pseudonym key, which is never shown
    stored = partners(cloud).require(created["partnerId"])
    assert created["token"] not in json.dumps(table_items(cloud, "PartnersTable"), default=repr)
    assert stored.pseudonymKey not in mine.body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "datapoints": 100, "trustLevel": 4}, "body.trustLevel"),
        ({"name": "x", "datapoints": 100, "trustLevel": 0}, "body.trustLevel"),
        ({"name": "x", "datapoints": -1, "trustLevel": 1}, "body.datapoints"),
        ({"name": "", "datapoints": 1, "trustLevel": 1}, "body.name"),
        ({"name": "x", "trustLevel": 1}, "body.datapoints"),
        ({"name": "x", "datapoints": 1, "trustLevel": 1, "partnerId": "pa-mine"}, "body.partnerId"),
    ],
    ids=["trust-4", "trust-0", "negative-datapoints", "empty-name", "no-datapoints", "own-id"],
)
def test_a_bad_partner_is_refused_naming_the_field(
    cloud: LocalCloud, body: dict[str, Any], field: str
) -> None:
    before = table_items(cloud, "PartnersTable")
    answer = call(cloud, FUNCTION, api_event(DIR, "post_partner", body=body))
    assert answer.status == 422, answer.body
    assert field in answer.error_fields()
    assert table_items(cloud, "PartnersTable") == before


def test_only_staff_add_partners(cloud: LocalCloud) -> None:
    partner, house = add_partner(cloud), new_house(cloud)
    before = table_items(cloud, "PartnersTable")
    for token, status in (
        (None, 401),
        ("pa-000000000000.guess", 401),
        (partner.token, 403),
        (house.token, 403),
    ):
        answer = call(cloud, FUNCTION, api_event(DIR, "post_partner", token=token))
        assert answer.status == status, (token, answer.body)
    assert table_items(cloud, "PartnersTable") == before


def test_a_partner_reads_only_itself(cloud: LocalCloud) -> None:
    mine, theirs = add_partner(cloud), add_partner(cloud)
    assert read_partner(cloud, theirs, token=mine.token).status == 403
    assert read_partner(cloud, theirs, token=None).status == 401
    assert read_partner(cloud, theirs).status == 200  # staff
    unknown = call(cloud, FUNCTION, api_event(DIR, "get_partner"))  # the sample's partner: never added here
    assert (unknown.status, unknown.error_fields()) == (404, ["partnerId"])


def test_staff_change_a_partners_trust_level(cloud: LocalCloud) -> None:
    partner = add_partner(cloud, trust_level=2)
    answer = call(cloud, FUNCTION, api_event(DIR, "patch_partner", path={"partnerId": partner.id}))
    assert answer.status == 200, answer.body
    assert answer.json()["trustLevel"] == 3
    assert partners(cloud).require(partner.id).trustLevel == 3


def test_a_partner_cannot_raise_its_own_trust_and_bad_changes_are_refused(cloud: LocalCloud) -> None:
    partner = add_partner(cloud, trust_level=1)
    before = table_items(cloud, "PartnersTable")
    cases = [
        (api_event(DIR, "patch_partner", path={"partnerId": partner.id}, token=partner.token), 403, None),
        (
            api_event(DIR, "patch_partner", path={"partnerId": partner.id}, body={"trustLevel": 5}),
            422,
            "body.trustLevel",
        ),
        (api_event(DIR, "patch_partner", path={"partnerId": partner.id}, body={}), 422, "body"),
        (
            api_event(DIR, "patch_partner", path={"partnerId": partner.id}, body={"datapoints": 9}),
            422,
            "body.datapoints",
        ),
        (api_event(DIR, "patch_partner"), 404, "partnerId"),
    ]
    for event, status, field in cases:
        answer = call(cloud, FUNCTION, event)
        assert answer.status == status, (event["body"], answer.body)
        if field:
            assert field in answer.error_fields(), answer.body
    assert table_items(cloud, "PartnersTable") == before


# POST /partners/{partnerId}/datapoints ------------------------------------------------------------
def add_datapoints(cloud: LocalCloud, partner: Registered, amount: int, key: str | None) -> Answer:
    event = api_event(DIR, "post_datapoints", path={"partnerId": partner.id}, body={"amount": amount})
    return call(cloud, FUNCTION, with_key(event, key))


def test_staff_add_datapoints_once_per_idempotency_key(cloud: LocalCloud) -> None:
    partner = add_partner(cloud, datapoints=30)
    # When staff add 50 datapoints, and the request is retried with the same key
    first = add_datapoints(cloud, partner, 50, "credit-1")
    again = add_datapoints(cloud, partner, 50, "credit-1")
    # Then the balance grew once
    assert (first.status, again.status) == (200, 200), (first.body, again.body)
    assert first.json()["datapoints"] == again.json()["datapoints"] == 80
    # And another key adds again; the same key for another amount is refused
    assert add_datapoints(cloud, partner, 20, "credit-2").json()["datapoints"] == 100
    reused = add_datapoints(cloud, partner, 70, "credit-1")
    assert (reused.status, reused.error_fields()) == (409, ["header.idempotency-key"])
    # And without a key each request adds
    add_datapoints(cloud, partner, 1, None)
    assert add_datapoints(cloud, partner, 1, None).json()["datapoints"] == balance(cloud, partner) == 102


def test_bad_datapoints_are_refused_and_nothing_changes(cloud: LocalCloud) -> None:
    partner = add_partner(cloud)
    before = table_items(cloud, "PartnersTable")
    for amount, status in ((0, 422), (-5, 422), (2_000_000_000, 422)):
        answer = add_datapoints(cloud, partner, amount, None)
        assert (answer.status, answer.error_fields()) == (status, ["body.amount"]), answer.body
    own = api_event(DIR, "post_datapoints", path={"partnerId": partner.id}, token=partner.token)
    assert call(cloud, FUNCTION, own).status == 403  # a partner does not credit itself
    unknown = call(cloud, FUNCTION, with_key(api_event(DIR, "post_datapoints"), "credit-x"))
    assert (unknown.status, unknown.error_fields()) == (404, ["partnerId"])
    assert table_items(cloud, "PartnersTable") == before


# POST /partners/{partnerId}/purchases -------------------------------------------------------------
def test_a_partner_buys_production_of_consenting_producers_only(
    cloud: LocalCloud, houses: Houses, probe: Probe
) -> None:
    sales = probe("SaleDataTopic")
    partner = add_partner(cloud, datapoints=100, trust_level=2)
    # When it buys the day's production
    answer = buy(cloud, partner, "production")
    # Then 201: 70 datapoints debited, 30 left
    assert answer.status == 201, answer.body
    sale = answer.json()
    assert (sale["saleId"], sale["dataType"], sale["from"], sale["to"]) == (
        f"{partner.id}-1",
        "production",
        DAY,
        DAY,
    )
    assert (sale["datapoints"], sale["balance"], sale["timestamp"]) == (70, 30, "2026-03-01T00:00:00Z")
    assert balance(cloud, partner) == 30
    # And the data is the production of the house that accepted that policy, under a pseudonym
    sold = clients_of(answer)
    mine = alias(cloud, partner, houses.everything)
    assert sold[mine] == {"client": mine, "wh": 5.0, "days": [{"date": DAY, "wh": 5.0}]}
    assert sale["clients"] == len(sold)
    for refused in (houses.consumption_only, houses.nothing):
        assert alias(cloud, partner, refused) not in sold
    # And no house id, producer id, name or location leaves
    for house in (houses.everything, houses.consumption_only, houses.nothing):
        assert house.id not in answer.body
    assert "Marie" not in answer.body and "lat" not in answer.body
    # And the sale is published once on sale.data, with its data type as attribute
    (message,) = sales.messages()
    assert message["_attributes"]["dataType"] == "production"
    assert message["events"] == [
        {
            "saleId": sale["saleId"],
            "partnerId": partner.id,
            "dataType": "production",
            "datapoints": 70,
            "firstDay": DAY,
            "lastDay": DAY,
            "clients": sale["clients"],
            "timestamp": "2026-03-01T00:00:00Z",
        }
    ]


def test_consumption_and_detailed_data_cover_their_own_policies(cloud: LocalCloud, houses: Houses) -> None:
    partner = add_partner(cloud, datapoints=150, trust_level=3)
    consumption = buy(cloud, partner, "consumption")
    detailed = buy(cloud, partner, "detailed")
    assert (consumption.status, detailed.status) == (201, 201), (consumption.body, detailed.body)
    everything, consumption_only = (
        alias(cloud, partner, h) for h in (houses.everything, houses.consumption_only)
    )
    # Then consumption covers both houses that accepted it, detailed only the one that accepted that
    assert {everything, consumption_only} <= set(clients_of(consumption))
    assert alias(cloud, partner, houses.nothing) not in clients_of(consumption)
    assert clients_of(consumption)[consumption_only]["days"] == [{"date": DAY, "wh": 2.0}]
    assert clients_of(detailed)[everything] == {
        "client": everything,
        "wh": 2.0,
        "days": [{"date": DAY, "wh": 2.0, "objects": {"blender": 0.5, "fridge": 1.5}}],
    }
    assert set(clients_of(detailed)).isdisjoint({consumption_only, alias(cloud, partner, houses.nothing)})
    assert balance(cloud, partner) == 0


def test_pseudonyms_are_stable_for_a_partner_and_differ_between_partners(
    cloud: LocalCloud, houses: Houses
) -> None:
    mine, theirs = (
        add_partner(cloud, datapoints=100, trust_level=1),
        add_partner(cloud, datapoints=50, trust_level=1),
    )
    first, second = buy(cloud, mine, "consumption"), buy(cloud, mine, "consumption")
    other = buy(cloud, theirs, "consumption")
    assert {first.status, second.status, other.status} == {201}
    assert set(clients_of(first)) == set(clients_of(second))
    assert set(clients_of(first)).isdisjoint(clients_of(other))
    assert len(clients_of(first)) == len(clients_of(other))


def test_trust_is_checked_first_and_a_refusal_changes_nothing(cloud: LocalCloud, houses: Houses) -> None:
    # Given a partner at trust 2 with no datapoints left
    partner = add_partner(cloud, datapoints=0, trust_level=2)
    before = table_items(cloud, "PartnersTable")
    # When it asks for detailed data (trust 3, 100 datapoints)
    answer = buy(cloud, partner, "detailed", key="k-trust")
    # Then 403 with the level needed (not a word of the price), and nothing is stored
    assert answer.status == 403, answer.body
    body = answer.json()
    assert (body["error"], body["requiredTrustLevel"], body["trustLevel"]) == ("insufficient_trust", 3, 2)
    assert "cost" not in body
    assert table_items(cloud, "PartnersTable") == before


def test_too_few_datapoints_is_a_402_with_the_balance_and_the_cost(cloud: LocalCloud, houses: Houses) -> None:
    partner = add_partner(cloud, datapoints=49, trust_level=1)
    before = table_items(cloud, "PartnersTable")
    answer = buy(cloud, partner, "consumption", key="k-poor")
    assert answer.status == 402, answer.body
    assert (answer.json()["error"], answer.json()["balance"], answer.json()["cost"]) == (
        "insufficient_datapoints",
        49,
        50,
    )
    assert table_items(cloud, "PartnersTable") == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dataType": "consumption", "from": DAY, "to": "2026-02-28"}, "to"),
        ({"dataType": "consumption", "from": DAY, "to": "2026-03-02"}, "to"),  # after the grid's today
        ({"dataType": "consumption", "from": "2025-11-29", "to": DAY}, "to"),  # 93 days
        ({"dataType": "consumption", "from": "2026-02-30", "to": DAY}, "body.from"),
        ({"dataType": "consumption", "to": DAY}, "body.from"),
        ({"dataType": "everything", "from": DAY, "to": DAY}, "body.dataType"),
        ({"dataType": "consumption", "from": DAY, "to": DAY, "houses": ["h-1"]}, "body.houses"),
    ],
    ids=["backwards", "future", "too-long", "no-such-day", "no-from", "unknown-type", "unknown-field"],
)
def test_a_bad_purchase_is_refused_naming_the_field(
    cloud: LocalCloud, houses: Houses, body: dict[str, Any], field: str
) -> None:
    partner = add_partner(cloud, datapoints=100, trust_level=3)
    before = table_items(cloud, "PartnersTable")
    event = api_event(DIR, "post_purchase", path={"partnerId": partner.id}, token=partner.token, body=body)
    answer = call(cloud, FUNCTION, with_key(event, None))
    assert answer.status == 422, answer.body
    assert field in answer.error_fields(), answer.body
    assert table_items(cloud, "PartnersTable") == before


def test_only_the_partner_itself_buys(cloud: LocalCloud, houses: Houses) -> None:
    partner, other = add_partner(cloud), add_partner(cloud)
    before = table_items(cloud, "PartnersTable")
    for token, status in (
        (None, 401),
        (other.token, 403),
        (STAFF_TOKEN, 403),
        (houses.everything.token, 403),
    ):
        assert buy(cloud, partner, "production", token=token).status == status
    assert table_items(cloud, "PartnersTable") == before


def test_a_period_without_consenting_data_sells_nothing_and_debits_nothing(
    cloud: LocalCloud, houses: Houses
) -> None:
    partner = add_partner(cloud, datapoints=100, trust_level=1)
    before = table_items(cloud, "PartnersTable")
    answer = buy(cloud, partner, "consumption", first="2026-02-01", last="2026-02-28")
    assert (answer.status, answer.json()["error"], answer.error_fields()) == (404, "no_data", ["from"])
    assert table_items(cloud, "PartnersTable") == before


# One step that cannot half-happen --------------------------------------------------------------
def test_a_retry_with_the_same_key_returns_the_same_sale_and_debits_once(
    cloud: LocalCloud, houses: Houses, probe: Probe
) -> None:
    sales = probe("SaleDataTopic")
    partner = add_partner(cloud, datapoints=200, trust_level=2)
    first = buy(cloud, partner, "production", key="order-42")
    # When the same request is sent again with the same key, after more production came in
    DailyProductionStore(cloud.provisioned.tables["DailyProductionTable"]).write(
        [
            ProductionReading(
                producerId=f"p-{houses.everything.id}",
                kind="house",
                houseId=houses.everything.id,
                timestamp=f"{DAY}T12:01:00Z",
                mwh=1,
            )
        ]
    )
    again = buy(cloud, partner, "production", key="order-42")
    # Then the same sale comes back, marked as a replay, and it was debited and published once
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert balance(cloud, partner) == 130
    assert len(sales.events()) == 1
    # And the same key with another body is refused, and changes nothing
    before = table_items(cloud, "PartnersTable")
    other = buy(cloud, partner, "production", first="2026-02-28", key="order-42")
    assert (other.status, other.error_fields()) == (409, ["header.idempotency-key"])
    assert table_items(cloud, "PartnersTable") == before
    # And a new key is a new sale, which sees the new production
    newer = buy(cloud, partner, "production", key="order-43")
    assert clients_of(newer)[alias(cloud, partner, houses.everything)]["wh"] == 5.001
    assert balance(cloud, partner) == 60


def test_a_failed_data_read_debits_nothing(
    cloud: LocalCloud, houses: Houses, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = add_partner(cloud, datapoints=100, trust_level=2)
    before = table_items(cloud, "PartnersTable")

    def fails(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the daily production store is unreachable")

    # When the data read fails in the middle of a purchase
    monkeypatch.setattr(DailyProductionStore, "producers_days", fails)
    with pytest.raises(RuntimeError):
        buy(cloud, partner, "production", key="order-1")
    monkeypatch.undo()
    # Then nothing was debited or recorded, and the retry sells and debits once
    assert table_items(cloud, "PartnersTable") == before
    retry = buy(cloud, partner, "production", key="order-1")
    assert retry.status == 201, retry.body
    assert balance(cloud, partner) == 30


def test_a_crash_after_the_debit_is_answered_and_published_by_the_retry(
    cloud: LocalCloud, houses: Houses, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    sales = probe("SaleDataTopic")
    partner = add_partner(cloud, datapoints=100, trust_level=2)

    def dies(*args: Any, **kwargs: Any) -> int:
        raise ConnectionError("SNS is unreachable")

    # When the function dies after the sale committed, before it published or answered
    monkeypatch.setattr(bus.Bus, "publish", dies)
    with pytest.raises(ConnectionError):
        buy(cloud, partner, "production", key="order-7")
    monkeypatch.undo()
    assert balance(cloud, partner) == 30 and sales.events() == []
    # Then the client's retry gets the sale, debits nothing more, and the sale is published once
    retry = buy(cloud, partner, "production", key="order-7")
    assert retry.status == 201 and retry.headers.get("Idempotent-Replayed") == "true"
    assert (retry.json()["balance"], balance(cloud, partner)) == (30, 30)
    assert [e["saleId"] for e in sales.events()] == [retry.json()["saleId"]]
    assert buy(cloud, partner, "production", key="order-7").body == retry.body
    assert sales.events() == []


def test_a_credit_during_a_sale_is_kept_and_the_sale_debits_once(
    cloud: LocalCloud, houses: Houses, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = add_partner(cloud, datapoints=100, trust_level=2)
    gather = SaleSources.gather
    credited: list[int] = []

    def staff_credit_meanwhile(self: SaleSources, *args: Any) -> Any:
        if not credited:  # staff add 50 datapoints while the first attempt reads the data
            credited.append(partners(cloud).add_datapoints(partner.id, 50).datapoints)
        return gather(self, *args)

    monkeypatch.setattr(SaleSources, "gather", staff_credit_meanwhile)
    answer = buy(cloud, partner, "production")
    # Then the sale saw the partner changed, checked again, and debited the new balance once
    assert answer.status == 201, answer.body
    assert credited == [150]
    assert answer.json()["balance"] == balance(cloud, partner) == 80
    assert partners(cloud).require(partner.id).sales == 1


# Consent ------------------------------------------------------------------------------------------
def test_a_client_who_withdraws_disappears_from_later_sales_only(cloud: LocalCloud, houses: Houses) -> None:
    partner = add_partner(cloud, datapoints=100, trust_level=1)
    clients = ClientsRepository(cloud.provisioned.tables["ClientsTable"])
    house = houses.consumption_only
    before = buy(cloud, partner, "consumption")
    assert alias(cloud, partner, house) in clients_of(before)
    # When the house withdraws its consent (at the grid's time), then accepts it again
    clients.update(house.id, policies=[], at="2026-03-01T00:00:00Z")
    after = buy(cloud, partner, "consumption")
    clients.update(house.id, policies=[Policy.CONSUMPTION], at="2026-03-01T00:00:00Z")
    # Then it is in none of the sales made meanwhile, and the earlier sale is kept as it was sold
    assert after.status == 201, after.body
    assert alias(cloud, partner, house) not in clients_of(after)
    kept = call(
        cloud,
        FUNCTION,
        api_event(DIR, "get_purchase", path={"partnerId": partner.id, "saleId": before.json()["saleId"]}),
    )
    assert kept.body == before.body


# GET /partners/{partnerId}/purchases[/{saleId}] ---------------------------------------------------
def list_purchases(cloud: LocalCloud, partner: Registered, token: str | None, **query: str) -> Answer:
    event = api_event(DIR, "get_purchases", path={"partnerId": partner.id}, token=token, query=query or None)
    return call(cloud, FUNCTION, event)


def sale_ids(answer: Answer) -> Sequence[str]:
    return [p["saleId"] for p in answer.json()["purchases"]]


def test_purchases_are_listed_newest_first_page_by_page(cloud: LocalCloud, houses: Houses) -> None:
    partner = add_partner(cloud, datapoints=150, trust_level=2)
    bought = [buy(cloud, partner, t).json() for t in ("consumption", "production")]
    assert [b["saleId"] for b in bought] == [f"{partner.id}-1", f"{partner.id}-2"]
    # When the partner lists its purchases
    answer = list_purchases(cloud, partner, partner.token)
    # Then newest first, without their data
    assert answer.status == 200, answer.body
    assert sale_ids(answer) == [f"{partner.id}-2", f"{partner.id}-1"]
    assert answer.json()["purchases"][0] == {k: v for k, v in bought[1].items() if k != "data"}
    assert answer.json()["next"] is None
    # And page by page
    page = list_purchases(cloud, partner, STAFF_TOKEN, limit="1")
    assert (sale_ids(page), page.json()["next"]) == ([f"{partner.id}-2"], f"{partner.id}-2")
    rest = list_purchases(cloud, partner, STAFF_TOKEN, limit="1", after=f"{partner.id}-2")
    assert (sale_ids(rest), rest.json()["next"]) == ([f"{partner.id}-1"], None)


def test_purchases_are_the_partners_own(cloud: LocalCloud, houses: Houses) -> None:
    partner, other = add_partner(cloud), add_partner(cloud)
    sold = buy(cloud, partner, "production").json()
    assert list_purchases(cloud, partner, other.token).status == 403
    assert list_purchases(cloud, partner, None).status == 401
    assert list_purchases(cloud, other, other.token).json()["purchases"] == []
    bad_cursor = list_purchases(cloud, partner, partner.token, after=f"{other.id}-1")
    assert (bad_cursor.status, bad_cursor.error_fields()) == (422, ["after"])
    # And one purchase is read with its data, by the partner or staff only
    path = {"partnerId": partner.id, "saleId": sold["saleId"]}
    mine = call(cloud, FUNCTION, api_event(DIR, "get_purchase", path=path, token=partner.token))
    assert (mine.status, mine.json()) == (200, sold)
    assert call(cloud, FUNCTION, api_event(DIR, "get_purchase", path=path, token=other.token)).status == 403
    for sale in (f"{partner.id}-9", f"{other.id}-1", "nonsense"):
        missing = call(
            cloud, FUNCTION, api_event(DIR, "get_purchase", path={"partnerId": partner.id, "saleId": sale})
        )
        assert (missing.status, missing.error_fields()) == (404, ["saleId"]), sale


def test_the_sample_purchase_body_is_a_valid_request(cloud: LocalCloud, houses: Houses) -> None:
    partner = add_partner(cloud)
    event = api_event(DIR, "post_purchase", path={"partnerId": partner.id}, token=partner.token)
    answer = call(cloud, FUNCTION, event)
    assert answer.status == 201, answer.body
    assert answer.json()["dataType"] == sample_body(DIR, "post_purchase")["dataType"]


@pytest.mark.parametrize("key", ["", "k" * 256], ids=["empty", "too-long"])
def test_a_bad_idempotency_key_is_refused(cloud: LocalCloud, houses: Houses, key: str) -> None:
    partner = add_partner(cloud)
    answer = buy(cloud, partner, "production", key=key)
    assert (answer.status, answer.error_fields()) == (422, ["header.idempotency-key"]), answer.body
    assert balance(cloud, partner) == 100


def test_a_sale_left_unpublished_without_a_key_is_published_by_the_next_purchase(
    cloud: LocalCloud, houses: Houses, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    sales = probe("SaleDataTopic")
    partner = add_partner(cloud, datapoints=200, trust_level=2)

    def dies(*args: Any, **kwargs: Any) -> int:
        raise ConnectionError("SNS is unreachable")

    # Given a sale without an Idempotency-Key whose function died before publishing it
    monkeypatch.setattr(bus.Bus, "publish", dies)
    with pytest.raises(ConnectionError):
        buy(cloud, partner, "consumption")
    monkeypatch.undo()
    # When the partner buys again
    assert buy(cloud, partner, "production").status == 201
    # Then both sales are published, each once, in order
    assert [e["saleId"] for e in sales.events()] == [f"{partner.id}-1", f"{partner.id}-2"]
