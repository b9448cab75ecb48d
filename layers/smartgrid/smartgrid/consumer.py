"""SQS consumers: powertools' BatchProcessor, one bus message (a batch of events) a record.

A record that fails is reported in `batchItemFailures` and redelivered alone; the others
are deleted. Handlers must be idempotent: SQS delivers at least once. A record's failure is
recorded by message id (`stores.deadletters`) so that dlq-admin can say why a dead letter
died: one write, on failure only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, cast

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel

from smartgrid.events import EVENT_OF_TOPIC, E, Message, Topic
from smartgrid.observability import observability
from smartgrid.stores.deadletters import DeadLetterReasons, failure_now
from smartgrid.stores.outbox import delivering

REASONS_TABLE_VARIABLE = "DEAD_LETTER_REASONS_TABLE"


def _record_failure(record: SQSRecord, error: Exception) -> None:
    """Best effort: a failure to record the reason must not hide the failure itself."""
    table = os.environ.get(REASONS_TABLE_VARIABLE)
    if not table:
        return
    try:
        failure = failure_now(
            function=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", ""),
            queue=record.event_source_arn.rsplit(":", 1)[-1],
            error=error,
            receive_count=int(record.attributes.approximate_receive_count or 0),
        )
        DeadLetterReasons(table).record(record.message_id, failure)
    except Exception:
        observability().logger.exception("could not record why a message failed")


def _recording_failures(handle: Callable[[SQSRecord], None]) -> Callable[[SQSRecord], None]:
    def record_handler(record: SQSRecord) -> None:
        try:
            with delivering(record.message_id):
                handle(record)
        except Exception as error:
            _record_failure(record, error)
            raise

    return record_handler


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
        event=event, record_handler=_recording_failures(record_handler), processor=processor, context=context
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
        event=event, record_handler=_recording_failures(record_handler), processor=processor, context=context
    )
    return cast(dict[str, Any], response)
