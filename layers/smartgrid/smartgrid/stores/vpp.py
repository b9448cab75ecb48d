"""The VPP table (owner: the vpp service; vpp-api and vpp-service write it, the simulated houses
and bill-api read it through this class).

Items (partition `pk`, sort `sk`):
- `enrollment` / `<houseId>`: a house's enrollment (enrolled, reserve): one partition, so the
  enrolled houses are one query;
- `surplus` / `<houseId>`: the house's latest judged tick and its surplus then;
- `order#<id>` / `order`: an order as accepted (its split per house), and under the same
  partition `tick#<tickStart>#<houseId>`: what the house delivered over that tick;
- `orders` / `<start>#<id>`: the window of each order (the orders that cover a span are one
  query), and `orders` / `~book`: a version moved by every accepted order, so two orders
  accepted at once cannot both pass the overlap check;
- `house#<id>` / `vpp#<tickStart>#<orderId>`: what the house delivered, by time (for its bills).
Deliveries are values at a key: a redelivered tick writes the same value again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from smartgrid import aws
from smartgrid.errors import Conflict
from smartgrid.gridtime import iso, parse_instant
from smartgrid.stores.items import every_item, from_item, items_by_key, to_item
from smartgrid.vpp import Side

ENROLLMENT = "enrollment"
SURPLUS = "surplus"
ORDERS = "orders"
BOOK = "~book"  # sorts after every `<start>#<id>`
M = TypeVar("M", bound=BaseModel)


class EnrollmentRecord(BaseModel):
    houseId: str
    enrolled: bool
    reserveMwh: int
    updatedAt: str


class SurplusRecord(BaseModel):
    houseId: str
    tick: str
    minutes: int
    surplusMwh: int  # production beyond consumption over the tick


class OrderRecord(BaseModel):
    orderId: str
    side: Side
    energyMwh: int
    powerW: float
    start: str
    end: str
    tickMinutes: int
    acceptedAt: str
    shares: dict[str, int]  # house id to its share of the order (mWh)

    @property
    def ticks(self) -> int:
        minutes = (parse_instant(self.end) - parse_instant(self.start)).total_seconds() / 60
        return int(minutes // self.tickMinutes)

    def tick_index(self, tick: datetime) -> int | None:
        """The index of the tick that starts at `tick` in the order (None: not in it)."""
        offset = (tick - parse_instant(self.start)).total_seconds() / 60
        index, rest = divmod(int(offset), self.tickMinutes)
        if rest or offset != int(offset) or not 0 <= index < self.ticks:
            return None
        return index


@dataclass(frozen=True)
class Delivery:
    orderId: str
    houseId: str
    tick: str
    side: Side
    mwh: int


class VppRepository:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)

    # Enrollments ----------------------------------------------------------------------
    def put_enrollment(self, record: EnrollmentRecord) -> None:
        self.table.put_item(Item={"pk": ENROLLMENT, "sk": record.houseId, **to_item(record)})

    def enrollment(self, house_id: str) -> EnrollmentRecord | None:
        item = self.table.get_item(Key={"pk": ENROLLMENT, "sk": house_id}, ConsistentRead=True).get("Item")
        return _model(EnrollmentRecord, item) if item else None

    def enrolled(self) -> list[EnrollmentRecord]:
        items = every_item(self.table.query, KeyConditionExpression=Key("pk").eq(ENROLLMENT))
        records = [_model(EnrollmentRecord, i) for i in items]
        return [r for r in records if r.enrolled]

    def enrollments(self, house_ids: Iterable[str]) -> dict[str, EnrollmentRecord]:
        items = self._batch_get([{"pk": ENROLLMENT, "sk": h} for h in dict.fromkeys(house_ids)])
        return {str(i["sk"]): _model(EnrollmentRecord, i) for i in items}

    # Surplus --------------------------------------------------------------------------
    def put_surplus(self, record: SurplusRecord) -> None:
        """Keeps the latest tick only (an older tick redelivered never replaces a newer)."""
        try:
            self.table.put_item(
                Item={"pk": SURPLUS, "sk": record.houseId, **to_item(record)},
                ConditionExpression="attribute_not_exists(tick) OR tick <= :tick",
                ExpressionAttributeValues={":tick": record.tick},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def surpluses(self, house_ids: Iterable[str]) -> dict[str, SurplusRecord]:
        items = self._batch_get([{"pk": SURPLUS, "sk": h} for h in dict.fromkeys(house_ids)])
        return {str(i["sk"]): _model(SurplusRecord, i) for i in items}

    # Orders ---------------------------------------------------------------------------
    def book_version(self) -> int:
        item = self.table.get_item(Key={"pk": ORDERS, "sk": BOOK}, ConsistentRead=True).get("Item")
        return int(item["version"]) if item else 0

    def orders_between(self, first: datetime, last: datetime) -> list[OrderRecord]:
        """The orders whose window meets [first, last)."""
        items = every_item(
            self.table.query,
            KeyConditionExpression=Key("pk").eq(ORDERS) & Key("sk").lt(iso(last)),
            ConsistentRead=True,
        )
        ids = [str(i["orderId"]) for i in items if parse_instant(str(i["end"])) > first]
        found = self._batch_get([{"pk": f"order#{o}", "sk": "order"} for o in ids])
        return sorted((_model(OrderRecord, i) for i in found), key=lambda o: o.start)

    def accept(self, order: OrderRecord, book_version: int) -> None:
        """Stores the order and its window, if no other order was accepted since the book was
        read at `book_version` (Conflict otherwise: check again)."""
        serializer = TypeSerializer()

        def typed(item: Mapping[str, Any]) -> dict[str, Any]:
            return {k: serializer.serialize(v) for k, v in item.items()}

        window = {"orderId": order.orderId, "end": order.end, "side": order.side.value}
        book_condition = "attribute_not_exists(version)" if book_version == 0 else "version = :seen"
        values: dict[str, Any] = {":next": {"N": str(book_version + 1)}}
        if book_version:
            values[":seen"] = {"N": str(book_version)}
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": typed({"pk": f"order#{order.orderId}", "sk": "order", **to_item(order)}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": typed({"pk": ORDERS, "sk": f"{order.start}#{order.orderId}", **window}),
                }
            },
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": typed({"pk": ORDERS, "sk": BOOK}),
                    "UpdateExpression": "SET version = :next",
                    "ConditionExpression": book_condition,
                    "ExpressionAttributeValues": values,
                }
            },
        ]
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict("another order was accepted meanwhile: post again", field="start") from error
            raise

    def order(self, order_id: str) -> OrderRecord | None:
        key = {"pk": f"order#{order_id}", "sk": "order"}
        item = self.table.get_item(Key=key, ConsistentRead=True).get("Item")
        return _model(OrderRecord, item) if item else None

    # Deliveries -----------------------------------------------------------------------
    def record_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for d in deliveries:
                batch.put_item(
                    Item={"pk": f"order#{d.orderId}", "sk": f"tick#{d.tick}#{d.houseId}", "mwh": d.mwh}
                )
                batch.put_item(
                    Item={
                        "pk": f"house#{d.houseId}",
                        "sk": f"vpp#{d.tick}#{d.orderId}",
                        "mwh": d.mwh,
                        "side": d.side.value,
                    }
                )

    def order_deliveries(self, order_id: str) -> dict[tuple[str, str], int]:
        """(tick start, house id) to what the house delivered over that tick."""
        items = every_item(
            self.table.query,
            KeyConditionExpression=Key("pk").eq(f"order#{order_id}") & Key("sk").begins_with("tick#"),
        )
        found: dict[tuple[str, str], int] = {}
        for item in items:
            _, tick, house = str(item["sk"]).split("#", 2)
            found[(tick, house)] = int(item["mwh"])
        return found

    def house_days(self, house_id: str, days: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Per day of `days` (YYYY-MM-DD, in order), what the house delivered to sell orders
        and to buy orders (mWh); days without deliveries are absent."""
        if not days:
            return {}
        items = every_item(
            self.table.query,
            KeyConditionExpression=Key("pk").eq(f"house#{house_id}")
            & Key("sk").between(f"vpp#{min(days)}", f"vpp#{max(days)}~"),
        )
        wanted = set(days)
        found: dict[str, tuple[int, int]] = {}
        for item in items:
            day = str(item["sk"])[len("vpp#") :][:10]
            if day not in wanted:
                continue
            sold, bought = found.get(day, (0, 0))
            if item["side"] == Side.SELL.value:
                sold += int(item["mwh"])
            else:
                bought += int(item["mwh"])
            found[day] = (sold, bought)
        return found

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        return items_by_key(self.table_name, list(keys))


def _model(model: type[M], item: Mapping[str, Any]) -> M:
    return from_item(model, {k: v for k, v in item.items() if k not in ("pk", "sk")})
