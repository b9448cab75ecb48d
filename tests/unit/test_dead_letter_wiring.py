"""dlq-admin knows every dead-letter queue of the template, may touch those only, and the
runtime's warning line points to it."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.server import describe_dead_letters
from localcloud.template import read_blueprint
from smartgrid.deadletters import parse_queue_map
from tests.conftest import ROOT

BLUEPRINT = read_blueprint(ROOT / "template.yaml")
FUNCTION = BLUEPRINT.resources["DlqAdminFunction"]["Properties"]


def redrive_targets() -> dict[str, str]:
    """Each DLQ of the template (a queue some RedrivePolicy targets), with the queue it serves."""
    targets = {}
    for logical_id, queue in BLUEPRINT.of_type("AWS::SQS::Queue").items():
        redrive = queue.get("Properties", {}).get("RedrivePolicy")
        if redrive:
            targets[redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]] = logical_id
    return targets


def statement(sid: str) -> dict[str, Any]:
    (policy,) = [p for p in FUNCTION["Policies"] if "Statement" in p]
    return next(s for s in policy["Statement"] if s["Sid"] == sid)


def test_every_dlq_of_the_template_is_in_the_functions_environment() -> None:
    text = FUNCTION["Environment"]["Variables"]["DEAD_LETTER_QUEUES"]["Fn::Sub"]
    assert parse_queue_map(text) == {dlq: "${" + dlq + "}" for dlq in redrive_targets()}


def test_the_function_reads_the_dlqs_and_sends_to_their_sources_only() -> None:
    peek = statement("PeekAndDrainTheDeadLetterQueues")["Resource"]
    send = statement("SendBackToTheSourceQueues")
    assert sorted(r["Fn::GetAtt"][0] for r in peek) == sorted(redrive_targets())
    assert send["Action"] == "sqs:SendMessage"
    assert sorted(r["Fn::GetAtt"][0] for r in send["Resource"]) == sorted(redrive_targets().values())


def test_every_sqs_consumer_may_record_why_a_message_failed_and_dlq_admin_reads_it() -> None:
    consumers = [
        logical_id
        for logical_id, spec in BLUEPRINT.functions.items()
        if any(e.type == "SQS" for e in spec.events)
    ]
    assert consumers
    for logical_id in consumers:
        policies = BLUEPRINT.resources[logical_id]["Properties"]["Policies"]
        assert {"Ref": "RecordDeadLetterReasonsPolicy"} in policies, logical_id
        assert BLUEPRINT.functions[logical_id].environment["DEAD_LETTER_REASONS_TABLE"] == {
            "Ref": "DeadLetterReasonsTable"
        }
    assert {"DynamoDBReadPolicy": {"TableName": {"Ref": "DeadLetterReasonsTable"}}} in FUNCTION["Policies"]


def test_a_malformed_queue_map_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="LogicalId=URL"):
        parse_queue_map("A=https://sqs/a B")


def test_the_warning_names_each_queue_its_depth_and_the_route() -> None:
    line = describe_dead_letters({"B": 2, "A": 1})
    assert line == (
        "warning: dead-letter queues not empty: A 1, B 2"
        " (see GET /admin/dlq; replay with POST /admin/dlq/{queue}/redrive)"
    )
    assert describe_dead_letters({}) == "dead-letter queues are empty again"
