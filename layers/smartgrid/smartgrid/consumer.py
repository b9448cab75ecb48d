"""SQS consumers: powertools' BatchProcessor, one bus message (a batch of events) a record.

A record that fails is reported in `batchItemFailures` and redelivered alone; the others
are deleted. Handlers must be idempotent: SQS delivers at least once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smartgrid.events import E, Message


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
