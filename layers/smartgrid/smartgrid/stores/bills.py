"""Bills and prices (owner: bill-api).

BillsTable (`pk`, `sk`):
- `<houseId> / <YYYY-MM>`: a closed bill (`bill`, its JSON; `days`, what it billed per day in
  mWh, own days and adjusted ones), put once: a closed bill never changes;
- `BILLING / CURSOR`: the first month the grid billed and the last month closed;
- `PRICES / <YYYY-MM-DD>`: a price change, effective from that day.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.billing import Bill, Price
from smartgrid.errors import Conflict
from smartgrid.stores.items import every_item

BILLING = {"pk": "BILLING", "sk": "CURSOR"}
PRICES = "PRICES"


def _failed_condition(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


class BillsStore:
    def __init__(self, table_name: str) -> None:
        self.table = aws.dynamodb_table(table_name)

    # Closed bills --------------------------------------------------------------------------
    def put_once(self, closed: Bill) -> bool:
        """Stores a closed bill unless one is stored for that month; True if this call did."""
        try:
            self.table.put_item(
                Item={
                    "pk": closed.houseId,
                    "sk": closed.month,
                    "bill": closed.model_dump_json(),
                    "days": json.dumps(closed.days, sort_keys=True),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    def closed(self, house_id: str, before: str | None = None) -> list[Bill]:
        """The house's closed bills, oldest first (those of months before `before`)."""
        condition: Any = Key("pk").eq(house_id)
        if before is not None:
            condition = condition & Key("sk").lt(before)
        return [
            _bill(i)
            for i in every_item(self.table.query, KeyConditionExpression=condition, ConsistentRead=True)
        ]

    def get(self, house_id: str, month: str) -> Bill | None:
        item = self.table.get_item(Key={"pk": house_id, "sk": month}, ConsistentRead=True).get("Item")
        return _bill(item) if item else None

    # The closing cursor ---------------------------------------------------------------------
    def cursor(self) -> tuple[str, str | None] | None:
        """(first month billed, last month closed), once the grid started billing."""
        item = self.table.get_item(Key=BILLING, ConsistentRead=True).get("Item")
        if not item:
            return None
        return str(item["firstMonth"]), str(item["lastClosed"]) if item.get("lastClosed") else None

    def start(self, first_month: str) -> None:
        try:
            self.table.put_item(
                Item={**BILLING, "firstMonth": first_month}, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if not _failed_condition(error):
                raise

    def mark_closed(self, month: str, previous: str | None) -> None:
        """Moves the cursor from `previous` to `month` (another copy may have done it)."""
        condition = Attr("lastClosed").not_exists() if previous is None else Attr("lastClosed").eq(previous)
        try:
            self.table.update_item(
                Key=BILLING,
                UpdateExpression="SET lastClosed = :m",
                ConditionExpression=condition,
                ExpressionAttributeValues={":m": month},
            )
        except ClientError as error:
            if not _failed_condition(error):
                raise

    # Prices ----------------------------------------------------------------------------------
    def prices(self) -> list[Price]:
        answer = self.table.query(KeyConditionExpression=Key("pk").eq(PRICES), ConsistentRead=True)
        return [
            Price(
                effective=dt.date.fromisoformat(str(item["sk"])),
                buy_per_wh=Decimal(str(item["buyPerWh"])),
                sell_per_wh=Decimal(str(item["sellPerWh"])),
            )
            for item in answer.get("Items", [])
        ]

    def set_price(self, price: Price, last_closed: str | None) -> None:
        """Stores a price change; refused for a day of a month already closed."""
        if last_closed is not None and price.effective.isoformat()[:7] <= last_closed:
            raise Conflict(
                f"{last_closed} and the months before are closed: their prices stay", field="effective"
            )
        self.table.put_item(
            Item={
                "pk": PRICES,
                "sk": price.effective.isoformat(),
                "buyPerWh": str(price.buy_per_wh),
                "sellPerWh": str(price.sell_per_wh),
            }
        )


def _bill(item: dict[str, Any]) -> Bill:
    closed = Bill.model_validate_json(str(item["bill"]))
    raw = json.loads(str(item.get("days", "{}")))
    return closed.model_copy(update={"days": {day: (int(b), int(s)) for day, (b, s) in raw.items()}})
