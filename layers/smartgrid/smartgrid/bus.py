"""Publishing batches of events on the SNS topics of the template.

Events are packed into as few messages as SNS allows (256 KiB), and messages into
`publish_batch` calls (10 entries, 256 KiB in all).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from smartgrid import aws
from smartgrid.events import Event, Topic

MESSAGE_LIMIT_BYTES = 250_000  # under SNS's 262,144 with room for attributes
BATCH_ENTRIES = 10


def topic_arn(topic: Topic) -> str:
    try:
        return os.environ[topic.env_var]
    except KeyError as error:
        raise RuntimeError(
            f"{topic.env_var} is not set: the template does not let this function publish {topic}"
        ) from error


def pack(topic: Topic, events: Sequence[Event]) -> list[str]:
    """Message bodies of at most MESSAGE_LIMIT_BYTES, each a batch of events, in order."""
    bodies: list[str] = []
    chunk: list[str] = []
    size = 0
    overhead = 120
    for event in events:
        encoded = event.model_dump_json(exclude_none=True)  # absent means None: smaller messages
        weight = len(encoded.encode()) + 1  # SNS counts bytes, and names may be non-ASCII
        if chunk and size + weight + overhead > MESSAGE_LIMIT_BYTES:
            bodies.append(_body(topic, chunk))
            chunk, size = [], 0
        chunk.append(encoded)
        size += weight
    if chunk:
        bodies.append(_body(topic, chunk))
    return bodies


def _body(topic: Topic, encoded_events: list[str]) -> str:
    head = json.dumps({"topic": topic.value, "messageId": uuid.uuid4().hex})[:-1]
    return f'{head}, "events": [{",".join(encoded_events)}]}}'


class Bus:
    def publish(
        self, topic: Topic, events: Sequence[Event], attributes: Mapping[str, str] | None = None
    ) -> int:
        """Publishes the events; returns how many messages it took."""
        if not events:
            return 0
        arn = topic_arn(topic)
        sns = aws.client("sns")
        message_attributes: dict[str, Any] = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in {"topic": topic.value, **(attributes or {})}.items()
        }
        bodies = pack(topic, events)
        entries: list[dict[str, Any]] = []
        size = 0
        for index, body in enumerate(bodies):
            weight = len(body.encode())
            if entries and (len(entries) == BATCH_ENTRIES or size + weight > MESSAGE_LIMIT_BYTES):
                sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=entries)
                entries, size = [], 0
            entries.append({"Id": str(index), "Message": body, "MessageAttributes": message_attributes})
            size += weight
        if len(entries) == 1:
            sns.publish(TopicArn=arn, Message=entries[0]["Message"], MessageAttributes=message_attributes)
        elif entries:
            sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=entries)
        return len(bodies)
