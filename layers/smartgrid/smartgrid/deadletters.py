"""Dead-letter queues made visible and replayable (issue 9): peek at them, move them back.

The function learns the queues from `DEAD_LETTER_QUEUES`, which the template writes as
`LogicalId=<queue URL>` pairs separated by spaces (a queue's `!Ref` is its URL); each DLQ's
source queue is asked of SQS (`ListDeadLetterSourceQueues`), so the variable stays short.
Each sampled message comes with the last error its consumer recorded (`stores.deadletters`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from smartgrid import aws
from smartgrid.errors import Conflict, NotFound
from smartgrid.queues import depth
from smartgrid.settings import EnvSettings
from smartgrid.stores.deadletters import DeadLetterReasons, LastFailure

SAMPLE_SIZE = 5
BODY_LIMIT = 4096  # characters of a sampled body
PEEK_VISIBILITY_SECONDS = 5  # if the peek dies before giving them back, they reappear soon
MOVE_VISIBILITY_SECONDS = 30  # long enough to send a batch on and delete it
MOVE_LIMIT = (
    300  # one call moves at most this many (well within the 30 s timeout); `remaining` says what is left
)


def parse_queue_map(text: str) -> dict[str, str]:
    """`A=url-a B=url-b` -> {"A": "url-a", "B": "url-b"}; a malformed pair is a configuration error."""
    queues = {}
    for pair in text.split():
        name, sep, url = pair.partition("=")
        if not (sep and name and url):
            raise ValueError(f"DEAD_LETTER_QUEUES: expected LogicalId=URL, got {pair!r}")
        queues[name] = url
    return queues


class DeadLetterSettings(EnvSettings):
    dead_letter_queues: str = Field(alias="DEAD_LETTER_QUEUES")
    dead_letter_reasons_table: str = Field(alias="DEAD_LETTER_REASONS_TABLE")

    def service(self) -> DeadLetters:
        return DeadLetters(
            parse_queue_map(self.dead_letter_queues), DeadLetterReasons(self.dead_letter_reasons_table)
        )


class DeadLetter(BaseModel):
    messageId: str
    topic: str | None = Field(description="the bus topic the body names, when it is a bus message")
    receiveCount: int = Field(description="deliveries so far (ApproximateReceiveCount), peeks included")
    sentAt: str | None = Field(description="when it was first sent to its source queue (UTC, ISO 8601)")
    body: str = Field(description=f"the body, cut at {BODY_LIMIT} characters")
    bodyTruncated: bool
    lastFailure: LastFailure | None = Field(
        None, description="the error that sent it here, as its consumer recorded it (None: none recorded)"
    )


class DeadLetterQueueView(BaseModel):
    queue: str = Field(description="the DLQ's logical id in the template: the name redrive takes")
    sourceQueues: list[str] = Field(description="the queues whose failed messages land here (names)")
    depth: int = Field(description="messages waiting (ApproximateNumberOfMessages)")
    inFlight: int = Field(
        description="messages being received right now (ApproximateNumberOfMessagesNotVisible)"
    )
    sample: list[DeadLetter] = Field(description=f"up to {SAMPLE_SIZE} messages, left in the queue")


class DeadLetterQueues(BaseModel):
    queues: list[DeadLetterQueueView]


class Redrive(BaseModel):
    queue: str
    sourceQueue: str
    moved: int = Field(
        description=f"messages sent back to the source queue and deleted from the DLQ (at most {MOVE_LIMIT} a call)"
    )
    remaining: int = Field(
        description="messages still in the DLQ (ApproximateNumberOfMessages) after the move"
    )


def queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _topic(body: str) -> str | None:
    try:
        message = json.loads(body)
    except ValueError:
        return None
    topic = message.get("topic") if isinstance(message, dict) else None
    return topic if isinstance(topic, str) else None


def _sent_at(attributes: dict[str, str]) -> str | None:
    millis = attributes.get("SentTimestamp")
    if not millis or not millis.isdigit():
        return None
    return datetime.fromtimestamp(int(millis) / 1000, UTC).isoformat().replace("+00:00", "Z")


def dead_letter(message: dict[str, Any]) -> DeadLetter:
    body = str(message.get("Body", ""))
    attributes = message.get("Attributes", {})
    return DeadLetter(
        messageId=message["MessageId"],
        topic=_topic(body),
        receiveCount=int(attributes.get("ApproximateReceiveCount", 0)),
        sentAt=_sent_at(attributes),
        body=body[:BODY_LIMIT],
        bodyTruncated=len(body) > BODY_LIMIT,
    )


class DeadLetters:
    """The dead-letter queues of the template, by logical id."""

    def __init__(self, queues: dict[str, str], reasons: DeadLetterReasons | None = None) -> None:
        self.queues = queues
        self.reasons = reasons
        self.sqs = aws.client("sqs")

    def names(self) -> list[str]:
        return sorted(self.queues)

    def overview(self) -> DeadLetterQueues:
        return DeadLetterQueues(queues=[self.view(name) for name in self.names()])

    def view(self, name: str) -> DeadLetterQueueView:
        url = self._url(name)
        depth, in_flight = self._depth(url)
        return DeadLetterQueueView(
            queue=name,
            sourceQueues=[queue_name(source) for source in self._sources(url)],
            depth=depth,
            inFlight=in_flight,
            sample=self.peek(url) if depth else [],
        )

    def peek(self, url: str) -> list[DeadLetter]:
        """Up to SAMPLE_SIZE messages, made visible again at once: peeking consumes nothing."""
        received: dict[str, dict[str, Any]] = {}
        handles: list[str] = []
        try:
            for _ in range(3):  # a short poll may answer with part of the queue only
                answer = self.sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=SAMPLE_SIZE,
                    VisibilityTimeout=PEEK_VISIBILITY_SECONDS,
                    MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
                )
                messages = answer.get("Messages", [])
                for message in messages:
                    handles.append(message["ReceiptHandle"])
                    received.setdefault(message["MessageId"], message)
                if not messages or len(received) >= SAMPLE_SIZE:
                    break
        finally:
            self._make_visible(url, handles)
        sample = [dead_letter(m) for m in list(received.values())[:SAMPLE_SIZE]]
        failures = (
            self.reasons.last_failures([d.messageId for d in sample]) if self.reasons and sample else {}
        )
        return [d.model_copy(update={"lastFailure": failures.get(d.messageId)}) for d in sample]

    def redrive(self, name: str) -> Redrive:
        """Every message back to the source queue: each is sent before it is deleted, so a crash
        between the two sends it twice (the consumers are idempotent) but never loses it."""
        url = self._url(name)
        sources = self._sources(url)
        if len(sources) != 1:
            raise Conflict(
                f"{name} serves {len(sources)} source queues: no single one to send its messages back to",
                field="queue",
            )
        (source,) = sources
        moved = 0
        while moved < MOVE_LIMIT:
            messages = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, MOVE_LIMIT - moved),
                VisibilityTimeout=MOVE_VISIBILITY_SECONDS,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                request: dict[str, Any] = {"QueueUrl": source, "MessageBody": message["Body"]}
                if message.get("MessageAttributes"):
                    request["MessageAttributes"] = message["MessageAttributes"]
                self.sqs.send_message(**request)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        return Redrive(queue=name, sourceQueue=queue_name(source), moved=moved, remaining=self._depth(url)[0])

    def _url(self, name: str) -> str:
        if name not in self.queues:
            raise NotFound(
                f"no dead-letter queue {name!r}; known: {', '.join(self.names())}",
                field="queue",
                details={"known": self.names()},
            )
        return self.queues[name]

    def _depth(self, url: str) -> tuple[int, int]:
        return depth(self.sqs, url)

    def _sources(self, url: str) -> list[str]:
        return list(self.sqs.list_dead_letter_source_queues(QueueUrl=url).get("queueUrls", []))

    def _make_visible(self, url: str, handles: list[str]) -> None:
        for start in range(0, len(handles), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(handles[start : start + 10])
            ]
            self.sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
