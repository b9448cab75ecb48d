"""The access matrix: every route of openapi.json, called by every kind of caller, gets
exactly what a hand-written table says it may (issue 9, part 4).

The table below is written by hand, not derived from the routes' `allow=` rules: it is the
specification the code is checked against, so a rule loosened by mistake fails here. A
route added to the document without a row fails too.

An admitted caller gets anything but 401/403 (an empty body: usually 422, or 404 for an id
that does not exist); a refused one gets exactly 401 (no or unknown token) or 403.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from localcloud import LocalCloud
from localcloud.openapi import DOCUMENT
from smartgrid.batteries import battery_id_of
from tests.conftest import start_cloud
from tests.helpers import register_house, register_producer, staff

ANONYMOUS = "anonymous"
BAD_TOKEN = "bad token"
OTHER_HOUSE = "another house"
HOUSE = "the house itself"
PRODUCER = "the producer"  # a utility producer, the one of `{producerId}` in every producer path
PARTNER = "the partner"  # the partner of `{partnerId}` in every partner path
HEAD_END = "the head-end"
STAFF = "staff"
ROLES = (ANONYMOUS, BAD_TOKEN, OTHER_HOUSE, HOUSE, PRODUCER, PARTNER, HEAD_END, STAFF)

# Who may call what. The head-end's token is a staff token by design (it posts readings for
# every house and reads the communities): it goes wherever staff goes.
STAFF_ONLY = frozenset({STAFF, HEAD_END})
THE_HOUSE = STAFF_ONLY | {HOUSE}
# The producer (a house's own producer has no token: its house acts for it, see
# test_a_house_acts_for_its_own_producer).
THE_PRODUCER = STAFF_ONLY | {PRODUCER}
THE_PARTNER = STAFF_ONLY | {PARTNER}
# Public routes need no token: one they cannot verify leaves the caller anonymous.
PUBLIC = frozenset(ROLES)

EXPECTED: dict[str, frozenset[str]] = {
    "GET /admin/dlq": STAFF_ONLY,
    "POST /admin/dlq/{queue}/redrive": STAFF_ONLY,
    "GET /alerts": STAFF_ONLY,
    "GET /alerts/{alertId}": STAFF_ONLY,
    "POST /alerts/{alertId}/ack": STAFF_ONLY,
    "POST /batteries/states": STAFF_ONLY,
    "GET /batteries/{batteryId}": THE_HOUSE,
    "POST /batteries/{batteryId}/state": THE_HOUSE,
    "GET /batteries/{batteryId}/states": THE_HOUSE,
    "GET /clock": PUBLIC,
    "POST /clock/advance": STAFF_ONLY,
    "GET /communities": STAFF_ONLY,
    "GET /communities/{communityId}": STAFF_ONLY,
    "GET /communities/{communityId}/autarky": STAFF_ONLY,
    "GET /communities/{communityId}/consumption": STAFF_ONLY,
    "GET /communities/{communityId}/energy": STAFF_ONLY,
    "GET /communities/{communityId}/notifications": STAFF_ONLY,
    "GET /communities/{communityId}/peak-threshold": STAFF_ONLY,
    "PUT /communities/{communityId}/peak-threshold": STAFF_ONLY,
    "DELETE /communities/{communityId}/peak-threshold": STAFF_ONLY,
    "GET /communities/{communityId}/peaks": STAFF_ONLY,
    "GET /communities/{communityId}/schedule": STAFF_ONLY,
    "GET /communities/{communityId}/shedding": STAFF_ONLY,
    "POST /communities/{communityId}/shedding": STAFF_ONLY,
    "DELETE /communities/{communityId}/shedding": STAFF_ONLY,
    # The pages and their scripts carry no data: each datum is fetched with the user's own token.
    "GET /dashboard": PUBLIC,
    "GET /dashboard/house": PUBLIC,
    "GET /dashboard/assets/{name}": PUBLIC,
    "GET /grid/consumption": STAFF_ONLY,
    "GET /grid/frames": STAFF_ONLY,
    "GET /grid/production": STAFF_ONLY,
    "GET /grid/surplus": STAFF_ONLY | {PRODUCER},  # utility producers only
    "GET /health": PUBLIC,
    "POST /houses": PUBLIC,
    "GET /houses/{houseId}": THE_HOUSE,
    "PATCH /houses/{houseId}": THE_HOUSE,
    "GET /houses/{houseId}/autarky": THE_HOUSE,
    "POST /houses/{houseId}/battery": THE_HOUSE,
    "GET /houses/{houseId}/battery": THE_HOUSE,
    "GET /houses/{houseId}/bills": THE_HOUSE,
    "GET /houses/{houseId}/bills/current": THE_HOUSE,
    "GET /houses/{houseId}/bills/{month}": THE_HOUSE,
    "POST /houses/{houseId}/consumption": THE_HOUSE,
    "GET /houses/{houseId}/consumption": THE_HOUSE,
    "GET /houses/{houseId}/consumption/objects/{name}": THE_HOUSE,
    "GET /houses/{houseId}/energy": THE_HOUSE,
    "GET /houses/{houseId}/notifications": THE_HOUSE,
    "GET /houses/{houseId}/objects/{name}/schedule": THE_HOUSE,
    "PUT /houses/{houseId}/objects/{name}/schedule": THE_HOUSE,
    "POST /houses/{houseId}/objects/{name}/schedule": THE_HOUSE,
    "DELETE /houses/{houseId}/objects/{name}/schedule": THE_HOUSE,
    "POST /houses/{houseId}/producer": THE_HOUSE,
    "POST /houses/{houseId}/token": THE_HOUSE,
    "GET /houses/{houseId}/vpp": THE_HOUSE,
    "PUT /houses/{houseId}/vpp": THE_HOUSE,
    "POST /partners": STAFF_ONLY,
    "GET /partners/{partnerId}": THE_PARTNER,
    "PATCH /partners/{partnerId}": STAFF_ONLY,
    "POST /partners/{partnerId}/datapoints": STAFF_ONLY,
    "GET /partners/{partnerId}/purchases": THE_PARTNER,
    "POST /partners/{partnerId}/purchases": frozenset({PARTNER}),  # staff does not buy data
    "GET /partners/{partnerId}/purchases/{saleId}": THE_PARTNER,
    "GET /prices": PUBLIC,
    "PUT /prices/{effective}": STAFF_ONLY,
    "GET /producers": STAFF_ONLY,
    "POST /producers": PUBLIC,
    "GET /producers/{producerId}": THE_PRODUCER,
    "PATCH /producers/{producerId}": THE_PRODUCER,
    "POST /producers/{producerId}/production": THE_PRODUCER,
    "GET /producers/{producerId}/production": THE_PRODUCER,
    "GET /producers/{producerId}/setpoint": THE_PRODUCER,
    "POST /readings": STAFF_ONLY,
    "POST /sim/houses": STAFF_ONLY,
    "GET /sim/houses/{houseId}": STAFF_ONLY,
    "POST /sim/houses/{houseId}/battery": STAFF_ONLY,
    "POST /sim/houses/{houseId}/objects": STAFF_ONLY,
    "DELETE /sim/houses/{houseId}/objects/{name}": STAFF_ONLY,
    "PATCH /sim/houses/{houseId}/objects/{name}": STAFF_ONLY,
    "POST /sim/producers": STAFF_ONLY,
    "GET /sim/producers/{producerId}": STAFF_ONLY,
    "PATCH /sim/producers/{producerId}": STAFF_ONLY,
    "GET /vpp/capacity": STAFF_ONLY,
    "POST /vpp/orders": STAFF_ONLY,
    "GET /vpp/orders/{orderId}": STAFF_ONLY,
}


def documented_operations() -> list[str]:
    document = json.loads(DOCUMENT.read_text())
    return [
        f"{method.upper()} {path}" for path, operations in document["paths"].items() for method in operations
    ]


@dataclass
class Actors:
    """The callers, registered once; `tokens[role]` is None for the anonymous caller."""

    tokens: dict[str, str | None]
    path_values: dict[str, str]
    cells: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud()
    yield cloud
    cloud.stop()


@pytest.fixture(scope="module")
def actors(grid: LocalCloud) -> Actors:
    house = register_house(grid, "Matrix house")
    other = register_house(grid, "Matrix neighbour")
    utility = register_producer(grid, "Matrix utility")
    staff(grid, "POST", f"/houses/{house.id}/producer", status=201)  # a battery needs production
    staff(grid, "POST", f"/houses/{house.id}/battery", {}, status=201)
    partner = staff(
        grid, "POST", "/partners", {"name": "Matrix partner", "datapoints": 10, "trustLevel": 3}, status=201
    )
    community = staff(grid, "GET", f"/houses/{house.id}").get("communityId") or "c-nowhere"
    return Actors(
        tokens={
            ANONYMOUS: None,
            BAD_TOKEN: f"{house.id}.not-the-right-secret-at-all",
            OTHER_HOUSE: other.token,
            HOUSE: house.token,
            PRODUCER: utility.token,
            PARTNER: partner["token"],
            HEAD_END: grid.head_end_token,
            STAFF: grid.staff_token,
        },
        path_values={
            "houseId": house.id,
            "producerId": utility.id,
            "partnerId": partner["partnerId"],
            "batteryId": battery_id_of(house.id),
            "communityId": community,
            "queue": "nowhere",
            "alertId": "alert-nowhere",
            "saleId": "sale-nowhere",
            "orderId": "order-nowhere",
            "month": "2026-03",
            "name": "heater",
            "effective": "2026-06-01",
        },
    )


def test_every_documented_route_has_a_row() -> None:
    # Given the merged OpenAPI document and the hand-written table
    documented = set(documented_operations())

    # Then they list the same operations: a new route needs its row, a removed one loses it
    assert documented - EXPECTED.keys() == set(), "routes without a row in the access matrix"
    assert EXPECTED.keys() - documented == set(), "rows for routes the API no longer has"


def test_every_role_gets_exactly_what_the_table_allows(grid: LocalCloud, actors: Actors) -> None:
    wrong: list[str] = []
    cells = 0
    for operation in documented_operations():
        method, template = operation.split(" ", 1)
        path = template.format(**actors.path_values)
        for role in ROLES:
            # When this role calls the route (an empty body where the route takes one)
            answer = grid.request(method, path, token=actors.tokens[role])
            cells += 1
            allowed = role in EXPECTED[operation]
            # Then an admitted caller gets past the door, a refused one is stopped at it
            if allowed and (answer.status in (401, 403) or answer.status >= 500):
                wrong.append(
                    f"{operation} as {role}: {answer.status} (admitted expected) {answer.body[:120]!r}"
                )
            if not allowed and answer.status not in refusals(role):
                wrong.append(
                    f"{operation} as {role}: {answer.status} (refused expected) {answer.body[:120]!r}"
                )
            if operation == "POST /houses/{houseId}/token" and answer.status == 201:
                actors.tokens[HOUSE] = answer.json()["token"]  # the old one stopped working
    print(f"access matrix: {cells} cells checked ({len(EXPECTED)} routes x {len(ROLES)} roles)")
    assert cells == len(EXPECTED) * len(ROLES)
    assert wrong == [], "\n".join(wrong)


def refusals(role: str) -> set[int]:
    """What a refused role may get: 401 for no or an unknown token, else 403. A partner's
    token is known only to the partner API (the only functions given the partner table):
    elsewhere it is an unknown token."""
    if role in (ANONYMOUS, BAD_TOKEN):
        return {401}
    return {401, 403} if role == PARTNER else {403}


@pytest.mark.parametrize(
    "operation",
    [op for op in EXPECTED if op.startswith("GET /producers/{producerId}")],
)
def test_a_house_acts_for_its_own_producer(grid: LocalCloud, actors: Actors, operation: str) -> None:
    # Given the producer of the house (it has no token of its own)
    method, template = operation.split(" ", 1)
    house_producer = f"p-{actors.path_values['houseId']}"
    path = template.format(**{**actors.path_values, "producerId": house_producer})

    # When the house, another house and a utility producer read it, Then only the house gets in
    assert grid.request(method, path, token=actors.tokens[HOUSE]).status not in (401, 403)
    assert grid.request(method, path, token=actors.tokens[OTHER_HOUSE]).status == 403
    assert grid.request(method, path, token=actors.tokens[PRODUCER]).status == 403
