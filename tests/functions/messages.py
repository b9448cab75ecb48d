"""SQS sample events carrying a test's own bus events (for the consumers' function tests)."""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from smartgrid import bus
from smartgrid.events import Event, Topic
from tests.conftest import sample_event


def sqs_event(function_dir: str, case: str, topic: Topic, events: Sequence[Event]) -> dict[str, Any]:
    """The sample's first record, carrying `events` as one bus message (as `bus.pack` writes it)."""
    event = copy.deepcopy(sample_event(function_dir, case))
    (body,) = bus.pack(topic, events)
    record = event["Records"][0]
    record.update(messageId=str(uuid.uuid4()), body=body, md5OfBody=hashlib.md5(body.encode()).hexdigest())
    event["Records"] = [record]
    return event
