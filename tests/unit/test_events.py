"""The bus's event models: one per topic, strict, and JSON round-trips."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from smartgrid.events import (
    EVENT_OF_TOPIC,
    ClientConsumption,
    DetailedConsumptionReading,
    Event,
    Message,
    Topic,
)


def test_every_topic_has_an_event_model() -> None:
    assert set(EVENT_OF_TOPIC) == set(Topic)
    assert all(issubclass(model, Event) for model in EVENT_OF_TOPIC.values())


def test_topics_have_distinct_models() -> None:
    assert len(set(EVENT_OF_TOPIC.values())) == len(EVENT_OF_TOPIC)


def test_every_event_model_forbids_extra_fields_and_is_frozen() -> None:
    for model in EVENT_OF_TOPIC.values():
        assert model.model_config.get("extra") == "forbid", model.__name__
        assert model.model_config.get("frozen") is True, model.__name__


def test_client_consumption_message_round_trips_through_json() -> None:
    # Given a message of client consumptions
    message = Message[ClientConsumption](
        topic=Topic.CONSUMPTION_CLIENT,
        messageId="m-1",
        events=[
            ClientConsumption(houseId="h-1", timestamp="2024-03-01T10:00:00Z", mwh=8333),
            ClientConsumption(houseId="h-2", timestamp="2024-03-01T10:00:00Z", durationMinutes=15, mwh=0),
        ],
    )
    # When written to JSON and read back / Then it is the same message
    text = message.model_dump_json()
    assert Message[ClientConsumption].model_validate_json(text) == message
    assert '"topic":"consumption.client"' in text


def test_message_events_are_typed() -> None:
    text = (
        '{"topic": "consumption.client", "messageId": "m", "events": [{"houseId": "h-1", "timestamp": "t"}]}'
    )
    with pytest.raises(ValidationError) as caught:
        Message[ClientConsumption].model_validate_json(text)
    assert caught.value.errors()[0]["loc"] == ("events", 0, "mwh")


def test_extra_fields_on_an_event_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ClientConsumption.model_validate({"houseId": "h-1", "timestamp": "t", "mwh": 1, "wh": 1})
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


def test_extra_fields_on_a_message_are_refused() -> None:
    text = '{"topic": "consumption.client", "messageId": "m", "events": [], "sender": "x"}'
    with pytest.raises(ValidationError) as caught:
        Message[ClientConsumption].model_validate_json(text)
    assert caught.value.errors()[0]["loc"] == ("sender",)


def test_extra_fields_inside_a_message_event_are_refused() -> None:
    text = (
        '{"topic": "consumption.client", "messageId": "m", '
        '"events": [{"houseId": "h-1", "timestamp": "t", "mwh": 1, "objects": {}}]}'
    )
    with pytest.raises(ValidationError):
        Message[ClientConsumption].model_validate_json(text)


def test_unknown_topic_is_refused() -> None:
    with pytest.raises(ValidationError):
        Message[ClientConsumption].model_validate(
            {"topic": "consumption.nope", "messageId": "m", "events": []}
        )


def test_events_are_immutable() -> None:
    event = DetailedConsumptionReading(houseId="h-1", timestamp="t", objects={"a": 1})
    with pytest.raises(ValidationError):
        event.houseId = "h-2"  # type: ignore[misc]


@pytest.mark.parametrize("topic", list(Topic))
def test_every_event_model_has_a_json_schema(topic: Topic) -> None:
    model: type[BaseModel] = EVENT_OF_TOPIC[topic]
    schema = model.model_json_schema()
    assert schema["additionalProperties"] is False
