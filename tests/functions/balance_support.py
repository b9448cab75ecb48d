"""What the frame, verifier and adapter function tests share: sample events carrying a
test's own bus events or clock move."""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from smartgrid import bus
from smartgrid.events import Event, Topic
from tests.conftest import sample_event


def carrying(function_dir: str, case: str, topic: Topic, events: Sequence[Event]) -> dict[str, Any]:
    """The sample SQS event's first record, carrying `events` as one bus message, as
    `bus.pack` writes it (a fresh message id: a new delivery)."""
    event = copy.deepcopy(sample_event(function_dir, case))
    (body,) = bus.pack(topic, events)
    record = event["Records"][0]
    record.update(messageId=str(uuid.uuid4()), body=body, md5OfBody=hashlib.md5(body.encode()).hexdigest())
    record["messageAttributes"]["topic"]["stringValue"] = topic.value
    event["Records"] = [record]
    return event


def clock_move(previous: str, now: str, ticks: int | None = None) -> dict[str, Any]:
    """The sample `Clock Advanced` event, for another move of the clock."""
    event = copy.deepcopy(sample_event("electricity_frame", "closer"))
    minutes = (_minutes(now) - _minutes(previous)) if ticks is None else ticks
    event["id"] = str(uuid.uuid4())
    event["detail"] = {"previous": previous, "now": now, "ticks": minutes, "tickMinutes": 1}
    return event


def _minutes(instant: str) -> int:
    from smartgrid.gridtime import parse_instant

    return int(parse_instant(instant).timestamp() // 60)
