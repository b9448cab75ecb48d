"""Dead letters through the local runtime (issue 9): a poison message ends in its queue's DLQ
after maxReceiveCount deliveries, nothing else does, and staff see it (with the error that
sent it there) and replay it."""

from __future__ import annotations

from localcloud import LocalCloud
from localcloud.template import read_blueprint
from tests.conftest import ROOT
from tests.helpers import staff

QUEUE = "ClientNotifierQueue"
DLQ = "ClientNotifierDeadLetterQueue"
POISON = '{"topic": "autarky.changed", "events": [{"houseId": '  # cut short: no handler parses it


def max_receive_count(queue: str) -> int:
    redrive = read_blueprint(ROOT / "template.yaml").resources[queue]["Properties"]["RedrivePolicy"]
    return int(redrive["maxReceiveCount"])


def test_a_poison_message_ends_in_its_dlq_is_listed_and_replayed(cloud: LocalCloud) -> None:
    # Given a poison message on the client notifier's queue
    cloud.clients.sqs.send_message(QueueUrl=cloud.provisioned.queues[QUEUE], MessageBody=POISON)
    # When the grid delivers it until it gives up
    cloud.drain()
    # Then staff see it in that queue's DLQ only, received maxReceiveCount times (and once by the peek)
    listed = {q["queue"]: q for q in staff(cloud, "GET", "/admin/dlq")["queues"]}
    assert listed[DLQ]["depth"] == 1
    assert listed[DLQ]["sourceQueues"] == [cloud.provisioned.queues[QUEUE].rsplit("/", 1)[-1]]
    (sample,) = listed[DLQ]["sample"]
    assert (sample["body"], sample["receiveCount"]) == (POISON, max_receive_count(QUEUE) + 1)
    # And with the error that sent it there, recorded by its consumer at its last delivery
    failure = sample["lastFailure"]
    assert failure["errorType"] == "ValidationError" and "Invalid JSON" in failure["error"]
    assert failure["receiveCount"] == max_receive_count(QUEUE)
    assert failure["function"] == cloud.host("ClientNotifierFunction").physical_name
    assert failure["queue"] == cloud.provisioned.queues[QUEUE].rsplit("/", 1)[-1]
    assert {name: q["depth"] for name, q in listed.items() if name != DLQ} == dict.fromkeys(
        set(listed) - {DLQ}, 0
    )
    # When staff replay it (the bug still unfixed)
    moved = staff(cloud, "POST", f"/admin/dlq/{DLQ}/redrive")
    # Then it went back to its source queue, was delivered again, and is back in the DLQ alone
    assert (moved["moved"], moved["remaining"]) == (1, 0)
    cloud.drain()
    depths = cloud.dead_letters()
    assert depths.pop(QUEUE) == 1
    assert not any(depths.values())


def test_redriving_an_unknown_queue_names_it(cloud: LocalCloud) -> None:
    answer = staff(cloud, "POST", "/admin/dlq/NoSuchQueue/redrive", status=404)
    assert answer["fields"][0]["field"] == "queue"
    assert DLQ in answer["known"]
