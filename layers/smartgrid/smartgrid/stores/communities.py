"""The communities store (owner: registry-manager).

Items: `COMMUNITY#<id> / META` (anchor location, capacity, member count),
`COMMUNITY#<id> / HOUSE#<id>` (a member), `HOUSE#<id> / COMMUNITY` (a house's community,
which makes assignment idempotent), `DIRECTORY / COMMUNITIES` (every community's id, so
that listing them is two reads, not a scan of every member) and `DIRECTORY / OPEN` (the
communities that may still have a seat). A seat is taken in one transaction with the member
count's capacity check, so two houses never take the last seat together; a community is
opened in one transaction with its entries in the directories.

Placing a house reads the open communities only: reading every community on every
registration made registering n houses cost n x n/capacity reads (a 10,000-house fleet
slowed to a house a second). A community seen full is taken out of the open directory by
whoever sees it, so a crash between a last seat and that removal only costs a later reader
one extra item.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.models import Community, Location

META = "META"
DIRECTORY = {"pk": "DIRECTORY", "sk": "COMMUNITIES"}
OPEN_DIRECTORY = {"pk": "DIRECTORY", "sk": "OPEN"}


def _community_pk(community_id: str) -> str:
    return f"COMMUNITY#{community_id}"


def _house_pk(house_id: str) -> str:
    return f"HOUSE#{house_id}"


class SeatTaken(Exception):
    """The community filled up (or appeared) while we were choosing."""


class CommunitiesRepository:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)

    def community_of(self, house_id: str) -> str | None:
        item = self.table.get_item(Key={"pk": _house_pk(house_id), "sk": "COMMUNITY"}).get("Item")
        return str(item["communityId"]) if item else None

    def get(self, community_id: str) -> Community | None:
        item = self.table.get_item(Key={"pk": _community_pk(community_id), "sk": META}).get("Item")
        return _community(item) if item else None

    def all(self) -> list[Community]:
        return self._communities(self._directory(DIRECTORY) or set())

    def with_room(self) -> list[Community]:
        """The communities with a seat left (those of the open directory that are not full)."""
        open_ids = self._directory(OPEN_DIRECTORY)
        if open_ids is None:  # a table from before the open directory: built once from every community
            found = self.all()
            self._mark_open({c.communityId for c in found if c.members < c.capacity})
        else:
            found = self._communities(open_ids)
        full = {c.communityId for c in found if c.members >= c.capacity}
        if full:
            self.table.update_item(
                Key=OPEN_DIRECTORY,
                UpdateExpression="DELETE communities :full",
                ExpressionAttributeValues={":full": full},
            )
        return [c for c in found if c.communityId not in full]

    def _directory(self, key: dict[str, str]) -> set[str] | None:
        """A directory's community ids (None: the directory was never written)."""
        item = self.table.get_item(Key=key, ConsistentRead=True).get("Item")
        return None if item is None else {str(i) for i in item.get("communities", set())}

    def _mark_open(self, community_ids: set[str]) -> None:
        """Adds to the open directory (a union: what a community opened meanwhile added stays),
        and writes the directory even with none (a string set cannot be empty)."""
        self.table.update_item(
            Key=OPEN_DIRECTORY,
            UpdateExpression="SET built = :yes" + (" ADD communities :ids" if community_ids else ""),
            ExpressionAttributeValues={":yes": True, **({":ids": community_ids} if community_ids else {})},
        )

    def _communities(self, community_ids: set[str]) -> list[Community]:
        ids = sorted(community_ids)
        found: list[Community] = []
        resource = aws.dynamodb_resource()
        for start in range(0, len(ids), 100):
            keys = [{"pk": _community_pk(i), "sk": META} for i in ids[start : start + 100]]
            request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = resource.batch_get_item(RequestItems=request)
                found.extend(_community(i) for i in answer["Responses"].get(self.table_name, []))
                request = answer.get("UnprocessedKeys") or {}
        return sorted(found, key=lambda c: c.communityId)

    def members(self, community_id: str) -> list[str]:
        houses: list[str] = []
        params: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(_community_pk(community_id))
            & Key("sk").begins_with("HOUSE#")
        }
        while True:
            answer = self.table.query(**params)
            houses.extend(str(i["houseId"]) for i in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return sorted(houses)
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def join(self, community: Community, house_id: str) -> None:
        self._transact(
            [
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": {"pk": {"S": _community_pk(community.communityId)}, "sk": {"S": META}},
                        "UpdateExpression": "ADD #members :one",
                        "ConditionExpression": "#members < #capacity",
                        "ExpressionAttributeNames": {"#members": "members", "#capacity": "capacity"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                *self._membership(community.communityId, house_id),
            ]
        )

    def open(self, community: Community, house_id: str) -> None:
        self._transact(
            [
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {
                            "pk": {"S": _community_pk(community.communityId)},
                            "sk": {"S": META},
                            "communityId": {"S": community.communityId},
                            "lat": {"N": str(Decimal(str(community.location.lat)))},
                            "lon": {"N": str(Decimal(str(community.location.lon)))},
                            "capacity": {"N": str(community.capacity)},
                            "members": {"N": "1"},
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                *self._membership(community.communityId, house_id),
                *(
                    self._listing(directory, community.communityId)
                    for directory in (DIRECTORY, OPEN_DIRECTORY)
                    if directory is DIRECTORY or community.capacity > 1  # a community of one is full
                ),
            ]
        )

    def _listing(self, directory: dict[str, str], community_id: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {"pk": {"S": directory["pk"]}, "sk": {"S": directory["sk"]}},
                "UpdateExpression": "ADD communities :id",
                "ExpressionAttributeValues": {":id": {"SS": [community_id]}},
            }
        }

    def _membership(self, community_id: str, house_id: str) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": {
                        "pk": {"S": _community_pk(community_id)},
                        "sk": {"S": f"HOUSE#{house_id}"},
                        "houseId": {"S": house_id},
                    },
                }
            },
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": {
                        "pk": {"S": _house_pk(house_id)},
                        "sk": {"S": "COMMUNITY"},
                        "communityId": {"S": community_id},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]

    def _transact(self, actions: list[dict[str, Any]]) -> None:
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise SeatTaken(str(error)) from error
            raise


def _community(item: dict[str, Any]) -> Community:
    return Community(
        communityId=str(item["communityId"]),
        location=Location(lat=float(item["lat"]), lon=float(item["lon"])),
        capacity=int(item["capacity"]),
        members=int(item["members"]),
    )
