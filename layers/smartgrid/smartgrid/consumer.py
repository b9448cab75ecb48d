"""SQS consumers: powertools' BatchProcessor, one bus message (a batch of events) a record.

A record that fails is reported in `batchItemFailures` and redelivered alone; the others
are deleted. Handlers must be idempotent: SQS delivers at least once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel

from smartgrid.events import EVENT_OF_TOPIC, E, Message, Topic


def consume(
    event: dict[str, Any],
    context: Any,
    event_model: type[E],
    handle: Callable[[Message[E]], None],
) -> dict[str, Any]:
    message_model = Message[event_model]  # type: ignore[valid-type]

    def record_handler(record: SQSRecord) -> None:
        handle(message_model.model_validate_json(record.body))

    processor = BatchProcessor(event_type=EventType.SQS)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return cast(dict[str, Any], response)


class _Head(BaseModel):
    topic: Topic


def consume_topics(
    event: dict[str, Any],
    context: Any,
    handlers: Mapping[Topic, Callable[[Message[Any]], None]],
) -> dict[str, Any]:
    """As `consume`, for a queue subscribed to several topics: each record is read as a
    message of the topic its body names and given to that topic's handler. A record of a
    topic with no handler fails alone (and ends in the dead-letter queue)."""

    def record_handler(record: SQSRecord) -> None:
        topic = _Head.model_validate_json(record.body).topic
        if topic not in handlers:
            raise ValueError(f"no handler for topic {topic}")
        generic: Any = Message  # the topic's event type is known only at run time
        handlers[topic](generic[EVENT_OF_TOPIC[topic]].model_validate_json(record.body))

    processor = BatchProcessor(event_type=EventType.SQS)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return cast(dict[str, Any], response)
