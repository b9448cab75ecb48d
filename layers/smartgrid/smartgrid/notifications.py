"""client-notifier: each client.notification stored (readable by its client) and delivered on
the client's own SNS topic, once.

One topic per client, `<prefix><kind>-<id>` (`smartgrid-<stage>-notify-house-h-…`), created
on demand: CreateTopic with an existing name answers the existing topic, so the name is the
topic and nothing maps clients to topics. A client's e-mail or SMS subscription is a plain
subscription to its topic, which anyone (staff, or a later route) can make before the first
notification, by the same name. Why not one topic whose subscriptions filter on a
`recipient` attribute: every client would need a filter policy, and SNS caps filter policies
per topic and per account (hundreds, thousands) far below a grid's clients, while an account
holds 100,000 topics; topics cost nothing, publishes are the same count either way.

Each delivery says it per kind of subscriber (SNS's MessageStructure json): the message text
for e-mail (the subject as its subject), a short line for SMS, and the notification itself as
JSON for queues, functions and webhooks.
"""

from __future__ import annotations

import json
import re
from typing import Any

from smartgrid import aws
from smartgrid.events import ClientNotification, Recipient
from smartgrid.stores.notifications import NotificationsStore
from smartgrid.stores.outbox import publish_once

SUBJECT_CHARACTERS = 100  # SNS's limit on an e-mail subject
MACHINE_PROTOCOLS = ("sqs", "lambda", "http", "https", "firehose")


def topic_name(prefix: str, recipient: Recipient) -> str:
    """The client's topic: letters, digits, `-` and `_` only, at most 256 characters."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{prefix}{recipient.kind}-{recipient.id}")[:256]


def subject_line(subject: str) -> str:
    """An e-mail subject SNS accepts: printable ASCII on one line, at most 100 characters."""
    return "".join(c if " " <= c <= "~" else "?" for c in subject)[:SUBJECT_CHARACTERS] or "Smartrix Grid"


class Notifier:
    def __init__(self, store: NotificationsStore, topic_prefix: str) -> None:
        self.store = store
        self.topic_prefix = topic_prefix
        self._topics: dict[str, str] = {}

    def on_notification(self, notification: ClientNotification, lease_ms: int) -> bool:
        """Stores it once and delivers it once; True if this call delivered it."""
        key, record = self.store.store(notification)

        def deliver(payload: str) -> None:
            self.deliver(ClientNotification.model_validate_json(payload))

        return publish_once(self.store.outbox, key, record, deliver, lease_ms)

    def topic_arn(self, recipient: Recipient) -> str:
        name = topic_name(self.topic_prefix, recipient)
        if name not in self._topics:
            self._topics[name] = str(aws.client("sns").create_topic(Name=name)["TopicArn"])
        return self._topics[name]

    def deliver(self, notification: ClientNotification) -> None:
        attributes: dict[str, Any] = {
            "notificationId": {"DataType": "String", "StringValue": notification.notificationId},
            "recipient": {
                "DataType": "String",
                "StringValue": f"{notification.recipient.kind}:{notification.recipient.id}",
            },
        }
        # One message per kind of subscriber: text for e-mail and SMS, the notification's JSON
        # for machines (a queue, a function, a webhook).
        machine = notification.model_dump_json()
        variants = {
            "default": notification.message,
            "email": notification.message,
            "sms": f"Smartrix Grid: {notification.subject}",
            **dict.fromkeys(MACHINE_PROTOCOLS, machine),
        }
        aws.client("sns").publish(
            TopicArn=self.topic_arn(notification.recipient),
            Subject=subject_line(notification.subject),
            Message=json.dumps(variants),
            MessageStructure="json",
            MessageAttributes=attributes,
        )
