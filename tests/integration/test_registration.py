"""Registration end to end: the API, the RegisterHouse workflow on Step Functions, the stores."""

from __future__ import annotations

import json

import pytest

from localcloud import LocalCloud
from tests.conftest import STAFF_TOKEN, item_count
from tests.helpers import register_house

PARIS = (48.8566, 2.3522)
NEAR_PARIS = (48.86, 2.36)
LYON = (45.764, 4.8357)


def test_a_house_gets_an_id_at_once_and_a_community_after_the_workflow(cloud: LocalCloud) -> None:
    # Given a new house
    house = register_house(cloud, "Pierre & Marie", *PARIS, policies=["consumption", "production"])
    # When it reads its record straight away
    first = cloud.request("GET", f"/houses/{house.id}", token=house.token).json()
    # Then it is registering, without a community yet
    assert first["status"] == "registering" and first["communityId"] is None
    # When the workflow has run
    cloud.drain()
    record = cloud.request("GET", f"/houses/{house.id}", token=house.token).json()
    # Then the house is active in a community that lists it
    assert record["status"] == "active"
    assert record["acceptedPolicies"] == ["consumption", "production"]
    community = cloud.request("GET", f"/communities/{record['communityId']}", token=STAFF_TOKEN).json()
    assert house.id in community["houses"]


def test_neighbours_share_a_community_and_a_far_house_gets_its_own(cloud: LocalCloud) -> None:
    # Given two neighbours and a house in another city
    first = register_house(cloud, "first", *PARIS)
    neighbour = register_house(cloud, "neighbour", *NEAR_PARIS)
    far = register_house(cloud, "far", *LYON)
    # When their registrations complete
    cloud.drain()
    community = {
        h.id: cloud.request("GET", f"/houses/{h.id}", token=h.token).json()["communityId"]
        for h in (first, neighbour, far)
    }
    # Then the neighbours are together and the far house is elsewhere
    assert community[first.id] == community[neighbour.id]
    assert community[far.id] != community[first.id]


def test_registration_survives_a_failing_step(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the community store failing once, as a passing outage would
    module = cloud.host("AssignCommunityFunction").module
    real_assign = module.assign
    calls = {"n": 0}

    def flaky(step: object, settings: object) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("the communities table is unreachable")
        return real_assign(step, settings)  # type: ignore[no-any-return]

    monkeypatch.setattr(module, "assign", flaky)
    # When a house registers
    house = register_house(cloud, "patient house", *PARIS)
    cloud.drain()
    # Then the workflow retried and the house is active
    record = cloud.request("GET", f"/houses/{house.id}", token=house.token).json()
    assert calls["n"] == 2
    assert record["status"] == "active" and record["communityId"]


def test_a_producer_registers_with_a_limit_that_the_bus_hears(cloud: LocalCloud) -> None:
    # Given a queue listening to production.limit
    sqs, sns = cloud.clients.sqs, cloud.clients.sns
    url = sqs.create_queue(QueueName="test-limits")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=cloud.provisioned.topics["ProductionLimitTopic"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    # When a producer registers without a limit, then changes it
    answer = cloud.request("POST", "/producers", json_body={"name": "Nikola"})
    producer_id, token = answer.json()["producerId"], answer.json()["token"]
    changed = cloud.request(
        "PATCH", f"/producers/{producer_id}", token=token, json_body={"productionLimitW": 2500}
    )
    # Then its limit is the default 10,000 W, then 2,500 W, and both were announced
    assert answer.status == 201 and changed.status == 200
    assert changed.json()["productionLimitW"] == 2500
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    limits = [e["limitW"] for m in messages for e in json.loads(m["Body"])["events"]]
    assert limits == [10_000, 2500]


def test_a_house_becomes_a_local_producer_once(cloud: LocalCloud) -> None:
    # Given a house
    house = register_house(cloud, "Albert's client", *PARIS)
    # When it becomes a producer twice
    first = cloud.request("POST", f"/houses/{house.id}/producer", token=house.token)
    again = cloud.request("POST", f"/houses/{house.id}/producer", token=house.token)
    # Then one producer of kind house exists, shown on the house
    assert first.status == 201 and again.status == 200
    assert first.json() == again.json()
    producer_id = first.json()["producerId"]
    producer = cloud.request("GET", f"/producers/{producer_id}", token=house.token).json()
    assert producer["kind"] == "house" and producer["houseId"] == house.id
    assert cloud.request("GET", f"/houses/{house.id}", token=house.token).json()["producerId"] == producer_id


def test_bad_registrations_are_refused_and_nothing_is_stored(cloud: LocalCloud) -> None:
    cloud.drain()
    houses_before = item_count(cloud, "ClientsTable")
    bad_bodies = [
        ({"location": {"lat": 1, "lon": 2}}, "body.name"),
        ({"name": "x", "location": {"lat": 91, "lon": 2}}, "body.location.lat"),
        (
            {"name": "x", "location": {"lat": 1, "lon": 2}, "acceptedPolicies": ["everything"]},
            "body.acceptedPolicies.0",
        ),
        ({"name": "x", "location": {"lat": 1, "lon": 2}, "admin": True}, "body.admin"),
    ]
    for body, field in bad_bodies:
        # When a registration is malformed
        answer = cloud.request("POST", "/houses", json_body=body)
        # Then it is a 422 naming the field
        assert answer.status == 422, body
        assert field in [f["field"] for f in answer.json()["fields"]], answer.json()
    # And nothing was stored, nor any workflow started
    assert item_count(cloud, "ClientsTable") == houses_before
    assert cloud.executions_running() == 0
