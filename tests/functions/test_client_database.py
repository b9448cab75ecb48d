"""client-database: houses register (POST /houses), read and change their record; its
workflow step (CompleteRegistrationFunction) activates a house in its community."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from smartgrid.ids import token_sha256
from smartgrid.models import HouseRecord, HouseStatus, Location, Policy, PolicyChange
from smartgrid.stores.clients import ClientsRepository
from tests.conftest import CLOCK_START, sample_event
from tests.functions.support import (
    api_event,
    call,
    new_house,
    sample_body,
    settle_workflows,
    table_items,
    unknown_house_id,
)

FUNCTION = "ClientDatabaseFunction"
DIR = "client_database"


def clients(cloud: LocalCloud) -> ClientsRepository:
    return ClientsRepository(cloud.provisioned.tables["ClientsTable"])


def executions(cloud: LocalCloud) -> list[Any]:
    (arn,) = cloud.provisioned.state_machines.values()
    with cloud.locked():
        return list(cloud.clients.stepfunctions.list_executions(stateMachineArn=arn)["executions"])


# POST /houses ----------------------------------------------------------------------------
def test_a_house_registers_and_its_workflow_starts(cloud: LocalCloud) -> None:
    # Given the sample registration of Pierre & Marie's house, without a token
    event = api_event(DIR, "post_house")
    # When it is posted
    answer = call(cloud, FUNCTION, event)
    # Then the house has an id and a token at once, and is registering
    assert answer.status == 201, answer.body
    body = answer.json()
    house_id, token = body["houseId"], body["token"]
    assert body == {"houseId": house_id, "token": token, "status": "registering"}
    assert house_id.startswith("h-") and token.startswith(f"{house_id}.")
    # And the record is stored with the token's hash only
    record = clients(cloud).require(house_id)
    assert record.name == "Pierre & Marie"
    assert record.location == Location(lat=48.8566, lon=2.3522)
    assert record.acceptedPolicies == ["consumption"]
    assert record.tokenSha256 == token_sha256(token)
    assert record.registeredAt == CLOCK_START  # grid time (bills run from that month), not the wall clock
    # And what it accepted at registration counts from then on (data sales read it)
    assert record.policyChanges == [PolicyChange(at=CLOCK_START, acceptedPolicies=[Policy.CONSUMPTION])]
    assert token not in json.dumps(table_items(cloud, "ClientsTable"))
    # And the registration workflow was started for it, named after it
    (execution,) = [e for e in executions(cloud) if e["name"] == house_id]
    with cloud.locked():
        started = cloud.clients.stepfunctions.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(started["input"]) == {"houseId": house_id, "location": {"lat": 48.8566, "lon": 2.3522}}
    # And once it has run, the house is active in a community
    settle_workflows(cloud)
    done = clients(cloud).require(house_id)
    assert done.status is HouseStatus.ACTIVE and done.communityId


@pytest.mark.parametrize(
    ("case", "change", "field"),
    [
        ("post_house_bad_location", None, "body.location.lat"),
        ("post_house_unknown_policy", None, "body.acceptedPolicies.0"),
        ("post_house", {"name": ""}, "body.name"),
        ("post_house", {"location": None}, "body.location"),
        ("post_house", {"status": "active"}, "body.status"),
    ],
    ids=["lat-out-of-range", "unknown-policy", "empty-name", "no-location", "unknown-field"],
)
def test_a_bad_registration_is_refused_and_nothing_is_kept(
    cloud: LocalCloud, case: str, change: dict[str, object] | None, field: str
) -> None:
    event = api_event(DIR, case)
    if change is not None:  # the sample's body with one field changed (None: left out)
        body = {**sample_body(DIR, case), **change}
        event = api_event(DIR, case, body={k: v for k, v in body.items() if v is not None})
    # Given the houses and workflows so far
    before, started = table_items(cloud, "ClientsTable"), len(executions(cloud))
    # When a registration with a bad field is posted
    answer = call(cloud, FUNCTION, event)
    # Then it is a 422 JSON error naming the field
    assert answer.status == 422, answer.body
    assert answer.json()["error"] == "validation_error"
    assert field in answer.error_fields(), answer.body
    # And no house was stored, no workflow started
    assert table_items(cloud, "ClientsTable") == before
    assert len(executions(cloud)) == started


def test_a_registration_that_is_not_json_is_refused(cloud: LocalCloud) -> None:
    # Given a registration whose body is cut short
    event = api_event(DIR, "post_house")
    event["body"] = event["body"][:20]
    before = table_items(cloud, "ClientsTable")
    # When it is posted
    answer = call(cloud, FUNCTION, event)
    # Then it is a 4xx JSON error on the body, and nothing is stored
    assert answer.status in (400, 422), answer.body
    assert answer.error_fields() == ["body"]
    assert table_items(cloud, "ClientsTable") == before


# GET /houses/{houseId} -------------------------------------------------------------------
def test_a_house_reads_its_own_record(cloud: LocalCloud) -> None:
    # Given a registered house
    house = new_house(cloud, "Marie", policies=["detailed"])
    # When it reads its record with its own token
    answer = call(cloud, FUNCTION, api_event(DIR, "get_house", path={"houseId": house.id}, token=house.token))
    # Then it sees its record, without any token hash
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["houseId"] == house.id
    assert body["name"] == "Marie"
    assert body["acceptedPolicies"] == ["detailed"]
    assert body["status"] == "active" and body["communityId"]
    assert body["producerId"] is None
    assert "tokenSha256" not in body


def test_staff_read_any_house(cloud: LocalCloud) -> None:
    # Given a registered house
    house = new_house(cloud)
    # When staff read it (the sample's staff token)
    answer = call(cloud, FUNCTION, api_event(DIR, "get_house", path={"houseId": house.id}))
    # Then they see it
    assert answer.status == 200, answer.body
    assert answer.json()["houseId"] == house.id


def test_a_house_cannot_read_another_house_nor_anyone_without_a_token(cloud: LocalCloud) -> None:
    # Given two houses
    mine, theirs = new_house(cloud), new_house(cloud)
    # When one reads the other's record, or someone reads it without or with a bad token
    other = call(cloud, FUNCTION, api_event(DIR, "get_house", path={"houseId": theirs.id}, token=mine.token))
    anonymous = call(cloud, FUNCTION, api_event(DIR, "get_house", path={"houseId": theirs.id}, token=None))
    forged = call(
        cloud, FUNCTION, api_event(DIR, "get_house", path={"houseId": theirs.id}, token=f"{theirs.id}.guess")
    )
    # Then 403 for the other house, 401 for the others, each a JSON error
    assert (other.status, other.json()["error"]) == (403, "forbidden")
    assert (anonymous.status, anonymous.json()["error"]) == (401, "unauthorized")
    assert (forged.status, forged.json()["error"]) == (401, "unauthorized")


def test_an_unknown_house_is_not_found(cloud: LocalCloud) -> None:
    # Given the sample's house id, never registered here
    # When staff read it
    answer = call(cloud, FUNCTION, api_event(DIR, "get_house"))
    # Then 404, naming the house id
    assert answer.status == 404
    assert answer.error_fields() == ["houseId"]


# POST /houses/{houseId}/token --------------------------------------------------------------
def test_a_house_rotates_its_token_and_the_old_one_stops_working(cloud: LocalCloud) -> None:
    # Given a registered house and another one
    house, other = new_house(cloud), new_house(cloud)
    path = {"houseId": house.id}
    # When the other house, or no one, asks for a new token for it
    denied = call(cloud, FUNCTION, api_event(DIR, "post_token", path=path, token=other.token))
    anonymous = call(cloud, FUNCTION, api_event(DIR, "post_token", path=path, token=None))
    # And when the house itself does
    rotated = call(cloud, FUNCTION, api_event(DIR, "post_token", path=path, token=house.token))
    # Then only its own request got one, stored hashed
    assert (denied.status, anonymous.status, rotated.status) == (403, 401, 201)
    token = rotated.json()["token"]
    assert rotated.json()["houseId"] == house.id and token != house.token
    with cloud.locked():
        record = clients(cloud).require(house.id)
    assert record.tokenSha256 == token_sha256(token) and token not in record.model_dump_json()
    # And the old token no longer opens its record, the new one does
    old = call(cloud, FUNCTION, api_event(DIR, "get_house", path=path, token=house.token))
    new = call(cloud, FUNCTION, api_event(DIR, "get_house", path=path, token=token))
    assert (old.status, new.status) == (401, 200)


def test_staff_rotate_a_token_and_an_unknown_house_gets_none(cloud: LocalCloud) -> None:
    house = new_house(cloud)
    assert call(cloud, FUNCTION, api_event(DIR, "post_token", path={"houseId": house.id})).status == 201
    before = table_items(cloud, "ClientsTable")
    unknown = call(cloud, FUNCTION, api_event(DIR, "post_token", path={"houseId": unknown_house_id()}))
    assert (unknown.status, unknown.error_fields()) == (404, ["houseId"])
    assert table_items(cloud, "ClientsTable") == before


# PATCH /houses/{houseId} -----------------------------------------------------------------
def test_a_house_changes_its_name_and_policies(cloud: LocalCloud) -> None:
    # Given a registered house
    house = new_house(cloud)
    # When it sends the sample change with its own token
    answer = call(
        cloud, FUNCTION, api_event(DIR, "patch_house", path={"houseId": house.id}, token=house.token)
    )
    # Then the answer and the store show the new name and policies
    assert answer.status == 200, answer.body
    assert answer.json()["name"] == "Pierre & Marie Curie"
    assert answer.json()["acceptedPolicies"] == ["consumption", "production"]
    stored = clients(cloud).require(house.id)
    assert (stored.name, stored.acceptedPolicies) == ("Pierre & Marie Curie", ["consumption", "production"])


def test_each_change_of_policies_is_recorded_at_the_grid_time(cloud: LocalCloud) -> None:
    # Given a house that accepted consumption at registration
    house = new_house(cloud, policies=["consumption"])

    def change(body: dict[str, Any]) -> Any:
        event = api_event(DIR, "patch_house", path={"houseId": house.id}, token=house.token, body=body)
        answer = call(cloud, FUNCTION, event)
        assert answer.status == 200, answer.body
        return answer.json()

    # When it withdraws it, is renamed, sends the same answer again, then accepts production
    change({"acceptedPolicies": []})
    change({"name": "Les Curie"})
    change({"acceptedPolicies": []})
    last = change({"acceptedPolicies": ["production"]})
    # Then each real change is in its history, oldest first, at the grid's time; renames and repeats are not
    assert last["acceptedPolicies"] == ["production"]
    assert last["policyChanges"] == [
        {"at": CLOCK_START, "acceptedPolicies": ["consumption"]},
        {"at": CLOCK_START, "acceptedPolicies": []},
        {"at": CLOCK_START, "acceptedPolicies": ["production"]},
    ]
    assert clients(cloud).require(house.id).policyChanges[-1] == PolicyChange(
        at=CLOCK_START, acceptedPolicies=[Policy.PRODUCTION]
    )


def test_two_concurrent_changes_of_policies_both_land_in_the_history(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a house, and another change of its policies landing while one is being made
    house = new_house(cloud, policies=["consumption"])
    require = ClientsRepository.require
    landed: list[bool] = []

    def another_change_lands(
        self: ClientsRepository, house_id: str, *, consistent: bool = False
    ) -> HouseRecord:
        found = require(self, house_id, consistent=consistent)
        if not landed:
            landed.append(True)
            self.update(house_id, policies=[Policy.DETAILED], at="2026-03-01T00:05:00Z")
        return found

    monkeypatch.setattr(ClientsRepository, "require", another_change_lands)
    # When the first change is written over what it read
    changed = clients(cloud).update(house.id, policies=[Policy.PRODUCTION], at="2026-03-01T00:06:00Z")
    # Then it saw the other change, read again, and both are in the history in order
    assert [c.acceptedPolicies for c in changed.policyChanges] == [
        [Policy.CONSUMPTION],
        [Policy.DETAILED],
        [Policy.PRODUCTION],
    ]


def test_a_bad_change_is_refused_and_the_record_is_unchanged(cloud: LocalCloud) -> None:
    # Given a registered house
    house, other = new_house(cloud), new_house(cloud)
    cases = [
        (api_event(DIR, "patch_house_empty", path={"houseId": house.id}), 422, "body"),
        (
            api_event(DIR, "patch_house", path={"houseId": house.id}, body={"acceptedPolicies": ["all"]}),
            422,
            "body.acceptedPolicies.0",
        ),
        (
            api_event(DIR, "patch_house", path={"houseId": house.id}, body={"communityId": "c-0123456789ab"}),
            422,
            "body.communityId",
        ),
        (api_event(DIR, "patch_house", path={"houseId": house.id}, token=None), 401, None),
        (api_event(DIR, "patch_house", path={"houseId": house.id}, token=other.token), 403, None),
    ]
    before = table_items(cloud, "ClientsTable")
    for event, status, field in cases:
        # When the change is refused
        answer = call(cloud, FUNCTION, event)
        # Then with the expected status, naming the field
        assert answer.status == status, (event["body"], answer.body)
        if field:
            assert field in answer.error_fields(), answer.body
    # And nothing changed in the store
    assert table_items(cloud, "ClientsTable") == before


def test_changing_an_unknown_house_creates_nothing(cloud: LocalCloud) -> None:
    # Given the sample change of a house never registered here
    # When staff send it
    answer = call(cloud, FUNCTION, api_event(DIR, "patch_house"))
    # Then 404, and no record appeared
    assert answer.status == 404
    assert answer.error_fields() == ["houseId"]
    assert clients(cloud).get("h-0123456789ab") is None


# CompleteRegistrationFunction (workflow.py) ----------------------------------------------
def registering_house(cloud: LocalCloud) -> str:
    house_id = unknown_house_id()
    clients(cloud).create(
        HouseRecord(
            houseId=house_id,
            name="Pierre & Marie",
            location=Location(lat=-45.0, lon=170.0),
            acceptedPolicies=[],
            status=HouseStatus.REGISTERING,
            registeredAt="2026-03-02T10:00:00Z",
            tokenSha256=token_sha256(f"{house_id}.secret"),
        )
    )
    return house_id


def test_completing_registration_activates_the_house_in_its_community(cloud: LocalCloud) -> None:
    # Given a house still registering
    house_id = registering_house(cloud)
    step = {**sample_event(DIR, "workflow_complete_registration"), "houseId": house_id}
    # When the workflow step runs with the community it was given
    result = cloud.invoke("CompleteRegistrationFunction", step)
    # Then the house is active in that community, and the step answers its public record
    assert result["houseId"] == house_id
    assert result["status"] == "active"
    assert result["communityId"] == "c-0123456789ab"
    assert "tokenSha256" not in result
    stored = clients(cloud).require(house_id)
    assert (stored.status, stored.communityId) == (HouseStatus.ACTIVE, "c-0123456789ab")


def test_completing_registration_twice_changes_nothing_more(cloud: LocalCloud) -> None:
    # Given a house whose registration step ran once
    house_id = registering_house(cloud)
    step = {**sample_event(DIR, "workflow_complete_registration"), "houseId": house_id}
    first = cloud.invoke("CompleteRegistrationFunction", step)
    stored = clients(cloud).require(house_id)
    # When Step Functions retries the step
    second = cloud.invoke("CompleteRegistrationFunction", step)
    # Then the answer and the record are the same
    assert second == first
    assert clients(cloud).require(house_id) == stored


def test_completing_registration_of_an_unknown_house_fails_and_creates_nothing(cloud: LocalCloud) -> None:
    # Given the sample step, for a house never registered here
    step = sample_event(DIR, "workflow_complete_registration")
    # When it runs, then it fails (Step Functions will retry it)
    with pytest.raises(ClientError) as failure:
        cloud.invoke("CompleteRegistrationFunction", step)
    assert failure.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    # And no half record was created
    assert clients(cloud).get("h-0123456789ab") is None
