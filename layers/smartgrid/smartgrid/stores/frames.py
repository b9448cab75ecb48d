"""The frame stores (owner: electricity-frame).

FramesTable (`pk`, `sk`) holds the per-tick aggregates of one-tick readings, their markers,
and the readings over several ticks:
- `FRAME#<tick> / COMMUNITY#<id>`: `consumptionMwh`, `houseProductionMwh` of a community;
- `FRAME#<tick> / PRODUCER#<id>`: `utilityProductionMwh` of a utility producer;
- `MARK#<source> / <day>`: a slot per reading, set in the same transaction as the
  additions, so a reading counts once however often it is delivered and however many copies
  of the consumer run (see `tally`);
- `SPAN#<hour> / <source>#<start>`: a reading over several ticks (energy, ticks, owner),
  under each hour whose ticks it covers; written once (first write wins), and spread over
  its ticks when a frame is read. A three-month jump reported hourly costs a write per
  reading, not one per tick.
The grid's totals of a tick are the sum of that tick's items and spans, taken when the
frame closes: no single item that every reading of a tick would write (a hot key under many
copies).

ClosedFramesTable (`day`, `frameStart`) holds each closed frame as published (an outbox
record: the frame, and whether it was published).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.events import ElectricityFrame
from smartgrid.gridtime import day_of, days_between, iso, parse_instant
from smartgrid.stores.outbox import Outbox, Record
from smartgrid.stores.tally import Contribution, ItemKey, Rollup, Tally

Measure = Literal["consumption", "houseProduction", "utilityProduction"]
ATTRIBUTE: dict[str, str] = {
    "consumption": "consumptionMwh",
    "houseProduction": "houseProductionMwh",
    "utilityProduction": "utilityProductionMwh",
}
FRAME_PREFIX = "FRAME#"
SPAN_PREFIX = "SPAN#"
MARK_PREFIX = "MARK#"
COMMUNITY_PREFIX = "COMMUNITY#"
PRODUCER_PREFIX = "PRODUCER#"


@dataclass(frozen=True)
class Part:
    """A reading's energy in one tick, and where it counts.

    `source` and `slot` name the reading (and the tick, for a reading over several): the
    marker that makes it count once. `owner` is the community (consumption, house
    production) or the utility producer (utility production).
    """

    source: str
    day: str
    slot: str
    tick: str
    mwh: int
    measure: Measure
    owner: str


@dataclass(frozen=True)
class Span:
    """A reading over several ticks: `mwh` spread evenly over `ticks` ticks from `start`."""

    source: str
    start: str
    ticks: int
    tick_minutes: int
    mwh: int
    measure: Measure
    owner: str

    def tick_starts(self) -> list[datetime]:
        first = parse_instant(self.start)
        return [first + timedelta(minutes=i * self.tick_minutes) for i in range(self.ticks)]

    def mwh_at(self, tick: datetime) -> int:
        """Its energy in the tick that starts at `tick` (0 outside the span)."""
        index, off = divmod(int((tick - parse_instant(self.start)).total_seconds()) // 60, self.tick_minutes)
        return portion(self.mwh, self.ticks, index) if off == 0 and 0 <= index < self.ticks else 0


def portion(mwh: int, count: int, index: int) -> int:
    """The `index`-th of `count` even parts of an energy (the remainder on the first parts)."""
    base, rest = divmod(mwh, count)
    return base + (1 if index < rest else 0)


def _hour(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H")


@dataclass
class CommunitySums:
    consumption: int = 0
    house_production: int = 0


@dataclass
class TickAggregates:
    communities: dict[str, CommunitySums] = field(default_factory=dict)
    producers: dict[str, int] = field(default_factory=dict)


class FramesStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)

    def _item(self, pk: str, sk: str) -> ItemKey:
        return ItemKey.of(self.table_name, pk=pk, sk=sk)

    def contribution(self, part: Part) -> Contribution:
        prefix = PRODUCER_PREFIX if part.measure == "utilityProduction" else COMMUNITY_PREFIX
        rollup = Rollup(self._item(FRAME_PREFIX + part.tick, prefix + part.owner), ATTRIBUTE[part.measure])
        return Contribution(self._item(MARK_PREFIX + part.source, part.day), part.slot, part.mwh, (rollup,))

    def add(self, parts: Iterable[Part]) -> int:
        """Adds each part once; how many were new (not counted before)."""
        return len(Tally().apply(self.contribution(p) for p in parts))

    def add_spans(self, spans: Iterable[Span]) -> int:
        """Stores each reading over several ticks once (a replay finds it stored, and leaves
        it as first placed); how many were new."""
        new = 0
        client = aws.client("dynamodb")
        serializer = TypeSerializer()
        for span in spans:
            puts: list[dict[str, Any]] = [
                {
                    "TableName": self.table_name,
                    "Item": {
                        name: serializer.serialize(value)
                        for name, value in {
                            "pk": SPAN_PREFIX + hour,
                            "sk": f"{span.source}#{span.start}",
                            "start": span.start,
                            "ticks": span.ticks,
                            "tickMinutes": span.tick_minutes,
                            "mwh": span.mwh,
                            "measure": span.measure,
                            "owner": span.owner,
                        }.items()
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
                for hour in sorted({_hour(t) for t in span.tick_starts()})
            ]
            try:
                if len(puts) == 1:
                    client.put_item(**puts[0])
                else:  # under every hour it covers, all or nothing
                    client.transact_write_items(TransactItems=[{"Put": put} for put in puts])
            except ClientError as error:
                if error.response["Error"]["Code"] not in (
                    "ConditionalCheckFailedException",
                    "TransactionCanceledException",
                ):
                    raise
                if self._span_stored(puts[0]["Item"]["pk"]["S"], puts[0]["Item"]["sk"]["S"]):
                    continue  # counted before
                raise  # a conflict with a concurrent writer: the message is retried
            new += 1
        return new

    def _span_stored(self, pk: str, sk: str) -> bool:
        return "Item" in self.table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True)

    def tick(self, frame_start: str) -> TickAggregates:
        """Every aggregate of a tick, with its share of the spans that cover it, read
        consistently (nothing counted yet: empty)."""
        found = TickAggregates()
        for item in self._query(FRAME_PREFIX + frame_start):
            sk = str(item["sk"])
            if sk.startswith(COMMUNITY_PREFIX):
                sums = found.communities.setdefault(sk.removeprefix(COMMUNITY_PREFIX), CommunitySums())
                sums.consumption += int(item.get(ATTRIBUTE["consumption"], 0))
                sums.house_production += int(item.get(ATTRIBUTE["houseProduction"], 0))
            elif sk.startswith(PRODUCER_PREFIX):
                producer = sk.removeprefix(PRODUCER_PREFIX)
                found.producers[producer] = found.producers.get(producer, 0) + int(
                    item.get(ATTRIBUTE["utilityProduction"], 0)
                )
        tick = parse_instant(frame_start)
        for item in self._query(SPAN_PREFIX + _hour(tick)):
            span = Span(
                source=str(item["sk"]).rpartition("#")[0],
                start=str(item["start"]),
                ticks=int(item["ticks"]),
                tick_minutes=int(item["tickMinutes"]),
                mwh=int(item["mwh"]),
                measure=item["measure"],
                owner=str(item["owner"]),
            )
            mwh = span.mwh_at(tick)
            if not mwh:
                continue
            if span.measure == "utilityProduction":
                found.producers[span.owner] = found.producers.get(span.owner, 0) + mwh
                continue
            sums = found.communities.setdefault(span.owner, CommunitySums())
            if span.measure == "consumption":
                sums.consumption += mwh
            else:
                sums.house_production += mwh
        return found

    def _query(self, pk: str) -> Iterable[dict[str, Any]]:
        params: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(pk), "ConsistentRead": True}
        while True:
            answer = self.table.query(**params)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


class ClosedFramesRepository:
    def __init__(self, table_name: str) -> None:
        self.outbox = Outbox(table_name)

    @staticmethod
    def key(frame_start: str) -> dict[str, str]:
        return {"day": day_of(parse_instant(frame_start)), "frameStart": frame_start}

    def get(self, frame_start: str) -> Record | None:
        return self.outbox.get(self.key(frame_start))

    def frame(self, frame_start: str) -> ElectricityFrame | None:
        """The closed frame, if it was closed."""
        record = self.get(frame_start)
        return ElectricityFrame.model_validate_json(record.payload) if record and record.payload else None

    def store(self, frame: ElectricityFrame) -> Record:
        """Stores a closed frame unless one is stored already; the stored one, either way."""
        return self.outbox.put_once(
            self.key(frame.frameStart), frame.model_dump_json(), {"closedAt": iso(datetime.now(UTC))}
        )

    def between(self, start: str, end: str) -> list[ElectricityFrame]:
        """Closed frames starting in [start, end), oldest first."""
        frames: list[ElectricityFrame] = []
        for day in days_between(parse_instant(start).date(), parse_instant(end).date()):
            params: dict[str, Any] = {
                "KeyConditionExpression": Key("day").eq(day.isoformat())
                & Key("frameStart").between(start, end)
            }
            while True:
                answer = self.outbox.table.query(**params)
                for item in answer.get("Items", []):
                    if str(item["frameStart"]) < end and "payload" in item:
                        frames.append(ElectricityFrame.model_validate_json(str(item["payload"])))
                if "LastEvaluatedKey" not in answer:
                    break
                params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return frames
