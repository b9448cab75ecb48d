"""Packing events into SNS message bodies (no AWS: `pack` and topic names only)."""

from __future__ import annotations

import json

import pytest

from smartgrid.bus import MESSAGE_LIMIT_BYTES, pack, topic_arn
from smartgrid.events import ClientConsumption, DetailedConsumptionReading, Message, Topic

# Names a French household gives its appliances
FRENCH_OBJECTS = [
    "Télé séjour",
    "Sèche-linge étagère",
    "Éclairage été",
    "Réfrigérateur-congélateur",
    "Chauffe-eau électrique",
]
SNS_MAX_BYTES = 262_144


def client_consumption(n: int) -> ClientConsumption:
    return ClientConsumption(houseId=f"h-{n:012d}", timestamp="2024-03-01T10:00:00Z", mwh=n)


def detailed(n: int, objects: list[str]) -> DetailedConsumptionReading:
    return DetailedConsumptionReading(
        houseId=f"h-{n:012d}",
        timestamp="2024-03-01T10:00:00Z",
        objects={f"{name} {k}": n * 10 + k for k, name in enumerate(objects)},
    )


def unpack(bodies: list[str], model: type) -> list:
    return [event for body in bodies for event in Message[model].model_validate_json(body).events]


def test_one_small_event_is_one_body() -> None:
    # Given one event / When packed / Then one body that parses back to that event on its topic
    event = client_consumption(1)
    bodies = pack(Topic.CONSUMPTION_CLIENT, [event])
    assert len(bodies) == 1
    message = Message[ClientConsumption].model_validate_json(bodies[0])
    assert message.topic is Topic.CONSUMPTION_CLIENT
    assert message.events == [event]
    assert len(message.messageId) == 32


def test_no_event_is_no_body() -> None:
    assert pack(Topic.CONSUMPTION_CLIENT, []) == []


def test_bodies_are_valid_json_with_unique_message_ids() -> None:
    bodies = pack(Topic.CONSUMPTION_CLIENT, [client_consumption(n) for n in range(5000)])
    ids = [json.loads(body)["messageId"] for body in bodies]
    assert len(set(ids)) == len(ids)


def test_many_events_are_split_under_the_limit_in_order_exactly_once() -> None:
    # Given more events than fit in one message
    events = [client_consumption(n) for n in range(6000)]
    # When packed
    bodies = pack(Topic.CONSUMPTION_CLIENT, events)
    # Then several bodies, each under the limit, holding every event once, in order
    assert len(bodies) > 1
    assert all(len(body.encode()) <= MESSAGE_LIMIT_BYTES for body in bodies)
    assert unpack(bodies, ClientConsumption) == events


def test_big_events_are_split_under_the_limit() -> None:
    events = [detailed(n, [f"object-{k}" for k in range(200)]) for n in range(120)]
    bodies = pack(Topic.CONSUMPTION_RAW_DETAILED, events)
    assert len(bodies) > 1
    assert all(len(body.encode()) <= MESSAGE_LIMIT_BYTES for body in bodies)
    assert unpack(bodies, DetailedConsumptionReading) == events


def test_non_ascii_events_stay_under_the_limit_in_bytes() -> None:
    # Given readings of French appliances (accents are 2 bytes in UTF-8), more than one message holds
    events = [detailed(n, FRENCH_OBJECTS * 4) for n in range(400)]
    # When packed
    bodies = pack(Topic.CONSUMPTION_RAW_DETAILED, events)
    # Then every body fits MESSAGE_LIMIT_BYTES counted in bytes, as SNS counts them
    sizes = [len(body.encode("utf-8")) for body in bodies]
    assert max(sizes) <= MESSAGE_LIMIT_BYTES, f"body sizes in bytes: {sizes} (SNS refuses > {SNS_MAX_BYTES})"
    assert unpack(bodies, DetailedConsumptionReading) == events


@pytest.mark.parametrize(
    ("topic", "env_var"),
    [
        (Topic.CONSUMPTION_RAW_DETAILED, "CONSUMPTION_RAW_DETAILED_TOPIC_ARN"),
        (Topic.PRODUCTION_RAW_GLOBAL, "PRODUCTION_RAW_GLOBAL_TOPIC_ARN"),
        (Topic.REACH_PRODUCTION_LIMIT, "REACH_PRODUCTION_LIMIT_TOPIC_ARN"),
        (Topic.SALE_DATA, "SALE_DATA_TOPIC_ARN"),
        (Topic.ALERT, "ALERT_TOPIC_ARN"),
    ],
)
def test_topic_env_var(topic: Topic, env_var: str) -> None:
    assert topic.env_var == env_var


def test_topic_env_vars_are_distinct() -> None:
    assert len({topic.env_var for topic in Topic}) == len(Topic)


def test_topic_arn_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSUMPTION_CLIENT_TOPIC_ARN", "arn:aws:sns:eu-west-3:123456789012:client")
    assert topic_arn(Topic.CONSUMPTION_CLIENT) == "arn:aws:sns:eu-west-3:123456789012:client"


def test_topic_arn_missing_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BATTERY_STATE_TOPIC_ARN", raising=False)
    with pytest.raises(RuntimeError, match="BATTERY_STATE_TOPIC_ARN"):
        topic_arn(Topic.BATTERY_STATE)
