"""The correctness line: every store holds exactly what the simulators posted, to the mWh.

Through the API (the daily stores: a house's, a producer's and the grid's days) and, for the
stores that no route sums over a period, by reading their tables whole (consumption-detailed,
global consumption and production, the frames' aggregates).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from benchmarks.posted import PostedTotals
from localcloud import LocalCloud
from smartgrid.stores.frames import ATTRIBUTE
from smartgrid.units import wh_to_mwh


@dataclass
class Check:
    compared: int = 0  # figures compared
    mismatches: list[str] = field(default_factory=list)

    def same(self, what: str, expected: Counter[Any], stored: Counter[Any]) -> None:
        for key in sorted(set(expected) | set(stored), key=str):
            self.compared += 1
            if expected[key] != stored[key]:
                self.mismatches.append(f"{what} {key}: posted {expected[key]} mWh, stored {stored[key]} mWh")


class StoreReader:
    def __init__(self, cloud: LocalCloud, staff_token: str) -> None:
        self.cloud = cloud
        self.staff_token = staff_token

    def get(self, path: str) -> Any:
        answer = self.cloud.request("GET", path, token=self.staff_token)
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: {answer.status} {answer.body[:200]!r}")
        return answer.json()

    def scan(self, table_logical_id: str) -> Iterator[dict[str, Any]]:
        dynamodb = self.cloud.clients.dynamodb
        params: dict[str, Any] = {"TableName": self.cloud.provisioned.tables[table_logical_id]}
        with self.cloud.locked():
            while True:
                answer = dynamodb.scan(**params)
                yield from answer.get("Items", [])
                if "LastEvaluatedKey" not in answer:
                    return
                params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _slots(item: dict[str, Any]) -> Iterable[tuple[str, int]]:
    return ((name[2:], int(value["N"])) for name, value in item.items() if name.startswith("s:"))


def check_stores(
    reader: StoreReader, posted: PostedTotals, houses: list[str], utilities: set[str], first: str, last: str
) -> Check:
    check = Check()
    period = f"from={first}&to={last}"
    by_day: Counter[str] = Counter()
    for (_, day), mwh in posted.consumption.items():
        by_day[day] += mwh
    # The daily stores, through the API: the grid's days, each house's days, each producer's
    grid = reader.get(f"/grid/consumption?{period}")
    check.same("grid consumption", by_day, Counter({d["date"]: wh_to_mwh(d["wh"]) for d in grid["days"]}))
    for house in houses:
        days = reader.get(f"/houses/{house}/consumption?{period}")["days"]
        expected = Counter({day: mwh for (h, day), mwh in posted.consumption.items() if h == house})
        check.same(f"house {house}", expected, Counter({d["date"]: wh_to_mwh(d["wh"]) for d in days}))
    production_by_kind: Counter[tuple[str, str]] = Counter()
    for (producer, day), mwh in posted.production.items():
        production_by_kind[("utility" if producer in utilities else "house", day)] += mwh
    stored_by_kind: Counter[tuple[str, str]] = Counter()
    for day in reader.get(f"/grid/production?{period}")["days"]:
        for kind, wh in day["byKind"].items():
            stored_by_kind[(kind, day["date"])] = wh_to_mwh(wh)
    check.same("grid production", production_by_kind, stored_by_kind)
    for producer in sorted({p for p, _ in posted.production}):
        days = reader.get(f"/producers/{producer}/production?{period}")["days"]
        expected = Counter({day: mwh for (p, day), mwh in posted.production.items() if p == producer})
        check.same(f"producer {producer}", expected, Counter({d["date"]: wh_to_mwh(d["wh"]) for d in days}))
    # The stores read whole
    detailed: Counter[tuple[str, str, str]] = Counter()
    for item in reader.scan("DetailedConsumptionTable"):
        house, _, day = item["houseDay"]["S"].partition("#")
        for name, mwh in _slots(item):
            detailed[(house, day, name)] += mwh
    check.same("consumption-detailed", posted.objects, detailed)
    global_consumption: Counter[tuple[str, str]] = Counter()
    for item in reader.scan("GlobalConsumptionTable"):
        for house, mwh in _slots(item):
            global_consumption[(house, item["date"]["S"])] += mwh
    check.same("global-consumption", posted.consumption, global_consumption)
    global_production: Counter[tuple[str, str]] = Counter()
    for item in reader.scan("GlobalProductionTable"):
        for producer, mwh in _slots(item):
            global_production[(producer, item["date"]["S"])] += mwh
    check.same("global-production", posted.production, global_production)
    check.same("frames", _posted_by_measure(posted, utilities), _frames_by_measure(reader))
    return check


def _posted_by_measure(posted: PostedTotals, utilities: set[str]) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for (_, day), mwh in posted.consumption.items():
        found[("consumption", day)] += mwh
    for (producer, day), mwh in posted.production.items():
        found[("utilityProduction" if producer in utilities else "houseProduction", day)] += mwh
    return found


MEASURES = {attribute: measure for measure, attribute in ATTRIBUTE.items()}


def _frames_by_measure(reader: StoreReader) -> Counter[tuple[str, str]]:
    """The frames' aggregates per measure and day: the one-tick items, and each span once
    (a span stored once, under its hour or its day)."""
    found: Counter[tuple[str, str]] = Counter()
    spans: set[str] = set()
    for item in reader.scan("FramesTable"):
        pk = item["pk"]["S"]
        if pk.startswith("FRAME#"):
            day = pk[len("FRAME#") : len("FRAME#") + 10]
            for name, value in item.items():  # `<measure>Mwh#<owner>`: an owner's sum in one shard
                measure = MEASURES.get(name.partition("#")[0])
                if measure:
                    found[(measure, day)] += int(value["N"])
        elif pk.startswith(("SPAN#", "DAYSPAN#")) and item["sk"]["S"] not in spans:
            spans.add(item["sk"]["S"])
            found[(item["measure"]["S"], item["start"]["S"][:10])] += int(item["mwh"]["N"])
    return found
