"""How many messages an SQS queue holds: waiting, and being received right now."""

from __future__ import annotations

from typing import Any

DEPTH_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


def depth(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(waiting, in flight) of a queue."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=DEPTH_ATTRIBUTES)["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )
