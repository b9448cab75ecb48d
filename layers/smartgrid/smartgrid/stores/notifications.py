"""Clients' notifications (owner: client-notifier).

NotificationsTable (`recipient`, `key`):
- under `house#<id>` or `community#<id>`, `N#<timestamp>#<notificationId>`: each
  notification (an `outbox` record: `published` once delivered on the client's topic), so a
  client's are one query, newest first;
- under `ID#<notificationId>`, `ID`: the notification's id taken, with where it is stored.
  Both are written in one transaction conditioned on the id being new: a notification is
  stored once per notificationId, however often it is delivered to us.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.events import ClientNotification, Recipient
from smartgrid.stores.outbox import PAYLOAD, PUBLISHED, Outbox, Record

LISTED = "N#"
TAKEN = "ID#"


def recipient_key(recipient: Recipient) -> str:
    return f"{recipient.kind}#{recipient.id}"


def listing_key(notification: ClientNotification) -> dict[str, str]:
    return {
        "recipient": recipient_key(notification.recipient),
        "key": f"{LISTED}{notification.timestamp}#{notification.notificationId}",
    }


@dataclass(frozen=True)
class Stored:
    notification: ClientNotification
    delivered: bool


@dataclass(frozen=True)
class Page:
    notifications: list[Stored]
    next: str | None  # the `before` of the next page; None: no more


class NotificationsStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.outbox = Outbox(table_name)
        self.table = self.outbox.table

    def store(self, notification: ClientNotification) -> tuple[dict[str, str], Record]:
        """Stores the notification unless its id is stored; where it is, and its record."""
        key = listing_key(notification)
        serializer = TypeSerializer()
        guard = {
            "recipient": TAKEN + notification.notificationId,
            "key": "ID",
            "listedUnder": key["recipient"],
            "listedAs": key["key"],
        }
        actions = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": {k: serializer.serialize(v) for k, v in guard.items()},
                    "ConditionExpression": "attribute_not_exists(recipient)",
                }
            },
            self.outbox.put_action(key, notification.model_dump_json()),
        ]
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            return self._stored_already(notification)
        return key, Record(notification.model_dump_json(), False)

    def _stored_already(self, notification: ClientNotification) -> tuple[dict[str, str], Record]:
        guard = self.table.get_item(
            Key={"recipient": TAKEN + notification.notificationId, "key": "ID"}, ConsistentRead=True
        ).get("Item")
        if guard is None:  # pragma: no cover - a conflict with a concurrent writer: SQS retries
            raise RuntimeError(f"notification {notification.notificationId} is being stored elsewhere")
        key = {"recipient": str(guard["listedUnder"]), "key": str(guard["listedAs"])}
        record = self.outbox.get(key)
        if record is None:  # pragma: no cover - both are written in one transaction
            raise RuntimeError(f"notification {notification.notificationId} lost its record")
        return key, record

    def page(self, recipient: Recipient, limit: int, before: str | None) -> Page:
        """A client's notifications, newest first: `limit` of them, older than `before`."""
        partition = recipient_key(recipient)
        older = Key("key").lt(before) if before else Key("key").begins_with(LISTED)
        condition = Key("recipient").eq(partition) & older
        params: dict[str, Any] = {
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
            "Limit": limit + 1,  # one more: is there another page?
            "ConsistentRead": True,
        }
        items = [i for i in self.table.query(**params).get("Items", []) if str(i["key"]).startswith(LISTED)]
        shown = items[:limit]
        found = [
            Stored(ClientNotification.model_validate_json(str(i[PAYLOAD])), bool(i.get(PUBLISHED)))
            for i in shown
        ]
        return Page(found, str(shown[-1]["key"]) if len(items) > limit else None)
