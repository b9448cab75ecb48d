"""dlq-admin: staff see each dead-letter queue with its depth and a sample left in place, and
move a queue's messages back to its source queue; everyone else is refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from localcloud import LocalCloud
from tests.conftest import sample_event
from tests.functions.support import api_event, call, new_house

FUNCTION = "DlqAdminFunction"
DIR = "dlq_admin"
DLQ = "ConsumptionSchedulerDeadLetterQueue"
SOURCE = "ConsumptionSchedulerQueue"
POISON = '{"topic": "consumption.client", "events": [{"houseId": 42'  # cut short: no handler parses it


def depth(cloud: LocalCloud, queue: str) -> int:
    with cloud.locked():
        attributes = cloud.clients.sqs.get_queue_attributes(
            QueueUrl=cloud.provisioned.queues[queue], AttributeNames=["ApproximateNumberOfMessages"]
        )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def send(cloud: LocalCloud, queue: str, body: str) -> None:
    with cloud.locked():
        cloud.clients.sqs.send_message(QueueUrl=cloud.provisioned.queues[queue], MessageBody=body)


def listed(cloud: LocalCloud) -> dict[str, Any]:
    answer = call(cloud, FUNCTION, api_event(DIR, "get_dead_letters"))
    assert answer.status == 200, answer.body
    return {queue["queue"]: queue for queue in answer.json()["queues"]}


def redrive(cloud: LocalCloud, queue: str) -> Any:
    return call(cloud, FUNCTION, api_event(DIR, "post_redrive", path={"queue": queue}))


@pytest.fixture(autouse=True)
def empty_queues(cloud: LocalCloud) -> None:
    """Each test starts with both queues empty (PurgeQueue is allowed once a minute only)."""
    with cloud.locked():
        for queue in (DLQ, SOURCE):
            url = cloud.provisioned.queues[queue]
            while messages := cloud.clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages"
            ):
                for message in messages:
                    cloud.clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_every_dead_letter_queue_is_listed_empty_with_its_source(cloud: LocalCloud) -> None:
    # When staff list the dead letters of a grid where nothing failed
    queues = listed(cloud)
    # Then each DLQ of the template is there, empty, with the queue it serves
    assert DLQ in queues and len(queues) == len(cloud.provisioned.dead_letter_queues)
    assert queues[DLQ]["sourceQueues"] == [cloud.provisioned.queues[SOURCE].rsplit("/", 1)[-1]]
    assert all(q["depth"] == 0 and q["sample"] == [] for q in queues.values())


def test_a_poison_message_is_listed_with_its_sample_and_peeking_leaves_it(cloud: LocalCloud) -> None:
    # Given a poison message on a dead-letter queue
    send(cloud, DLQ, POISON)
    # When staff list the dead letters twice
    first, second = listed(cloud)[DLQ], listed(cloud)[DLQ]
    # Then it is listed with depth 1, its body and the topic it names, and still there after both peeks
    assert (first["depth"], second["depth"], depth(cloud, DLQ)) == (1, 1, 1)
    (sample,) = second["sample"]
    assert (sample["body"], sample["bodyTruncated"], sample["topic"]) == (POISON, False, None)
    assert sample["receiveCount"] == 2  # the two peeks
    assert sample["sentAt"].endswith("Z")


def test_a_long_bus_message_is_sampled_cut_with_its_topic(cloud: LocalCloud) -> None:
    # Given a bus message of 10 kB on a dead-letter queue
    body = json.dumps({"topic": "consumption.client", "events": [], "padding": "x" * 10_000})
    send(cloud, DLQ, body)
    # When staff list the dead letters
    (sample,) = listed(cloud)[DLQ]["sample"]
    # Then its sample is cut at 4 kB and names its topic
    assert (len(sample["body"]), sample["bodyTruncated"], sample["topic"]) == (
        4096,
        True,
        "consumption.client",
    )


def test_redrive_moves_every_message_back_to_its_source_queue(cloud: LocalCloud) -> None:
    # Given three messages on a dead-letter queue
    for n in range(3):
        send(cloud, DLQ, f"{POISON} {n}")
    # When staff redrive it
    answer = redrive(cloud, DLQ)
    # Then the three are in the source queue and none is left in the DLQ
    assert answer.status == 200, answer.body
    assert answer.json() == {
        "queue": DLQ,
        "sourceQueue": answer.json()["sourceQueue"],
        "moved": 3,
        "remaining": 0,
    }
    assert (depth(cloud, DLQ), depth(cloud, SOURCE)) == (0, 3)
    with cloud.locked():
        messages = cloud.clients.sqs.receive_message(
            QueueUrl=cloud.provisioned.queues[SOURCE], MaxNumberOfMessages=10
        )["Messages"]
    assert sorted(m["Body"] for m in messages) == [f"{POISON} {n}" for n in range(3)]


def test_redriving_an_empty_queue_moves_nothing(cloud: LocalCloud) -> None:
    answer = redrive(cloud, DLQ)
    assert (answer.status, answer.json()["moved"], depth(cloud, SOURCE)) == (200, 0, 0)


def test_an_unknown_queue_is_a_404_naming_it(cloud: LocalCloud) -> None:
    # When staff redrive a queue that is no DLQ of the template (a source queue, say)
    answer = redrive(cloud, SOURCE)
    # Then 404 names the queue and lists the accepted names
    assert answer.status == 404, answer.body
    assert answer.error_fields() == ["queue"]
    assert DLQ in answer.json()["known"] and SOURCE not in answer.json()["known"]


@pytest.mark.parametrize("case", ["get_dead_letters", "post_redrive"])
def test_only_staff_may_see_or_redrive(cloud: LocalCloud, case: str) -> None:
    # Given a poison message and a registered house
    send(cloud, DLQ, POISON)
    house = new_house(cloud)
    # When a caller without a token, then the house, try
    anonymous = call(cloud, FUNCTION, api_event(DIR, case, token=None))
    a_house = call(cloud, FUNCTION, api_event(DIR, case, token=house.token))
    # Then 401 and 403, and the message was neither received nor moved
    assert (anonymous.status, a_house.status) == (401, 403)
    assert (depth(cloud, DLQ), depth(cloud, SOURCE)) == (1, 0)


def test_a_dead_letter_is_listed_with_the_error_its_consumer_recorded(cloud: LocalCloud) -> None:
    # Given a poison message on the dead-letter queue, which the scheduler failed on at its fifth delivery
    send(cloud, DLQ, POISON)
    (dead,) = listed(cloud)[DLQ]["sample"]
    assert dead["lastFailure"] is None  # nothing recorded yet
    event = copy.deepcopy(sample_event("consumption_scheduler", "consumer_frame"))
    record = event["Records"][0]
    record.update(messageId=dead["messageId"], body=POISON)
    record["attributes"]["ApproximateReceiveCount"] = "5"
    event["Records"] = [record]
    with pytest.raises(BatchProcessingError):  # its only record failed: the whole batch fails
        cloud.invoke("ConsumptionSchedulerFunction", event)
    # When staff list the dead letters
    (sample,) = listed(cloud)[DLQ]["sample"]
    # Then the sample says which function failed on it, how, and at which delivery
    failure = sample["lastFailure"]
    assert failure["function"] == cloud.host("ConsumptionSchedulerFunction").physical_name
    assert failure["errorType"] == "ValidationError" and "Invalid JSON" in failure["error"]
    assert failure["receiveCount"] == 5 and failure["failedAt"].endswith("Z")
    assert failure["queue"] == record["eventSourceARN"].rsplit(":", 1)[-1]
