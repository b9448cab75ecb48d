"""The communities store (owner: registry-manager).

Items: `COMMUNITY#<id> / META` (anchor location, capacity, member count),
`COMMUNITY#<id> / HOUSE#<id>` (a member) and `HOUSE#<id> / COMMUNITY` (a house's community,
which makes assignment idempotent). A seat is taken in one transaction with the member
count's capacity check, so two houses never take the last seat together.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.models import Community, Location

META = "META"


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
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"FilterExpression": Attr("sk").eq(META)}
        while True:
            answer = self.table.scan(**params)
            items.extend(answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return sorted((_community(i) for i in items), key=lambda c: c.communityId)
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

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
            ]
        )

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
