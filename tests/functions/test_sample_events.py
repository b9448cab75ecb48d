"""The sample events of events/: one folder per function folder of the template, events of the
shapes AWS sends (`sam local invoke <LogicalId> -e events/<dir>/<case>.json`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from localcloud.template import EventSpec, FunctionSpec, read_blueprint
from smartgrid import bus
from smartgrid.events import EVENT_OF_TOPIC, Message, Topic
from tests.conftest import EVENTS, ROOT, sample_event

BLUEPRINT = read_blueprint(ROOT / "template.yaml")
FUNCTIONS = BLUEPRINT.functions


def folder(spec: FunctionSpec) -> str:
    return spec.code_uri.name


def module(spec: FunctionSpec) -> str:
    return spec.handler.rpartition(".")[0]


def cases_of(spec: FunctionSpec) -> list[str]:
    """A function's cases: those named after its handler module (workflow_*, tick), or, for
    `app`, every case of the folder not named after another handler of it."""
    names = sorted(p.stem for p in (EVENTS / folder(spec)).glob("*.json"))
    if module(spec) != "app":
        return [n for n in names if n == module(spec) or n.startswith(module(spec) + "_")]
    others = {module(s) for s in FUNCTIONS.values() if folder(s) == folder(spec) and module(s) != "app"}
    return [n for n in names if not any(n == o or n.startswith(o + "_") for o in others)]


def api_routes(spec: FunctionSpec) -> set[tuple[str, str]]:
    return {
        (str(e.properties["Method"]).upper(), str(e.properties["Path"]))
        for e in spec.events
        if e.type == "Api"
    }


def queue_topics(event: EventSpec) -> set[Topic]:
    """The bus topics behind an SQS event source: those its queue is subscribed to."""
    queue = event.properties["Queue"]["Fn::GetAtt"][0]
    subscriptions = [
        r["Properties"]
        for r in BLUEPRINT.of_type("AWS::SNS::Subscription").values()
        if r["Properties"]["Endpoint"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    assert subscriptions, f"{queue} is subscribed to no topic"
    names = [
        BLUEPRINT.resources[s["TopicArn"]["Ref"]]["Properties"]["TopicName"]["Fn::Sub"] for s in subscriptions
    ]
    return {Topic(n.removeprefix("smartgrid-${Stage}-").replace("-", ".")) for n in names}


ALL_CASES = [(logical_id, case) for logical_id, spec in FUNCTIONS.items() for case in cases_of(spec)]


def test_every_function_has_sample_events() -> None:
    missing = [logical_id for logical_id, spec in FUNCTIONS.items() if not cases_of(spec)]
    assert missing == []
    assert {p.name for p in EVENTS.iterdir() if p.is_dir()} == {folder(s) for s in FUNCTIONS.values()}


def test_every_api_route_has_a_sample_event() -> None:
    covered = set()
    for logical_id, case in ALL_CASES:
        event = sample_event(folder(FUNCTIONS[logical_id]), case)
        if "httpMethod" in event:
            covered.add((event["httpMethod"], event["resource"]))
    declared = {route for spec in FUNCTIONS.values() for route in api_routes(spec)}
    assert declared - covered == set()


@pytest.mark.parametrize(("logical_id", "case"), ALL_CASES, ids=[f"{f}:{c}" for f, c in ALL_CASES])
def test_the_sample_is_an_event_of_the_functions_source(logical_id: str, case: str) -> None:
    spec = FUNCTIONS[logical_id]
    event = sample_event(folder(spec), case)
    kinds = {e.type for e in spec.events}
    if "Api" in kinds:
        check_api_event(spec, event)
    elif "SQS" in kinds:
        (source,) = [e for e in spec.events if e.type == "SQS"]
        check_sqs_event(source, event, bad_allowed=case.endswith("_bad_record"))
    elif "EventBridgeRule" in kinds:
        (rule,) = [e for e in spec.events if e.type == "EventBridgeRule"]
        check_rule_event(rule, event)
    elif "Schedule" in kinds:
        assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
        assert event["resources"][0].startswith("arn:aws:events:") and event["detail"] == {}
    elif logical_id == "AssignCommunityFunction":
        assert set(event) == {"houseId", "location"} and set(event["location"]) == {"lat", "lon"}
    elif logical_id == "CompleteRegistrationFunction":
        assert set(event) == {"houseId", "communityId"}
    else:
        pytest.fail(f"{logical_id}: no check for its kind of event")


def check_api_event(spec: FunctionSpec, event: dict[str, Any]) -> None:
    # A REST API (v1) proxy event, of one of the function's routes, at stage dev
    assert (event["httpMethod"], event["resource"]) in api_routes(spec)
    context = event["requestContext"]
    assert (context["resourcePath"], context["httpMethod"], context["stage"]) == (
        event["resource"],
        event["httpMethod"],
        "dev",
    )
    path = event["resource"]
    for name, value in (event["pathParameters"] or {}).items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path and event["path"] == path and context["path"] == f"/dev{path}"
    assert event["isBase64Encoded"] is False
    assert event["multiValueHeaders"] == {k: [v] for k, v in event["headers"].items()}
    query = event["queryStringParameters"]
    assert event["multiValueQueryStringParameters"] == ({k: [v] for k, v in query.items()} if query else None)
    if event["body"] is not None:
        assert isinstance(event["body"], str) and event["headers"]["Content-Type"] == "application/json"
    authorization = event["headers"].get("Authorization")
    assert authorization in (None, "Bearer local-staff-token")


def check_sqs_event(source: EventSpec, event: dict[str, Any], bad_allowed: bool) -> None:
    # SQS records as Lambda's event source mapping sends them, each body a bus message
    # exactly as smartgrid.bus.pack writes it
    topics = queue_topics(source)
    generic_message: Any = Message
    queue = source.properties["Queue"]["Fn::GetAtt"][0]
    invalid = 0
    for record in event["Records"]:
        assert record["eventSource"] == "aws:sqs"
        assert (
            record["eventSourceARN"].startswith("arn:aws:sqs:us-east-1:")
            and queue in record["eventSourceARN"]
        )
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        topic = Topic(record["messageAttributes"]["topic"]["stringValue"])
        assert topic in topics
        assert {"ApproximateReceiveCount", "SentTimestamp", "SenderId"} <= set(record["attributes"])
        try:
            message = generic_message[EVENT_OF_TOPIC[topic]].model_validate_json(record["body"])
        except ValueError:
            invalid += 1
            continue
        assert message.topic is topic
        (packed,) = bus.pack(topic, message.events)
        repacked = json.loads(packed)["messageId"]
        assert packed.replace(repacked, message.messageId) == record["body"]
    assert invalid == (1 if bad_allowed else 0)
    assert len({r["messageId"] for r in event["Records"]}) == len(event["Records"])


def check_rule_event(rule: EventSpec, event: dict[str, Any]) -> None:
    # An EventBridge event as the rule's target receives it, matching the rule's pattern
    fields = ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert set(fields) <= set(event)
    pattern = rule.properties["Pattern"]
    for name, allowed in pattern.items():
        if name != "detail":
            assert event[name] in allowed, (name, event[name])
    assert isinstance(event["detail"], dict)


def test_every_sample_file_is_json_of_a_known_function() -> None:
    known = {folder(s) for s in FUNCTIONS.values()}
    cases = {(folder(FUNCTIONS[f]), c) for f, c in ALL_CASES}
    for path in sorted(Path(EVENTS).rglob("*.json")):
        json.loads(path.read_text())
        assert path.parent.name in known
        assert (path.parent.name, path.stem) in cases, f"{path} belongs to no function"
