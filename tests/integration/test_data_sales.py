"""Data sales through the local runtime (story 18, scenario 2's last steps): houses post
readings through the providers, the stores fill, staff add a partner, and the partner buys
data with its datapoints, within its trust level, from the clients who accepted that policy.
The grid clock stands at its start, 2026-03-01T00:00:00Z: the data sold is of that day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.gateway import HttpResponse
from localcloud.tap import TopicTap
from tests.conftest import STAFF_TOKEN
from tests.helpers import Registered, register_house, staff

DAY = "2026-03-01"
PARIS = (48.85, 2.35)


@dataclass(frozen=True)
class Houses:
    curie: Registered  # accepted every policy; 2 Wh consumed (per object), 5 Wh produced
    dupont: Registered  # accepted consumption only; 2 Wh consumed, 3 Wh produced
    martin: Registered  # accepted nothing; 2 Wh consumed, 4 Wh produced


def post(cloud: LocalCloud, path: str, body: Any, token: str, status: int = 202) -> Any:
    answer = cloud.request("POST", path, json_body=body, token=token)
    assert answer.status == status, answer.body
    return answer.json()


def producing_house(
    cloud: LocalCloud, name: str, lat: float, policies: list[str], production_wh: float
) -> Registered:
    house = register_house(cloud, name, lat, PARIS[1], policies)
    cloud.drain()  # its registration workflow: it joins a community
    for minute, objects in ((0, {"fridge": 1.5}), (1, {"blender": 0.5})):
        body = {"timestamp": f"{DAY}T08:0{minute}:00Z", "objects": objects}
        post(cloud, f"/houses/{house.id}/consumption", body, house.token)
    producer = post(cloud, f"/houses/{house.id}/producer", None, house.token, status=201)["producerId"]
    post(
        cloud,
        f"/producers/{producer}/production",
        {"timestamp": f"{DAY}T12:00:00Z", "wh": production_wh},
        house.token,
    )
    return house


@pytest.fixture(scope="module")
def houses(cloud: LocalCloud) -> Houses:
    made = Houses(
        curie=producing_house(
            cloud, "Pierre & Marie Curie", 48.85, ["consumption", "production", "detailed"], 5
        ),
        dupont=producing_house(cloud, "Les Dupont", 48.86, ["consumption"], 3),
        martin=producing_house(cloud, "Les Martin", 45.76, [], 4),  # Lyon: another community
    )
    cloud.drain()  # the readings reach the daily and detailed stores
    return made


@pytest.fixture
def sales(cloud: LocalCloud) -> Iterator[TopicTap]:
    tap = TopicTap(cloud, "SaleDataTopic")
    yield tap
    tap.close()


def as_partner(
    cloud: LocalCloud, partner: Registered, method: str, path: str, body: Any = None, key: str | None = None
) -> HttpResponse:
    headers = {"Idempotency-Key": key} if key else None
    return cloud.request(
        method, f"/partners/{partner.id}{path}", json_body=body, token=partner.token, headers=headers
    )


def buy(cloud: LocalCloud, partner: Registered, data_type: str, key: str | None = None) -> HttpResponse:
    return as_partner(
        cloud, partner, "POST", "/purchases", {"dataType": data_type, "from": DAY, "to": DAY}, key
    )


def new_partner(cloud: LocalCloud, datapoints: int, trust_level: int) -> Registered:
    created = staff(
        cloud,
        "POST",
        "/partners",
        {"name": "Watt Insights", "datapoints": datapoints, "trustLevel": trust_level},
        201,
    )
    return Registered(created["partnerId"], created["token"])


def daily(answer: HttpResponse) -> list[list[tuple[str, float]]]:
    """Each client's days, as (date, Wh), in the order sold (the pseudonyms themselves are random)."""
    return [[(d["date"], d["wh"]) for d in client["days"]] for client in answer.json()["data"]]


def test_scenario_2_a_partner_buys_production_runs_short_buys_datapoints_and_lacks_trust(
    cloud: LocalCloud, houses: Houses, sales: TopicTap
) -> None:
    # 10. Staff add a partner with 100 datapoints at trust level 2; it reads itself
    partner = new_partner(cloud, datapoints=100, trust_level=2)
    me = as_partner(cloud, partner, "GET", "")
    assert (me.status, me.json()["datapoints"], me.json()["trustLevel"]) == (200, 100, 2)
    # It buys the clients' production (70 datapoints): that of the one house that accepted that policy
    production = buy(cloud, partner, "production")
    assert production.status == 201, production.body
    assert (production.json()["datapoints"], production.json()["balance"]) == (70, 30)
    assert daily(production) == [[(DAY, 5.0)]]
    # 11. It tries consumption data (50): 402, with its balance and the cost, and nothing is debited
    short = buy(cloud, partner, "consumption")
    assert short.status == 402, short.body
    assert (short.json()["balance"], short.json()["cost"]) == (30, 50)
    assert as_partner(cloud, partner, "GET", "").json()["datapoints"] == 30
    # Staff add 50 datapoints; it buys consumption: the two houses that accepted it, 2 Wh each
    assert staff(cloud, "POST", f"/partners/{partner.id}/datapoints", {"amount": 50})["datapoints"] == 80
    consumption = buy(cloud, partner, "consumption")
    assert consumption.status == 201, consumption.body
    assert (consumption.json()["balance"], daily(consumption)) == (30, [[(DAY, 2.0)], [(DAY, 2.0)]])
    # It is refused detailed data for its trust level (403 naming the level needed), and keeps its datapoints
    detailed = buy(cloud, partner, "detailed")
    assert detailed.status == 403, detailed.body
    assert (detailed.json()["requiredTrustLevel"], detailed.json()["trustLevel"]) == (3, 2)
    assert as_partner(cloud, partner, "GET", "").json()["datapoints"] == 30
    # And its purchases are listed newest first, each published once on sale.data
    listed = as_partner(cloud, partner, "GET", "/purchases").json()["purchases"]
    assert [(p["dataType"], p["datapoints"], p["balance"]) for p in listed] == [
        ("consumption", 50, 30),
        ("production", 70, 30),
    ]
    published = [(m["_attributes"]["dataType"], m["events"][0]["saleId"]) for m in sales.messages()]
    assert published == [
        ("production", production.json()["saleId"]),
        ("consumption", consumption.json()["saleId"]),
    ]


def test_staff_raise_the_trust_level_and_detailed_data_is_sold(cloud: LocalCloud, houses: Houses) -> None:
    partner = new_partner(cloud, datapoints=100, trust_level=2)
    assert buy(cloud, partner, "detailed").status == 403
    assert staff(cloud, "PATCH", f"/partners/{partner.id}", {"trustLevel": 3})["trustLevel"] == 3
    detailed = buy(cloud, partner, "detailed")
    assert detailed.status == 201, detailed.body
    (client,) = detailed.json()["data"]
    assert client["days"] == [{"date": DAY, "wh": 2.0, "objects": {"blender": 0.5, "fridge": 1.5}}]


def test_a_client_who_withdraws_its_consent_leaves_the_next_sales(cloud: LocalCloud, houses: Houses) -> None:
    partner = new_partner(cloud, datapoints=150, trust_level=1)
    both = buy(cloud, partner, "consumption")
    pseudonyms = {c["client"] for c in both.json()["data"]}
    assert len(pseudonyms) == 2
    # When the Dupont withdraw their consent to consumption sales
    withdrawn = cloud.request(
        "PATCH", f"/houses/{houses.dupont.id}", json_body={"acceptedPolicies": []}, token=houses.dupont.token
    )
    assert withdrawn.status == 200, withdrawn.body
    # Then the next sale covers the Curie only, under the same pseudonym as before
    after = buy(cloud, partner, "consumption")
    (curie,) = after.json()["data"]
    assert curie["client"] in pseudonyms
    # And when they accept again, they are back, under their pseudonym of before
    again = cloud.request(
        "PATCH",
        f"/houses/{houses.dupont.id}",
        json_body={"acceptedPolicies": ["consumption"]},
        token=houses.dupont.token,
    )
    assert again.status == 200, again.body
    assert {c["client"] for c in buy(cloud, partner, "consumption").json()["data"]} == pseudonyms


def test_a_retried_purchase_is_sold_and_debited_once(
    cloud: LocalCloud, houses: Houses, sales: TopicTap
) -> None:
    partner = new_partner(cloud, datapoints=100, trust_level=2)
    first = buy(cloud, partner, "production", key="2f1e6c1a-retry")
    again = buy(cloud, partner, "production", key="2f1e6c1a-retry")
    assert (first.status, again.status) == (201, 201)
    assert again.body == first.body and again.headers.get("Idempotent-Replayed") == "true"
    assert as_partner(cloud, partner, "GET", "").json()["datapoints"] == 30
    assert len(as_partner(cloud, partner, "GET", "/purchases").json()["purchases"]) == 1
    assert len(sales.events()) == 1
    reused = buy(cloud, partner, "consumption", key="2f1e6c1a-retry")
    assert reused.status == 409, reused.body


def test_no_name_location_or_id_leaves_and_partners_get_different_pseudonyms(
    cloud: LocalCloud, houses: Houses
) -> None:
    mine, theirs = (
        new_partner(cloud, datapoints=50, trust_level=1),
        new_partner(cloud, datapoints=50, trust_level=1),
    )
    sold = [buy(cloud, partner, "consumption") for partner in (mine, theirs)]
    for answer in sold:
        text = answer.body.decode()
        for house in (houses.curie, houses.dupont, houses.martin):
            assert house.id not in text
        assert not any(word in text for word in ("Curie", "Dupont", "Martin", "lat", "lon", "communityId"))
    assert {c["client"] for c in sold[0].json()["data"]}.isdisjoint(
        c["client"] for c in sold[1].json()["data"]
    )


def test_a_partners_token_opens_only_the_partner_routes(cloud: LocalCloud, houses: Houses) -> None:
    partner = new_partner(cloud, datapoints=0, trust_level=1)
    # Other functions do not know partners: their tokens are unknown there
    assert cloud.request("GET", f"/houses/{houses.curie.id}", token=partner.token).status == 401
    assert (
        cloud.request("GET", "/grid/consumption?from=2026-03-01&to=2026-03-01", token=partner.token).status
        == 401
    )
    # And staff routes of partner-api refuse it
    assert as_partner(cloud, partner, "POST", "/datapoints", {"amount": 1000}).status == 403
    assert as_partner(cloud, partner, "PATCH", "", {"trustLevel": 3}).status == 403
    assert (
        cloud.request(
            "POST",
            "/partners",
            json_body={"name": "x", "datapoints": 9, "trustLevel": 3},
            token=partner.token,
        ).status
        == 403
    )
    assert staff(cloud, "GET", f"/partners/{partner.id}") == {
        "partnerId": partner.id,
        "name": "Watt Insights",
        "trustLevel": 1,
        "datapoints": 0,
        "sales": 0,
        "createdAt": "2026-03-01T00:00:00Z",
    }
    assert cloud.request("GET", f"/partners/{partner.id}", token=STAFF_TOKEN).status == 200
